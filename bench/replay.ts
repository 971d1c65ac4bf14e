import { EVENT_LEVELS } from '../common/vocabulary';
// Benchmarks of the core, run with `npm run bench` (builds first). Numbers are ratios or
// percentiles measured in this one process, so they compare on the same machine and load.
import { performance } from 'node:perf_hooks';
import { createBuiltinRegistry } from '../policy-engine/policies/index';
import { MiB, type ImportanceBand, type PressureSignal, type ProcessSnapshot } from '../policy-engine/types';
import { generateScenario } from '../scenario/generate';
import { validateScenario } from '../scenario/validate';
import { replay, percentiles } from '../runs/replay';
import { SimHost } from '../host/sim/sim-host';
import { VirtualClockScheduler } from '../host/sim/virtual-scheduler';
import type { Scenario } from '../scenario/scenario';

const registry = createBuiltinRegistry();

function timeIt(fn: () => void): number {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
}

/** The device model alone, no engine: the baseline the engine's overhead is measured against. */
function simulateOnly(scenario: Scenario): void {
  const scheduler = new VirtualClockScheduler();
  const host = new SimHost(scenario, scheduler);
  host.pressure$.subscribe();
  host.start();
  scheduler.runUntil(scenario.durationMs);
}

function benchReplay(): Record<string, number> {
  const scenario = validateScenario(generateScenario({ apps: 50, durationMs: 3_600_000, seed: 1 }), 'generated');
  replay(scenario, { registry, policy: 'reclaim' }); // warm-up (JIT)
  const runs = 5;
  const walls: number[] = [];
  const bases: number[] = [];
  let decisions = 0;
  for (let i = 0; i < runs; i++) {
    bases.push(timeIt(() => simulateOnly(scenario)));
    walls.push(timeIt(() => (decisions = replay(scenario, { registry, policy: 'reclaim' }).metrics.decisions)));
  }
  const wall = median(walls);
  const base = median(bases);
  return {
    simulatedMs: scenario.durationMs,
    replayWallMs: round(wall),
    speedup: Math.round(scenario.durationMs / wall),
    modelOnlyWallMs: round(base),
    engineOverheadRatio: round(wall / base),
    decisions,
  };
}

function processes(n: number, now: number): ProcessSnapshot[] {
  const bands: ImportanceBand[] = ['cached', 'cached', 'cached', 'previous', 'service', 'perceptible', 'visible', 'home'];
  return Array.from({ length: n }, (_, i) => ({
    pid: 1000 + i,
    startTime: i,
    appKey: `app-${i}`,
    name: `app-${i}`,
    importance: i === 0 ? 'foreground' : bands[i % bands.length],
    oomScoreAdj: 900,
    priority: i % 17 === 0 ? 'low' : 'normal',
    isForeground: i === 0,
    lastForegroundAt: now - ((i * 7919) % 3_600_000),
    rssAnonBytes: ((i * 37) % 400) * MiB + 4 * MiB,
    rssFileBytes: ((i * 13) % 150) * MiB + 2 * MiB,
    swapBytes: 0,
  }));
}

function benchPlan(): Record<string, number> {
  const levels = EVENT_LEVELS;
  const samples: number[] = [];
  const policy = registry.create('reclaim');
  const iterations = 3000;
  for (let i = 0; i < iterations + 300; i++) {
    const now = 10_000_000 + i * 50;
    const procs = processes(1000, now);
    const signal: PressureSignal = {
      at: now,
      source: 'psi',
      level: levels[i % 3],
      memory: { totalBytes: 8192 * MiB, availableBytes: 300 * MiB, freeBytes: 100 * MiB, swapTotalBytes: 4096 * MiB, swapFreeBytes: 2000 * MiB },
    };
    const ctx = { now, busy: new Set<string>() };
    const t0 = performance.now();
    policy.plan(signal, policy.rank(procs, ctx), ctx);
    const us = (performance.now() - t0) * 1000;
    if (i >= 300) samples.push(us); // first 300 are warm-up
  }
  const p = percentiles(samples);
  return { processes: 1000, iterations, rankPlanP50Us: Math.round(p.p50), rankPlanP99Us: Math.round(p.p99) };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

const result = { replay50apps1h: benchReplay(), plan1000: benchPlan() };
process.stdout.write(JSON.stringify(result, null, 2) + '\n');
