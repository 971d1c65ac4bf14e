import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { acquireKernelLock } from '../main/cli/kernel-lock';

/** Is the lock free right now? flock -n fails at once when someone holds it. */
const free = (path: string) => spawnSync('flock', ['-n', path, 'true']).status === 0;

describe('acquireKernelLock', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'reclaimd-lock-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('holds the flock until released', async () => {
    const path = join(dir, 'lock');
    const release = await acquireKernelLock(path, () => false);
    expect(release).not.toBeNull();
    expect(free(path)).toBe(false);
    await release!();
    expect(free(path)).toBe(true);
  });

  it('waits while another holds it, and gives up (null, nothing left holding it) when aborted', async () => {
    const path = join(dir, 'lock');
    const other = spawn('flock', [path, 'sh', '-c', 'echo held; exec cat >/dev/null'], { stdio: ['pipe', 'pipe', 'ignore'] });
    await new Promise((r) => other.stdout.once('data', r));
    let aborted = false;
    const pending = acquireKernelLock(path, () => aborted);
    let settled = false;
    void pending.then(() => (settled = true));
    await new Promise((r) => setTimeout(r, 300));
    expect(settled).toBe(false); // still waiting for the other holder
    aborted = true;
    expect(await pending).toBeNull();
    other.stdin.end();
    await new Promise((r) => other.on('close', r));
    expect(free(path)).toBe(true);
  });

  it('names the path when flock cannot take it', async () => {
    await expect(acquireKernelLock(join(dir, 'no-such-dir', 'lock'), () => false)).rejects.toThrow(/cannot lock .*no-such-dir/);
  });
});
