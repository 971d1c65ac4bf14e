import { spawn, type ChildProcess } from 'node:child_process';
import { IdleEstimator } from '../host/linux/idle-estimate';
import { clearReferenced, readReferenced, readStartTime } from '../host/linux/procfs';

// The Linux idle estimate (issue 12): clear_refs, then smaps' Referenced per VMA kind. A real
// process holds 128 MiB of anonymous memory and touches only the part the test asks for.

const MiB = 1024 * 1024;
const HELD_MIB = 128;

// Allocates and fills HELD_MIB (all resident), then on "touch N" writes one byte in each page of
// the first N MiB and answers "done N".
const CHILD = `
const buf = Buffer.alloc(${HELD_MIB} * 1024 * 1024, 1);
let line = '';
process.stdin.on('data', (d) => {
  line += d;
  let nl;
  while ((nl = line.indexOf('\\n')) >= 0) {
    const n = Number(line.slice(0, nl).split(' ')[1]);
    line = line.slice(nl + 1);
    for (let i = 0; i < n * 1024 * 1024; i += 4096) buf[i] = (buf[i] + 1) & 0xff;
    process.stdout.write('done ' + n + '\\n');
  }
});
process.stdout.write('ready\\n');
`;

let child: ChildProcess & { pid: number };
let out = '';

async function waitFor(text: string): Promise<void> {
  while (!out.includes(text)) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`child exited: ${out}`);
    await new Promise<void>((resolve) => child.stdout!.once('data', () => resolve()));
  }
}

async function touch(mib: number): Promise<void> {
  out = '';
  child.stdin!.write(`touch ${mib}\n`);
  await waitFor(`done ${mib}`);
}

beforeAll(async () => {
  child = spawn(process.execPath, ['-e', CHILD], { stdio: ['pipe', 'pipe', 'inherit'] }) as ChildProcess & { pid: number };
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  await waitFor('ready');
});

afterAll(() => {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

describe('clear_refs + smaps Referenced', () => {
  it('counts as idle the anon pages not touched since the referenced bits were cleared', async () => {
    expect(clearReferenced(child.pid)).toBe(true);
    await touch(8);
    const few = readReferenced(child.pid)!;
    expect(few.anonRssBytes).toBeGreaterThanOrEqual(HELD_MIB * MiB);
    // 120 of the 128 MiB were not touched (the runtime's own pages may be idle too).
    expect(few.anonRssBytes - few.anonReferencedBytes).toBeGreaterThanOrEqual(112 * MiB);

    expect(clearReferenced(child.pid)).toBe(true);
    await touch(HELD_MIB);
    const all = readReferenced(child.pid)!;
    expect(all.anonReferencedBytes).toBeGreaterThanOrEqual(HELD_MIB * MiB);
    // Touching the other 120 MiB took them out of the idle part.
    expect(few.anonRssBytes - few.anonReferencedBytes - (all.anonRssBytes - all.anonReferencedBytes)).toBeGreaterThanOrEqual(112 * MiB);
  });

  it('answers null and false for a process that is gone, without throwing', () => {
    expect(readReferenced(2 ** 22 + 1)).toBeNull();
    expect(clearReferenced(2 ** 22 + 1)).toBe(false);
  });
});

describe('IdleEstimator', () => {
  it('gives nothing before a whole window, then the idle bytes of the last window', async () => {
    const windowMs = 120_000;
    const est = new IdleEstimator(windowMs);
    const start = readStartTime(child.pid)!;
    expect(est.estimate(child.pid, start, 1_000)).toBeUndefined(); // the window starts
    await touch(8);
    expect(est.estimate(child.pid, start, 1_000 + windowMs - 1)).toBeUndefined();
    const idle = est.estimate(child.pid, start, 1_000 + windowMs)!;
    expect(idle.idleAnonBytes).toBeGreaterThanOrEqual(112 * MiB);
    // The next window started then: the same estimate is kept until it ends.
    await touch(HELD_MIB);
    expect(est.estimate(child.pid, start, 1_000 + windowMs + 10)).toEqual(idle);
    const next = est.estimate(child.pid, start, 1_000 + 2 * windowMs)!;
    // The 120 MiB touched now left the idle part; the child's own runtime pages (a Node heap the
    // GC walks or not between two windows) move by a few MiB either way: seen 110.4 MiB in a CI run.
    expect(idle.idleAnonBytes - next.idleAnonBytes).toBeGreaterThanOrEqual(100 * MiB);
  });
});
