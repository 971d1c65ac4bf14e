// Real-kernel benchmarks (root): `npm run bench:linux`. Each number is a ratio against a
// baseline measured in the same run, or a latency percentile.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { asyncScheduler, type Subscription } from 'rxjs';
import si from 'systeminformation';
import { LinuxHost } from '../host/linux/linux-host';
import { ProcessScanner } from '../host/linux/process-scanner';
import { reclaimProcess } from '../host/linux/process-reclaim';
import { readStartTime, readStat } from '../host/linux/procfs';
import { lockAgentMemory, raiseMainThread, unlockAgentMemory } from '../host/linux/realtime';
import { libc } from '../host/linux/libc';
import { percentiles } from '../runs/replay';
import { createEngine } from '../policy-engine/engine';
import { createBuiltinRegistry } from '../policy-engine/policies/index';
import { ensureZramSwap, kernelTestsUnavailable, Memcg } from '../test/helpers/kernel';
import { Memhogs, projectFile } from '../test/helpers/memhog';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Bring every page back (the workload touches all of it) before the next round. */
async function retouch(child: ChildProcess): Promise<void> {
  await new Promise<void>((resolve) => {
    const onData = (d: Buffer) => {
      if (d.toString().includes('touched')) {
        child.stdout!.off('data', onData);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.kill('SIGUSR1');
  });
}

async function throughput(hogs: Memhogs, baselineBin: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  const child = await hogs.start(256, 256);
  libc(); // load the FFI library before timing anything
  for (const kind of ['file', 'anon'] as const) {
    const ours: number[] = [];
    const theirs: number[] = [];
    for (let round = 0; round < 16; round++) {
      await retouch(child);
      if (round % 2 === 0) {
        const r = reclaimProcess({ pid: child.pid, startTime: readStartTime(child.pid)!, kind, mode: 'pageout', budgetBytes: 0 });
        ours.push(r.advisedBytes / (r.durationMs / 1000));
      } else {
        const [bytes, ns] = execFileSync(baselineBin, [String(child.pid), kind], { encoding: 'utf8' }).trim().split(' ').map(Number);
        theirs.push(bytes / (ns / 1e9));
      }
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    out[`${kind}MiBPerSec`] = Math.round(median(ours) / 1048576);
    out[`${kind}BaselineMiBPerSec`] = Math.round(median(theirs) / 1048576);
    out[`${kind}Ratio`] = Math.round((median(ours) / median(theirs)) * 100) / 100;
  }
  return out;
}

/**
 * A busy loop per core for the duration of `body`, killed after even if it throws: the
 * "other work shares the cores" case, where a reaction waits for a CPU unless it has a
 * real-time priority.
 */
async function withCpuLoad<T>(body: () => Promise<T>): Promise<T> {
  const burners = Array.from({ length: cpus().length }, () => spawn('sh', ['-c', 'while :; do :; done'], { stdio: 'ignore' }));
  try {
    return await body();
  } finally {
    for (const b of burners) b.kill('SIGKILL');
  }
}

async function eventLatency(hogs: Memhogs): Promise<Record<string, number | string | boolean | Record<string, number>>> {
  const memcg = new Memcg(`reclaimd-bench-${process.pid}`, 384 * 1024 * 1024);
  const sleepers: ChildProcess[] = [];
  // As the agent does (agent-host.ts): its own pages stay resident under the pressure it measures.
  const lock = lockAgentMemory();
  let host: LinuxHost | null = null;
  let sub: Subscription | null = null;
  let main: ReturnType<typeof raiseMainThread> | null = null;
  try {
    for (let i = 0; i < 270; i++) sleepers.push(spawn('sh', ['-c', `echo $$ > ${memcg.path}/cgroup.procs && exec sleep 600`], { stdio: 'ignore' }));
    const workers: ChildProcess[] = [];
    for (let i = 0; i < 29; i++) workers.push(await hogs.start(12, 8, memcg.wrap()));
    await sleep(300);
    host = new LinuxHost({ memcg: memcg.path, scanMaxAgeMs: 2000 });
    host.snapshot();
    host.startBackgroundScan();
    const alive = host.snapshot().length;
    // Defaults but a short cooldown, so the 29 workers keep offering something to reclaim.
    const engine = createEngine({ host, policy: createBuiltinRegistry().create('reclaim', { cooldownMs: 1000, minAnonBytes: 1 << 20, minFileBytes: 1 << 20 }), scheduler: asyncScheduler });
    sub = engine.decisions$.subscribe();
    const allocator = await hogs.start(300, 0, memcg.wrap());
    // As the agent does (agent-host.ts), once the processes it measures run: they would inherit it.
    main = raiseMainThread();
    const deadline = Date.now() + 30_000;
    for (let round = 0; host.eventToMadviseMs.length < 100 && Date.now() < deadline; round++) {
      allocator.kill('SIGUSR1'); // the foreground keeps using its memory: pressure goes on
      if (round % 10 === 0) for (const w of workers) w.kill('SIGUSR1'); // the background refills now and then
      await sleep(200);
    }
    sub.unsubscribe();
    await host.close();
    const round2 = (x: number) => Math.round(x * 100) / 100;
    const stats = (xs: number[]) => {
      const p = percentiles(xs);
      return { samples: xs.length, p50Ms: round2(p.p50), p99Ms: round2(p.p99), maxMs: round2(Math.max(0, ...xs)) };
    };
    const reaction = stats(host.reactionToMadviseMs);
    const counts = host.reactionCounts;
    const postedToEngine = counts.notArmed + counts.slotEmpty + counts.candidatesBusy + counts.candidatesGone;
    return {
      processesAlive: alive,
      ...stats(host.eventToMadviseMs),
      // Events the reaction thread answered itself; the rest came before it was re-armed and went through the engine.
      byReactionThread: reaction.samples,
      reactionP50Ms: reaction.p50Ms,
      reactionP99Ms: reaction.p99Ms,
      reactionMaxMs: reaction.maxMs,
      // What became of every kernel event: heard = throttled + answered by the thread + posted to the engine.
      events: { ...counts, postedToEngine, answeredByEngine: host.eventToMadviseMs.length - host.reactionToMadviseMs.length },
      reactionThread: host.reactionPriority?.policy ?? 'not started',
      mainThread: main.priority.detail,
      memoryLocked: lock.locked,
    };
  } finally {
    // Also on a failure: the reaction thread and the engine must not keep the bench alive.
    sub?.unsubscribe();
    await host?.close();
    main?.restore();
    unlockAgentMemory(lock);
    for (const s of sleepers) s.kill('SIGKILL');
    memcg.remove();
  }
}

/** utime + stime of a process in clock ticks (all its threads). */
function cpuTicks(pid: number): number {
  const stat = readStat(pid);
  if (!stat) throw new Error(`process ${pid} is gone`);
  return stat.cpuTicks;
}

/**
 * The agent idle: `reclaimd run --dry-run` beside 300 sleeping processes and no pressure,
 * CPU over IDLE_MEASURE_MS after IDLE_WARMUP_MS (start-up is not idle), RSS at the end.
 */
const IDLE_WARMUP_MS = 10_000;
const IDLE_MEASURE_MS = 60_000;
/** The machine's memory stall so far (PSI some total, µs): pressure during the idle window makes the agent scan fast, so it is reported beside the cost. */
function psiSomeTotalUs(): number {
  return Number(/^some .* total=(\d+)/m.exec(readFileSync('/proc/pressure/memory', 'utf8'))?.[1] ?? 0);
}

async function idleCost(): Promise<{ cpuPct: number; rssMiB: number; rssMB: number; seconds: number; memoryStallMsDuring: number }> {
  const sleepers: ChildProcess[] = [];
  let agent: ChildProcess | null = null;
  try {
    for (let i = 0; i < 300; i++) sleepers.push(spawn('sleep', ['600'], { stdio: 'ignore' }));
    agent = spawn(process.execPath, [projectFile('bin/reclaimd.js'), 'run', '--dry-run', '--no-db'], { stdio: 'ignore' });
    const pid = agent.pid!;
    await sleep(IDLE_WARMUP_MS);
    const hz = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    const t0 = performance.now();
    const ticks0 = cpuTicks(pid);
    const stall0 = psiSomeTotalUs();
    await sleep(IDLE_MEASURE_MS);
    const ticks = cpuTicks(pid) - ticks0;
    const memoryStallMsDuring = Math.round((psiSomeTotalUs() - stall0) / 1000);
    const seconds = (performance.now() - t0) / 1000;
    const rssKiB = Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
    return { cpuPct: Math.round((ticks / hz / seconds) * 100 * 100) / 100, rssMiB: Math.round(rssKiB / 1024), rssMB: Math.round((rssKiB * 1024) / 1e6), seconds: Math.round(seconds), memoryStallMsDuring };
  } finally {
    agent?.kill('SIGKILL');
    for (const s of sleepers) s.kill('SIGKILL');
  }
}

async function scanSpeed(): Promise<Record<string, number>> {
  const sleepers: ChildProcess[] = [];
  try {
    for (let i = 0; i < 300; i++) sleepers.push(spawn('sleep', ['600'], { stdio: 'ignore' }));
    await sleep(300);
    const scanner = new ProcessScanner();
    const ours: number[] = [];
    const theirs: number[] = [];
    let count = 0;
    for (let i = 0; i < 5; i++) {
      let t0 = performance.now();
      count = scanner.scan(Date.now(), new Set(), new Map()).length;
      ours.push(performance.now() - t0);
      await sleep(600); // systeminformation answers from a cache when asked again within 500 ms
      t0 = performance.now();
      await si.processes();
      theirs.push(performance.now() - t0);
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    // The first scan reads every process; the next ones only what changed (the agent's case).
    return {
      processes: count,
      procScanMs: Math.round(ours[0] * 10) / 10,
      incrementalScanMs: Math.round(median(ours.slice(1)) * 10) / 10,
      systeminformationMs: Math.round(median(theirs)),
      speedup: Math.round(median(theirs) / ours[0]),
    };
  } finally {
    for (const s of sleepers) s.kill('SIGKILL');
  }
}

async function main(): Promise<void> {
  const why = kernelTestsUnavailable();
  if (why) {
    process.stdout.write(`bench/linux skipped: ${why}\n`);
    return;
  }
  const hogs = new Memhogs();
  const undo = ensureZramSwap('2G');
  if (typeof undo === 'string') throw new Error(undo);
  const baselineBin = join(hogs.dir, 'madvise-baseline');
  execFileSync('cc', ['-O2', '-o', baselineBin, projectFile('bench/c/madvise-baseline.c')]);
  try {
    // BENCH_LINUX_ONLY=idle,eventToMadvise runs only those parts (each takes its minute).
    const only = process.env.BENCH_LINUX_ONLY?.split(',');
    const parts: [string, () => Promise<unknown>][] = [
      ['reclaimThroughput', () => throughput(hogs, baselineBin)],
      ['eventToMadvise', () => eventLatency(hogs)],
      ['eventToMadviseUnderContention', () => withCpuLoad(() => eventLatency(hogs))],
      ['idle', () => idleCost()],
      ['procScan', () => scanSpeed()],
    ];
    const unknown = only?.filter((name) => !parts.some(([n]) => n === name)) ?? [];
    if (unknown.length) throw new Error(`BENCH_LINUX_ONLY: no part named ${unknown.join(', ')} (parts: ${parts.map(([n]) => n).join(', ')})`);
    const result: Record<string, unknown> = { loadAverage: loadavg().map((x) => Math.round(x * 100) / 100) };
    for (const [name, run] of parts) if (!only || only.includes(name)) result[name] = await run();
    process.stdout.write(JSON.stringify(result, null, 2) + '\n');
  } finally {
    hogs.dispose();
    undo();
  }
}

void main().catch((err) => {
  process.stderr.write(`bench/linux failed: ${(err as Error).stack}\n`);
  process.exitCode = 1;
});
