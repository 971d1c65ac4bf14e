import { formatBytes } from '../../common/format';
import { configureParams, type ParamSpecs, type ParamValues } from '../params';
import { processKey, type PolicyContext, type ReclaimPolicy } from '../policy';
import type { PolicyFactory } from '../registry';
import { MiB, PAGE_SIZE, type PlannedAction, type PressureSignal, type RankedProcess } from '../types';
import { RECLAIM_PARAMS, ReclaimPolicyImpl, coldEstimate } from './reclaim';

// Meta's Senpai (facebookincubator/senpai, senpai.py @c51e8e2): every `interval` (6 s) it
// compares the cgroup's PSI some stall during the interval with a target (10 ms per 6 s).
// Above the target it backs off; below it, it tightens memory.high by
// min(max_probe, max_probe × (target / stall / coeff_probe)²) of the limit — 1 % at little
// pressure. Here there is no per-app memory.high to lower, so each cold app's probe is that
// share of its resident memory, reclaimed; backing off is reclaiming nothing that period.
export const PROACTIVE_PARAMS = {
  intervalMs: { type: 'integer', default: 6000, min: 100, max: 3_600_000, unit: 'ms', description: 'Controller period (Senpai: 6 s).' },
  targetSomePct: { type: 'number', default: 0.17, min: 0.001, max: 100, unit: '%', description: 'PSI some stall to hold memory pressure under, as a share of the period (Senpai: 10 ms per 6 s ≈ 0.17%).' },
  maxStepPct: { type: 'number', default: 1, min: 0, max: 10, unit: '% of the app', description: "Most of a cold app's resident memory reclaimed in one period (Senpai max_probe: 1%)." },
  coeffProbe: { type: 'number', default: 10, min: 1, max: 1000, description: 'The step reaches maxStepPct when the stall is this many times under the target (Senpai coeff_probe: 10).' },
  coldAfterMs: { type: 'integer', default: 120_000, min: 0, max: 86_400_000, unit: 'ms', description: 'An app untouched this long is cold and may be trimmed (far memory: 120 s).' },
  minStepBytes: { type: 'integer', default: PAGE_SIZE, min: 0, max: 1024 * MiB, unit: 'bytes', description: "Skip an app whose step is smaller than this (one page: less reclaims nothing)." },
  minTrimAdj: { type: 'integer', default: 500, min: -1000, max: 3000, description: 'Only trim apps at or above this effective adj (services and up).' },
  maxActionsPerTick: { type: 'integer', default: 4, min: 1, max: 64, description: 'Most apps trimmed in one period.' },
} as const satisfies ParamSpecs;

export type ProactiveParams = ParamValues<typeof PROACTIVE_PARAMS>;

/**
 * Senpai-style proactive trimming of cold apps on a timer, plus the `reclaim` policy's
 * answer to medium and critical events (a controller alone reacts too slowly to a burst).
 */
export class ProactivePolicy implements ReclaimPolicy {
  readonly name = 'proactive';
  readonly tickIntervalMs: number;

  constructor(readonly params: ProactiveParams, private readonly reactive: ReclaimPolicyImpl) {
    this.tickIntervalMs = params.intervalMs;
  }

  rank(procs: Parameters<ReclaimPolicy['rank']>[0], ctx: PolicyContext): RankedProcess[] {
    return this.reactive.rank(procs, ctx);
  }

  plan(signal: PressureSignal, ranked: readonly RankedProcess[], ctx: PolicyContext): PlannedAction[] {
    if (signal.source !== 'timer') {
      return signal.level === 'medium' || signal.level === 'critical' ? this.reactive.plan(signal, ranked, ctx) : [];
    }
    const p = this.params;
    const some = signal.psi?.someAvg10 ?? 0;
    const share = probeShare(p, some);
    if (share === 0) return [];
    const actions: PlannedAction[] = [];
    for (const r of ranked) {
      if (actions.length >= p.maxActionsPerTick) break;
      const proc = r.process;
      if (!r.eligible || r.effectiveAdj < p.minTrimAdj || ctx.busy.has(processKey(proc))) continue;
      if (proc.lastForegroundAt !== null && ctx.now - proc.lastForegroundAt < p.coldAfterMs) continue;
      // Senpai's step is a share of the app; it never asks for more than the host's idle
      // estimate of it (the reactive policy's), so a trim is of cold pages only.
      const cold = coldEstimate(proc);
      const idle = cold.anonBytes + cold.fileBytes;
      const step = Math.floor((proc.rssAnonBytes + proc.rssFileBytes) * share);
      const bytes = cold.known ? Math.min(step, idle) : step;
      if (bytes < Math.max(1, p.minStepBytes)) continue;
      actions.push({
        type: 'reclaim',
        pid: proc.pid,
        startTime: proc.startTime,
        appKey: proc.appKey,
        kind: 'all',
        mode: 'pageout',
        requestedBytes: bytes,
        reason:
          `proactive probe ${formatBytes(bytes)} = ${round3(share * 100)}% of its memory` +
          (cold.known ? `, within its idle ${formatBytes(idle)} (host's idle estimate)` : '') +
          ` (psi some avg10 ${some}% vs target ${p.targetSomePct}%): ${r.why}`,
        dryRun: false,
      });
    }
    return actions;
  }

  /** Only the reactive half answers kernel events; the timer's steps are planned on the tick. */
  planAhead(signal: PressureSignal, ranked: readonly RankedProcess[], ctx: PolicyContext): PlannedAction[] {
    return signal.source !== 'timer' && (signal.level === 'medium' || signal.level === 'critical') ? this.reactive.planAhead(signal, ranked, ctx) : [];
  }

  observe(outcome: Parameters<NonNullable<ReclaimPolicy['observe']>>[0]): void {
    this.reactive.observe(outcome);
  }
}

/**
 * Senpai's probe as a share of memory: 0 when the period's stall is over the target (back
 * off), up to maxStepPct when it is far under. avg10 stands for the period's stall share.
 */
export function probeShare(p: ProactiveParams, someAvg10Pct: number): number {
  if (someAvg10Pct > p.targetSomePct) return 0;
  const max = p.maxStepPct / 100;
  if (someAvg10Pct <= 0) return max;
  const err = p.targetSomePct / someAvg10Pct;
  return Math.min(max, max * (err / p.coeffProbe) ** 2);
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

export const proactivePolicyFactory: PolicyFactory = {
  name: 'proactive',
  description: 'Senpai-style: every 6 s, reclaim up to 1% of each cold app while PSI some stays under a target; reacts to medium/critical like `reclaim`.',
  params: PROACTIVE_PARAMS,
  create: (config?: unknown) =>
    new ProactivePolicy(configureParams('proactive', PROACTIVE_PARAMS, config), new ReclaimPolicyImpl(configureParams('reclaim', RECLAIM_PARAMS, { idleWhenCached: false }), 'proactive')),
};
