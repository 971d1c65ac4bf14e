import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { memcgPath } from '../../host/linux/linux-host';
import { ProcessScanner } from '../../host/linux/process-scanner';
import { kernelTestsUnavailable, skipNote } from '../helpers/kernel';
import { useKernelFixture } from '../helpers/kernel-fixture';

// A process may enter the agent's scope after the scanner first saw it: the lab's wrapper (and
// systemd-run, a session's launcher) starts in its parent's cgroup, moves itself into the
// memcg, then execs. The scanner used to keep the identity it read first — cgroup included —
// for as long as the pid and start time held, so such a process stayed out of scope: in the
// calibration, every lab run whose first scan beat the wrapper's move saw no process at all.

const unavailable = kernelTestsUnavailable();
const d = unavailable ? describe.skip : describe;
if (unavailable) skipNote('scanner scope tests', unavailable);

const MiB = 1024 * 1024;

async function until(ok: () => boolean): Promise<void> {
  while (!ok()) await new Promise((r) => setTimeout(r, 10));
}

const comm = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
};

/** bash waits for a line, then runs `then` (moving itself into the memcg), then the rest. */
function waiting(then: string): ChildProcess {
  return spawn('bash', ['-c', `read _; ${then}`], { stdio: ['pipe', 'ignore', 'ignore'] });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await gone;
}

/**
 * A bash that the scanner has seen outside the memcg (scanned once, not in scope), then told to
 * run `then` — which moves it in — with the test's checks in `after`; always killed at the end.
 */
async function seenOutsideThen(memcgDir: string, then: string, after: (pid: number, scanner: ProcessScanner) => Promise<void>): Promise<void> {
  const child = waiting(then);
  try {
    const pid = child.pid!;
    await until(() => comm(pid) === 'bash');
    const scanner = new ProcessScanner({ scopeCgroup: memcgPath(memcgDir), idleWindowMs: 0 });
    expect(scanner.scan(1_000, new Set(), new Map()).some((p) => p.pid === pid)).toBe(false);
    child.stdin!.write('\n');
    await after(pid, scanner);
  } finally {
    await stop(child);
  }
}

d('the scanner follows a process into its scope', () => {
  const k = useKernelFixture('scanner-scope');

  it('a process seen outside the scope, then moved into it and exec\'d, is in the next scan', async () => {
    const memcg = k.memcg(`reclaimd-scope-exec-${process.pid}`, 256 * MiB);
    await seenOutsideThen(memcg.path, `echo $$ > ${memcg.path}/cgroup.procs && exec sleep 60`, async (pid, scanner) => {
      await until(() => comm(pid) === 'sleep');
      expect(scanner.scan(1_500, new Set(), new Map()).find((p) => p.pid === pid)).toMatchObject({ name: 'sleep' });
    });
  });

  it('one moved without an exec is found once its identity is a minute old', async () => {
    const memcg = k.memcg(`reclaimd-scope-move-${process.pid}`, 256 * MiB);
    // Moves itself, then stays bash (sleeping as a child would be another process).
    await seenOutsideThen(memcg.path, `echo $$ > ${memcg.path}/cgroup.procs; while :; do read -t 60 _ || :; done`, async (pid, scanner) => {
      await until(() => readFileSync(`/proc/${pid}/cgroup`, 'utf8').includes(memcgPath(memcg.path)));
      expect(scanner.scan(61_000, new Set(), new Map()).some((p) => p.pid === pid)).toBe(true);
    });
  });
});
