// Real-kernel benchmarks (root): `npm run bench:linux`. Each number is a ratio against a
// baseline measured in the same run, or a latency percentile.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { asyncScheduler } from 'rxjs';
import si from 'systeminformation';
import { LinuxHost } from '../host/linux/linux-host';
import { ProcessScanner } from '../host/linux/process-scanner';
import { reclaimProcess } from '../host/linux/process-reclaim';
import { readStartTime } from '../host/linux/procfs';
import { libc } from '../host/linux/libc';
import { percentiles } from '../host/sim/replay';
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

async function eventLatency(hogs: Memhogs): Promise<Record<string, number>> {
  const memcg = new Memcg(`reclaimd-bench-${process.pid}`, 384 * 1024 * 1024);
  const sleepers: ChildProcess[] = [];
  try {
    for (let i = 0; i < 270; i++) sleepers.push(spawn('sh', ['-c', `echo $$ > ${memcg.path}/cgroup.procs && exec sleep 600`], { stdio: 'ignore' }));
    const workers: ChildProcess[] = [];
    for (let i = 0; i < 29; i++) workers.push(await hogs.start(12, 8, memcg.wrap()));
    await sleep(300);
    const host = new LinuxHost({ memcg: memcg.path, scanMaxAgeMs: 2000 });
    host.snapshot();
    host.startBackgroundScan(1000);
    const alive = host.snapshot().length;
    // Defaults but a short cooldown, so the 29 workers keep offering something to reclaim.
    const engine = createEngine({ host, policy: createBuiltinRegistry().create('reclaim', { cooldownMs: 1000, minAnonBytes: 1 << 20, minFileBytes: 1 << 20 }), scheduler: asyncScheduler });
    const sub = engine.decisions$.subscribe();
    const allocator = await hogs.start(300, 0, memcg.wrap());
    const deadline = Date.now() + 30_000;
    for (let round = 0; host.eventToMadviseMs.length < 100 && Date.now() < deadline; round++) {
      allocator.kill('SIGUSR1'); // the foreground keeps using its memory: pressure goes on
      if (round % 10 === 0) for (const w of workers) w.kill('SIGUSR1'); // the background refills now and then
      await sleep(200);
    }
    sub.unsubscribe();
    await host.close();
    const p = percentiles(host.eventToMadviseMs);
    return { processesAlive: alive, samples: host.eventToMadviseMs.length, p50Ms: Math.round(p.p50 * 100) / 100, p99Ms: Math.round(p.p99 * 100) / 100 };
  } finally {
    for (const s of sleepers) s.kill('SIGKILL');
    memcg.remove();
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
    return { processes: count, procScanMs: Math.round(median(ours) * 10) / 10, systeminformationMs: Math.round(median(theirs)), speedup: Math.round(median(theirs) / median(ours)) };
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
    const result = { reclaimThroughput: await throughput(hogs, baselineBin), eventToMadvise: await eventLatency(hogs), procScan: await scanSpeed() };
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
