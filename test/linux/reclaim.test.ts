import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { procReclaimAvailable, reclaimCgroup, reclaimThroughProcFile } from '../../host/linux/kernel-reclaim-files';
import { RANGES_MAX_AGE_MS, reclaimProcess, killProcess, readReclaimRanges } from '../../host/linux/process-reclaim';
import { RangesAhead } from '../../host/linux/ranges-ahead';
import { readMemory, readStartTime, readStat } from '../../host/linux/procfs';
import { ReclaimRunner } from '../../host/linux/reclaim-runner';
import { kernelTestsUnavailable, skipNote } from '../helpers/kernel';
import { useKernelFixture } from '../helpers/kernel-fixture';

const unavailable = kernelTestsUnavailable();
const d = unavailable ? describe.skip : describe;
if (unavailable) skipNote('real-kernel reclaim tests', unavailable);

const BIN = join(__dirname, '..', '..', 'bin', 'reclaimd.js');
const MiB = 1024 * 1024;

d('per-process reclaim on the real kernel', () => {
  const k = useKernelFixture('reclaim');

  const reclaim = (pid: number, kind: 'file' | 'anon' | 'all') => reclaimProcess({ pid, startTime: readStartTime(pid)!, kind, mode: 'pageout', budgetBytes: 0 });

  it('file: drops RssFile by ≥ 90% and leaves anon', async () => {
    const c = await k.hogs.start(200, 100);
    const before = readMemory(c.pid)!;
    expect(before.rssFileBytes).toBeGreaterThan(95 * MiB);
    const r = reclaim(c.pid, 'file');
    expect(r.result).toBe('ok');
    const after = readMemory(c.pid)!;
    expect(after.rssFileBytes).toBeLessThan(before.rssFileBytes * 0.1);
    expect(after.rssAnonBytes).toBeGreaterThan(before.rssAnonBytes * 0.95);
    expect(r.reclaimedFileBytes).toBeGreaterThan(90 * MiB);
    expect(r.before!.rssFileBytes).toBeGreaterThan(95 * MiB); // the outcome carries its own before/after counters
  });

  it('anon (zram swap on): drops RssAnon by ≥ 90% and raises VmSwap', async () => {
    const c = await k.hogs.start(200, 100);
    const before = readMemory(c.pid)!;
    const r = reclaim(c.pid, 'anon');
    expect(r.result).toBe('ok');
    const after = readMemory(c.pid)!;
    expect(after.rssAnonBytes).toBeLessThan(before.rssAnonBytes * 0.1);
    expect(after.swapBytes - before.swapBytes).toBeGreaterThan(180 * MiB);
    expect(after.rssFileBytes).toBeGreaterThan(before.rssFileBytes * 0.9);
  });

  it('all: does both, through the CLI with --json', async () => {
    const c = await k.hogs.start(200, 100);
    const r = spawnSync(process.execPath, [BIN, 'reclaim', String(c.pid), 'all', '--json'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.result).toBe('ok');
    expect(out.after.rssAnonBytes).toBeLessThan(out.before.rssAnonBytes * 0.1);
    expect(out.after.rssFileBytes).toBeLessThan(out.before.rssFileBytes * 0.1);
    expect(out.after.swapBytes).toBeGreaterThan(180 * MiB);
  });

  it('ranges read ahead are sent as they are: no /proc read before the first call, a range unmapped since is skipped, and a stale or foreign reading is read again', async () => {
    const c = await k.hogs.start(120, 0);
    const startTime = readStartTime(c.pid)!;
    const pageSize = 4096;
    const ahead = new RangesAhead(pageSize);
    ahead.plan([{ pid: c.pid, startTime, kind: 'anon' }]);
    expect(ahead.pending).toBe(true);
    ahead.readNext();
    const reading = ahead.get({ pid: c.pid, startTime, kind: 'anon' })!;
    expect(reading.ranges.length).toBeGreaterThan(0);
    // A range that is mapped no more (the lowest page of the address space never is): the
    // batch fails there and the rest go one by one, as when a mapping went away since the read.
    const stale = { ...reading, ranges: [[BigInt(pageSize), BigInt(pageSize)] as [bigint, bigint], ...reading.ranges] };
    const req = { pid: c.pid, startTime, kind: 'anon' as const, mode: 'pageout' as const, budgetBytes: 0 };
    const r = reclaimProcess(req, stale);
    expect(r.result).toBe('ok');
    expect(r.rangesReadAheadMs).not.toBeNull();
    expect(r.reclaimedAnonBytes).toBeGreaterThan(100 * MiB);
    // Too old, another process's (a different start time) or another kind: read again here.
    expect(reclaimProcess(req, { ...reading, readAtMs: reading.readAtMs - RANGES_MAX_AGE_MS - 1 }).rangesReadAheadMs).toBeNull();
    expect(reclaimProcess(req, { ...reading, startTime: startTime + 1 }).rangesReadAheadMs).toBeNull();
    expect(reclaimProcess({ ...req, kind: 'file' }, reading).rangesReadAheadMs).toBeNull();
    // A reading is of one process: a target that is gone leaves none.
    expect(readReclaimRanges(999_999_999, 1, 'anon', pageSize)).toBeNull();
    ahead.plan([{ pid: 999_999_999, startTime: 1, kind: 'anon' }]);
    ahead.readNext();
    expect(ahead.size).toBe(0);
  });

  it('a budget stops after that many bytes; --cold deactivates without dropping', async () => {
    const c = await k.hogs.start(200, 0);
    const r = reclaimProcess({ pid: c.pid, startTime: readStartTime(c.pid)!, kind: 'anon', mode: 'pageout', budgetBytes: 50 * MiB });
    expect(r.advisedBytes).toBeLessThanOrEqual(52 * MiB);
    expect(r.reclaimedAnonBytes).toBeGreaterThan(40 * MiB);
    expect(r.reclaimedAnonBytes).toBeLessThan(60 * MiB);
    const cold = reclaimProcess({ pid: c.pid, startTime: readStartTime(c.pid)!, kind: 'anon', mode: 'cold', budgetBytes: 0 });
    expect(cold.result).toBe('ok');
    expect(cold.message).toMatch(/^deactivated/);
  });

  it('refuses pid 1, kernel threads, itself and a reused pid', async () => {
    expect(reclaimProcess({ pid: 1, startTime: readStartTime(1)!, kind: 'all', mode: 'pageout', budgetBytes: 0 })).toMatchObject({ result: 'refused', message: 'pid 1 (init) is never touched (pid 1)' });
    expect(reclaimProcess({ pid: 2, startTime: readStartTime(2)!, kind: 'all', mode: 'pageout', budgetBytes: 0 })).toMatchObject({ result: 'refused', message: expect.stringContaining('kernel thread') });
    expect(reclaimProcess({ pid: process.pid, startTime: readStartTime(process.pid)!, kind: 'all', mode: 'pageout', budgetBytes: 0 }).result).toBe('refused');
    const c = await k.hogs.start(10, 0);
    const start = readStartTime(c.pid)!;
    expect(reclaimProcess({ pid: c.pid, startTime: start - 1, kind: 'all', mode: 'pageout', budgetBytes: 0 })).toMatchObject({ result: 'refused', message: expect.stringContaining('was reused') });
    expect(killProcess(c.pid, start - 1)).toMatchObject({ result: 'refused' });
    expect(readStartTime(c.pid)).toBe(start); // still alive
    const cli = spawnSync(process.execPath, [BIN, 'reclaim', '1', 'all'], { encoding: 'utf8' });
    expect(cli.status).toBe(1);
    expect(cli.stderr).toContain('refused: pid 1 (init) is never touched (pid 1)');
  });

  it('a target gone before, or exiting during, a reclaim is "gone"', async () => {
    const c = await k.hogs.start(10, 0);
    const start = readStartTime(c.pid)!;
    c.kill('SIGKILL');
    await new Promise((r) => c.once('exit', r));
    expect(reclaimProcess({ pid: c.pid, startTime: start, kind: 'all', mode: 'pageout', budgetBytes: 0 }).result).toBe('gone');

    // Mid-reclaim: 600 MiB take ~0.5 s to compress; the process dies 30 ms in.
    const big = await k.hogs.start(600, 0);
    const runner = new ReclaimRunner();
    try {
      await runner.reclaim({ pid: 1, startTime: 0, kind: 'all', mode: 'pageout', budgetBytes: 0 }); // the worker is up
      const pending = runner.reclaim({ pid: big.pid, startTime: readStartTime(big.pid)!, kind: 'anon', mode: 'pageout', budgetBytes: 0 });
      await new Promise((r) => setTimeout(r, 30));
      big.kill('SIGKILL');
      const r = await pending;
      expect(r.result).toBe('gone');
      expect(r.message).toMatch(/exited during reclaim|gone|exited|is exiting/); // killed before or after its worker began
    } finally {
      await runner.close();
    }
  });

  it('the reserved worker starts when warmed (the first pressure event), not at its first job, and only once', async () => {
    const threads = () => readdirSync('/proc/self/task').length;
    const runner = new ReclaimRunner();
    try {
      const idle = threads();
      await new Promise((r) => setTimeout(r, 200));
      expect(threads()).toBe(idle); // an idle runner has no thread
      runner.warmUrgent();
      for (let i = 0; i < 100 && threads() === idle; i++) await new Promise((r) => setTimeout(r, 20));
      const warmed = threads();
      expect(warmed).toBeGreaterThan(idle);
      runner.warmUrgent();
      await new Promise((r) => setTimeout(r, 200));
      expect(threads()).toBe(warmed);
      // Its first urgent job runs on it: no other worker starts.
      const c = await k.hogs.start(8, 0);
      expect((await runner.reclaim({ pid: c.pid, startTime: readStartTime(c.pid)!, kind: 'anon', mode: 'pageout', budgetBytes: 0 }, true)).result).toBe('ok');
      expect(threads()).toBe(warmed);
    } finally {
      await runner.close();
    }
  });

  it("an urgent reclaim (an event's first answer) is not held up by the plan's long ones: a worker is kept for it", async () => {
    const bigs = [await k.hogs.start(200, 0), await k.hogs.start(200, 0)];
    const small = await k.hogs.start(8, 0);
    const runner = new ReclaimRunner();
    const req = (pid: number) => ({ pid, startTime: readStartTime(pid)!, kind: 'anon' as const, mode: 'pageout' as const, budgetBytes: 0 });
    /** Bring every page of a memhog back (it touches them all on SIGUSR1 and says so). */
    const retouch = (c: (typeof bigs)[number]) =>
      new Promise<void>((resolve) => {
        const onData = (d: Buffer) => d.toString().includes('touched') && (c.stdout!.off('data', onData), resolve());
        c.stdout!.on('data', onData);
        c.kill('SIGUSR1');
      });
    /** Two long plan reclaims, then a third job; the order they finish in. */
    const round = async (thirdUrgent: boolean) => {
      await Promise.all([...bigs, small].map(retouch));
      const done: string[] = [];
      const jobs = [...bigs.map((b, i) => runner.reclaim(req(b.pid)).then((r) => (done.push(`long${i}`), r))), runner.reclaim(req(small.pid), thirdUrgent).then((r) => (done.push('third'), r))];
      expect((await Promise.all(jobs)).map((r) => r.result)).toEqual(['ok', 'ok', 'ok']);
      return done;
    };
    try {
      await round(true); // every worker started: what follows compares reclaims, not thread start-ups
      // Both plan workers compress 200 MiB each (~0.2 s); the next event's first answer does not wait.
      expect((await round(true))[0]).toBe('third');
      // A plan's job never takes the reserved worker: it waits for a plan worker.
      expect((await round(false))[0]).not.toBe('third');
    } finally {
      await runner.close();
    }
  });

  it('a process being killed is "gone", not "ok" with 0 bytes', async () => {
    const reclaimKilled = async (waitForRelease: boolean) => {
      const c = await k.hogs.start(600, 0);
      const start = readStartTime(c.pid)!;
      const exited = new Promise((r) => c.once('exit', r));
      c.kill('SIGKILL');
      // The window the bug lived in: the process has released its memory (exit_mmap frees
      // 600 MiB for tens of ms) but keeps its pid, start time and a running state, and its
      // /proc counters and maps read empty. Without waiting: SIGKILL pending, or exiting.
      if (waitForRelease) while (/^RssAnon:/m.test(readFileSync(`/proc/${c.pid}/status`, 'utf8'))) continue;
      const r = reclaimProcess({ pid: c.pid, startTime: start, kind: 'anon', mode: 'pageout', budgetBytes: 0 });
      await exited;
      return { r, pid: c.pid };
    };
    for (const waitForRelease of [false, true]) {
      const { r, pid } = await reclaimKilled(waitForRelease);
      expect(r).toMatchObject({ result: 'gone', reclaimedAnonBytes: 0, reclaimedFileBytes: 0 });
      expect(r.message).toMatch(new RegExp(`^process ${pid} (is being killed|has released its memory|is exiting|exited)`));
    }
  });

  it('a thread id is refused with the errno named and its process given', async () => {
    const node = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    try {
      const pid = node.pid!;
      let tid: number | undefined;
      while (tid === undefined) {
        await new Promise((r) => setTimeout(r, 20));
        tid = readdirSync(`/proc/${pid}/task`).map(Number).find((t) => t !== pid); // Node starts its threads at once
      }
      const comm = readStat(pid)!.comm;
      const expected = `pidfd_open(${tid}): ENOENT (2) — ${tid} is a thread of process ${pid} (${comm}), not a process; reclaim and kill act on whole processes: use ${pid}`;
      expect(reclaimProcess({ pid: tid, startTime: readStartTime(tid)!, kind: 'anon', mode: 'pageout', budgetBytes: 0 })).toMatchObject({ result: 'refused', message: expected });
      expect(killProcess(tid, readStartTime(tid)!)).toEqual({ result: 'refused', message: expected });
      const cli = spawnSync(process.execPath, [BIN, 'reclaim', String(tid), 'anon'], { encoding: 'utf8' });
      expect(cli.status).toBe(1);
      expect(cli.stderr).toContain(`is a thread of process ${pid}`);
      expect(readStartTime(pid)).not.toBeNull(); // untouched
    } finally {
      node.kill('SIGKILL');
    }
  });

  it('file: written pages of a private file mapping stay out of file reclaim (no anon to swap)', async () => {
    // 64 MiB MAP_PRIVATE file, all read, the first half written: 32 MiB of anonymous copies.
    const c = await k.hogs.start(0, 64, [], { mapping: 'private-written' });
    const before = readMemory(c.pid)!;
    expect(before.rssAnonBytes).toBeGreaterThan(31 * MiB);
    const r = reclaim(c.pid, 'file');
    expect(r.result).toBe('ok');
    const after = readMemory(c.pid)!;
    expect(after.swapBytes - before.swapBytes).toBeLessThan(MiB);
    expect(after.rssAnonBytes).toBeGreaterThan(before.rssAnonBytes - MiB);
    expect(before.rssFileBytes - after.rssFileBytes).toBeGreaterThan(30 * MiB); // the clean half went
    expect(r.writtenSkippedBytes).toBeGreaterThanOrEqual(32 * MiB);
    expect(r.message).toMatch(/left 3\d\.\d MiB written into private file mappings/);
  });

  it('file: pages another process maps too are not sent, and are reported as shared', async () => {
    const file = join(k.hogs.dir, 'mapped-by-two');
    const a = await k.hogs.start(0, 64, [], { file });
    const b = await k.hogs.start(0, 64, [], { file });
    const before = readMemory(a.pid)!;
    const r = reclaim(a.pid, 'file');
    expect(r.result).toBe('ok');
    expect(r.sharedSkippedBytes).toBeGreaterThanOrEqual(64 * MiB);
    expect(r.advisedBytes).toBeLessThan(8 * MiB); // the 64 MiB mapping was not advised (before: all of it)
    expect(r.message).toMatch(/left \d+\.\d MiB shared with other processes/);
    expect(readMemory(a.pid)!.rssFileBytes).toBeGreaterThan(before.rssFileBytes - MiB);
    // MAP_SHARED alone is no reason: once the second process is gone, the pages go.
    const exited = new Promise((res) => b.once('exit', res));
    b.kill('SIGKILL');
    await exited;
    const alone = reclaim(a.pid, 'file');
    expect(alone.reclaimedFileBytes).toBeGreaterThan(60 * MiB);
  });

  it('anon: MAP_SHARED anonymous memory (shmem) is skipped and reported, private anon still goes', async () => {
    const c = await k.hogs.start(32, 64, [], { mapping: 'shm' });
    const before = readMemory(c.pid)!;
    expect(before.rssShmemBytes).toBeGreaterThan(63 * MiB);
    const r = reclaim(c.pid, 'anon');
    expect(r.result).toBe('ok');
    const after = readMemory(c.pid)!;
    expect(after.rssShmemBytes).toBeGreaterThan(before.rssShmemBytes - MiB);
    expect(after.rssAnonBytes).toBeLessThan(before.rssAnonBytes * 0.1);
    expect(after.swapBytes - before.swapBytes).toBeLessThan(40 * MiB); // the 32 MiB private part only
    expect(r.sharedSkippedBytes).toBe(before.rssShmemBytes);
    expect(r.message).toContain('shared with other processes');
  });

  it('without CAP_SYS_NICE the result is "denied" with the hint', async () => {
    // Target and agent both run as nobody: maps are readable, process_madvise needs the capability.
    const setpriv = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=-all', '--bounding-set=-all'];
    const c = await k.hogs.start(20, 0, setpriv);
    const r = spawnSync(setpriv[0], [...setpriv.slice(1), process.execPath, BIN, 'reclaim', String(c.pid), 'anon', '--json'], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ result: 'denied', message: expect.stringContaining('CAP_SYS_NICE') });
    // And a root-owned target is denied at /proc/PID/maps already.
    const rootOwned = await k.hogs.start(20, 0);
    const r2 = spawnSync(setpriv[0], [...setpriv.slice(1), process.execPath, BIN, 'reclaim', String(rootOwned.pid), 'anon', '--json'], { encoding: 'utf8' });
    expect(JSON.parse(r2.stdout)).toMatchObject({ result: 'denied', message: expect.stringContaining('CAP_SYS_NICE') });
  });

  it('kills through a pidfd', async () => {
    const c = await k.hogs.start(10, 0);
    const exited = new Promise((r) => c.once('exit', (_code, sig) => r(sig)));
    expect(killProcess(c.pid, readStartTime(c.pid)!)).toMatchObject({ result: 'ok' });
    expect(await exited).toBe('SIGKILL');
  });
});

d('the file interfaces of other kernels', () => {
  it('/proc/PID/reclaim and cgroup v2 memory.reclaim are used where present, and say clearly when not', () => {
    if (procReclaimAvailable()) {
      expect(reclaimThroughProcFile(process.pid, 'file').result).toBe('ok');
    } else {
      expect(reclaimThroughProcFile(process.pid, 'file')).toEqual({ result: 'unsupported', message: `/proc/${process.pid}/reclaim does not exist (an Android kernel patch)` });
    }
    expect(reclaimThroughProcFile(999_999_999, 'all').result).toBe('gone');
    expect(reclaimCgroup('/no/such/cgroup', 1 << 20).result).toBe('gone');
    const v1 = reclaimCgroup('/sys/fs/cgroup/memory', 1 << 20);
    expect(v1.result).toBe('unsupported');
    expect(v1.message).toContain('needs cgroup v2 with the memory controller');
    const cli = spawnSync(process.execPath, [BIN, 'reclaim', '--cgroup', '/sys/fs/cgroup/memory', '16MiB'], { encoding: 'utf8' });
    expect(cli.status).toBe(1);
    expect(cli.stderr).toContain('memory.reclaim does not exist');
  });
});
