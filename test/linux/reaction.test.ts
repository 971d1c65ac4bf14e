import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { reclaimProcess } from '../../host/linux/process-reclaim';
import { readStartTime } from '../../host/linux/procfs';
import { readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { asyncScheduler, lastValueFrom } from 'rxjs';
import { LinuxHost, memcgPath } from '../../host/linux/linux-host';
import { ProcessScanner } from '../../host/linux/process-scanner';
import { AGENT_MAIN_NICE } from '../../host/linux/realtime';
import { compiledScript } from '../../host/worker-script';
import { createEngine } from '../../policy-engine/engine';
import { createBuiltinRegistry } from '../../policy-engine/policies/index';
import type { Decision, ProcessSnapshot, ReclaimAction } from '../../policy-engine/types';
import { kernelTestsUnavailable, skipNote } from '../helpers/kernel';
import { useKernelFixture } from '../helpers/kernel-fixture';

const unavailable = kernelTestsUnavailable();
const d = unavailable ? describe.skip : describe;
if (unavailable) skipNote('reaction thread tests', unavailable);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Field 41 of /proc/self/task/TID/stat: the thread's scheduling policy (1 is SCHED_FIFO). */
function schedPolicy(tid: number): number {
  const text = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
  return Number(text.slice(text.lastIndexOf(')') + 2).split(' ')[41 - 3]);
}

d('the reaction thread on the real kernel', () => {
  const k = useKernelFixture('reaction');

  it('answers a pressure event with the reclaim planned ahead, at SCHED_FIFO, and the engine logs it first', async () => {
    const memcg = k.memcg(`reclaimd-reaction-${process.pid}`, 256 * 1024 * 1024);
    const background = await k.hogs.start(80, 40, memcg.wrap());
    const host = new LinuxHost({ memcg: memcg.path, scanMaxAgeMs: 200 });
    const engine = createEngine({ host, policy: createBuiltinRegistry().create('reclaim', { cooldownMs: 1000 }), scheduler: asyncScheduler });
    host.snapshot();
    const decisions: Decision[] = [];
    const sub = engine.decisions$.subscribe((x) => decisions.push(x));
    const reacted = () => decisions.filter((x) => x.action.reason.includes('issued by the reaction thread'));
    try {
      const allocator = await k.hogs.start(300, 0, memcg.wrap());
      const deadline = Date.now() + 20_000;
      while (Date.now() < deadline && !reacted().some((x) => x.outcome.result === 'ok')) {
        allocator.kill('SIGUSR1');
        await sleep(100);
      }
    } finally {
      sub.unsubscribe();
      await host.close();
    }
    const first = reacted().find((x) => x.outcome.result === 'ok');
    expect(first).toBeDefined();
    // It is the first decision of its batch, for the event that carried it.
    expect(decisions.filter((x) => x.batch === first!.batch)[0]).toBe(first);
    expect(first!.signal.reaction).toBe(first!.action);
    expect(first!.action.reason.startsWith(`${first!.signal.level} pressure (${first!.signal.source})`)).toBe(true);
    expect(first!.action.pid).toBe(background.pid); // the only victim the policy can choose here
    // Bytes moved only by a pageout; MADV_COLD (no idle estimate on Linux yet) deactivates them.
    if (first!.action.type === 'reclaim' && first!.action.mode === 'pageout') expect(first!.outcome.reclaimedAnonBytes + first!.outcome.reclaimedFileBytes).toBeGreaterThan(0);
    expect(first!.outcome.result).toBe('ok');
    // Every event the thread heard is counted once by its fate, and this one as answered.
    const c = host.reactionCounts;
    expect(c.answered).toBeGreaterThanOrEqual(1);
    expect(c.heard).toBe(c.throttled + c.notArmed + c.slotEmpty + c.candidatesBusy + c.candidatesGone + c.answered);
    // The thread read its targets' ranges ahead, between events, when the plan was written.
    expect(c.answeredReadAhead).toBeGreaterThanOrEqual(1);
    expect(c.answeredReadAhead).toBeLessThanOrEqual(c.answered);
    expect(host.reactionToMadviseMs.length).toBeGreaterThan(0);
    expect(host.eventToMadviseMs.length).toBeGreaterThan(0);
    // Root has CAP_SYS_NICE: the thread ran (and was measured) at SCHED_FIFO.
    expect(host.reactionPriority?.policy).toBe('SCHED_FIFO');
  });

  it('the thread is real-time while it runs and leaves no thread or descriptor behind', async () => {
    // The descriptors the thread owns: PSI triggers, vmpressure eventfds and its wake eventfd.
    const fds = () =>
      readdirSync('/proc/self/fd').filter((fd) => {
        try {
          return /eventfd|pressure/.test(readlinkSync(`/proc/self/fd/${fd}`));
        } catch {
          return false;
        }
      }).length;
    // Settled first: descriptors an earlier host closes late (kernelPressureEvents closes its
    // watches after its poll's 250 ms timeout) are not this test's (seen: 4 before, 3 after).
    let before = fds();
    for (let stable = 0, i = 0; stable < 4 && i < 50; i++) {
      await sleep(100);
      const now = fds();
      stable = now === before ? stable + 1 : 0;
      before = now;
    }
    const host = new LinuxHost({ memcg: undefined });
    const sub = host.pressure$.subscribe();
    for (let i = 0; i < 50 && !host.reactionPriority; i++) await sleep(50);
    const tid = host.reactionPriority!.tid;
    expect(schedPolicy(tid)).toBe(1);
    expect(fds()).toBeGreaterThan(before); // triggers, eventfds, the wake eventfd
    sub.unsubscribe();
    await host.close();
    for (let i = 0; i < 40 && fds() > before; i++) await sleep(50);
    expect(fds()).toBe(before);
    expect(() => readFileSync(`/proc/self/task/${tid}/stat`)).toThrow();
  });

  it("the agent's main thread is raised to nice −10 and put back, and a thread it starts after inherits it", () => {
    // In a child: nice is the thread's, and jest's own must stay as it is.
    const realtime = compiledScript(join(__dirname, '../../host/linux'), 'realtime.js');
    const script = `
      const r = require(${JSON.stringify(realtime)});
      const { Worker } = require('node:worker_threads');
      const nice = (tid) => { const t = require('node:fs').readFileSync('/proc/self/task/' + tid + '/stat', 'utf8'); return Number(t.slice(t.lastIndexOf(')') + 2).split(' ')[16]); };
      const before = nice(process.pid);
      const main = r.raiseMainThread();
      const raised = nice(process.pid);
      const w = new Worker('require("node:worker_threads").parentPort.postMessage(0); setTimeout(() => {}, 300)', { eval: true });
      w.once('message', () => {
        const tids = require('node:fs').readdirSync('/proc/self/task').map(Number).filter((t) => t !== process.pid);
        const inherited = Math.min(...tids.map(nice));
        main.restore();
        process.stdout.write(JSON.stringify({ before, raised, inherited, after: nice(process.pid), detail: main.priority.detail }));
        w.terminate();
      });`;
    const child = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 30_000, cwd: join(__dirname, '../..') });
    expect(child.stderr).toBe('');
    const out = JSON.parse(child.stdout) as { before: number; raised: number; inherited: number; after: number; detail: string };
    expect(out.raised).toBe(AGENT_MAIN_NICE);
    expect(out.inherited).toBe(AGENT_MAIN_NICE);
    expect(out.after).toBe(out.before);
    expect(out.detail).toBe(`nice ${AGENT_MAIN_NICE}`);
  });

  it('the agent locks its code and V8 still frees its heap (mlockall made it abort)', () => {
    // In a child: locking is process-wide, and an abort must not take jest down.
    const realtime = compiledScript(join(__dirname, '../../host/linux'), 'realtime.js');
    const script = `
      const r = require(${JSON.stringify(realtime)});
      const lock = r.lockAgentMemory();
      let keep = [];
      for (let i = 0; i < 400; i++) { keep.push(new Array(50000).fill(i)); if (i % 50 === 0) keep = []; new Function('x', 'return x + ' + i)(1); }
      const after = r.lockedAndResident();
      process.stdout.write(JSON.stringify({ locked: lock.locked, lockedBytes: after.lockedBytes, rssBytes: after.rssBytes }));`;
    const child = spawnSync(process.execPath, ['--expose-gc', '-e', script], { encoding: 'utf8', timeout: 60_000 });
    expect(child.status).toBe(0);
    const out = JSON.parse(child.stdout) as { locked: boolean; lockedBytes: number; rssBytes: number };
    expect(out.locked).toBe(true);
    expect(out.lockedBytes).toBeGreaterThan(0);
  });

  it('an incremental scan reads an unchanged process from its stat only, and a changed one in full', async () => {
    const memcg = k.memcg(`reclaimd-scan-${process.pid}`, 512 * 1024 * 1024);
    const sleepers: ChildProcess[] = [];
    try {
      for (let i = 0; i < 20; i++) sleepers.push(spawn(memcg.wrap()[0], [...memcg.wrap().slice(1), 'sleep', '600'], { stdio: 'ignore' }));
      const hog = await k.hogs.start(16, 0, memcg.wrap());
      await sleep(300);
      const scanner = new ProcessScanner({ scopeCgroup: memcgPath(memcg.path) });
      const first = scanner.scan(Date.now(), new Set(), new Map());
      const sleeperPids = sleepers.map((s) => s.pid!);
      expect(sleeperPids.every((pid) => first.some((p) => p.pid === pid))).toBe(true);
      expect(sleeperPids.every((pid) => scanner.lastCounts.fullPids.includes(pid))).toBe(true);
      // The hog's memory is paged out: its resident size moves, so it is read again.
      expect(reclaimProcess({ pid: hog.pid, startTime: readStartTime(hog.pid)!, kind: 'anon', mode: 'pageout', budgetBytes: 0 }).result).toBe('ok');
      const second = scanner.scan(Date.now(), new Set(), new Map());
      expect(sleeperPids.filter((pid) => scanner.lastCounts.fullPids.includes(pid))).toEqual([]);
      expect(scanner.lastCounts.fullPids).toContain(hog.pid);
      expect(second.find((p) => p.pid === hog.pid)!.rssAnonBytes).toBeLessThan(first.find((p) => p.pid === hog.pid)!.rssAnonBytes);
      // Same answers for the unchanged ones.
      for (const pid of sleeperPids) expect(second.find((p) => p.pid === pid)?.rssAnonBytes).toBe(first.find((p) => p.pid === pid)?.rssAnonBytes);
    } finally {
      for (const s of sleepers) s.kill('SIGKILL');
    }
  });

  it("a file reclaim's shared pages reach the next snapshot, and the policy stops asking for what the kernel skips", async () => {
    const memcg = k.memcg(`reclaimd-shared-${process.pid}`, 256 * 1024 * 1024);
    const sleeper = spawn(memcg.wrap()[0], [...memcg.wrap().slice(1), 'sleep', '600'], { stdio: 'ignore' });
    const host = new LinuxHost({ memcg: memcg.path, scanMaxAgeMs: 0 });
    try {
      await sleep(300);
      const pid = sleeper.pid!;
      const before = host.snapshot().find((p) => p.pid === pid)!;
      expect(before.sharedFileBytes).toBeUndefined(); // not measured yet
      expect(before.rssFileBytes).toBeGreaterThan(0); // libc and sleep's own text, mapped by others too
      const action: ReclaimAction = { type: 'reclaim', pid, startTime: before.startTime, appKey: before.appKey, kind: 'file', mode: 'cold', requestedBytes: before.rssFileBytes, reason: 'test', dryRun: false };
      const outcome = await lastValueFrom(host.execute(action));
      expect(outcome.result).toBe('ok');
      const after = host.snapshot().find((p) => p.pid === pid)!;
      expect(after.sharedFileBytes).toBeGreaterThan(0);
      expect(after.sharedFileBytes!).toBeLessThanOrEqual(after.rssFileBytes);
      // With a minimum under its whole file RSS, the policy would have asked for it; now only its own part counts.
      const policy = createBuiltinRegistry().create('reclaim', { minFileBytes: 1 });
      const ctx = { now: Date.now(), busy: new Set<string>() };
      const low = { at: ctx.now, source: 'vmpressure' as const, level: 'low' as const, memory: { totalBytes: 1, availableBytes: 1, freeBytes: 1, swapTotalBytes: 0, swapFreeBytes: 0 } };
      const asked = (snap: ProcessSnapshot) => policy.plan(low, policy.rank([{ ...snap, importance: 'cached' }], ctx), ctx).find((a) => a.pid === pid);
      expect(asked(before)).toBeDefined();
      const own = after.rssFileBytes - after.sharedFileBytes!;
      const again = asked(after) as ReclaimAction | undefined;
      // Asked for its own part at most (a page or two of sleep's data here: under the policy's floors, not asked at all).
      expect(again === undefined || again.requestedBytes <= own).toBe(true);
      expect(own).toBeLessThan(before.rssFileBytes / 2);
    } finally {
      sleeper.kill('SIGKILL');
      await host.close();
    }
  });

  it('an unchanged process read a minute ago has its oom_score_adj read again, and only that and its cgroup', async () => {
    const memcg = k.memcg(`reclaimd-refresh-${process.pid}`, 256 * 1024 * 1024);
    const sleeper = spawn(memcg.wrap()[0], [...memcg.wrap().slice(1), 'sleep', '600'], { stdio: 'ignore' });
    try {
      await sleep(300);
      const pid = sleeper.pid!;
      const scanner = new ProcessScanner({ scopeCgroup: memcgPath(memcg.path), idleWindowMs: 0 });
      const t0 = Date.now();
      expect(scanner.scan(t0, new Set(), new Map()).find((p) => p.pid === pid)?.oomScoreAdj).toBe(0);
      // Ranked from outside (as Android's ActivityManager does): nothing in stat moves.
      writeFileSync(`/proc/${pid}/oom_score_adj`, '900');
      expect(scanner.scan(t0 + 1000, new Set(), new Map()).find((p) => p.pid === pid)?.oomScoreAdj).toBe(0); // not read yet
      expect(scanner.lastCounts.refreshed).toBe(0);
      const later = scanner.scan(t0 + 61_000, new Set(), new Map()).find((p) => p.pid === pid);
      expect(later).toMatchObject({ oomScoreAdj: 900, importance: 'cached' });
      expect(scanner.lastCounts.fullPids).not.toContain(pid);
      expect(scanner.lastCounts.refreshed).toBeGreaterThanOrEqual(1);
    } finally {
      sleeper.kill('SIGKILL');
    }
  });
});
