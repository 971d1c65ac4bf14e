import { formatBytes } from '../format';
import { configureParams, type ParamSpecs, type ParamValues } from '../params';
import { processKey, type PolicyContext, type ReclaimPolicy } from '../policy';
import type { PolicyFactory } from '../registry';
import { MiB, type PlannedAction, type PressureSignal, type RankedProcess } from '../types';
import { RECLAIM_PARAMS, ReclaimPolicyImpl } from './reclaim';

// Meta's Senpai: every interval, reclaim memory × ratio × max(0, 1 − psi_some / target),
// at most maxStep of memory, so pressure is held just under the target.
export const PROACTIVE_PARAMS = {
  intervalMs: { type: 'integer', default: 6000, min: 100, max: 3_600_000, unit: 'ms', description: 'Controller period (Senpai: 6 s).' },
  targetSomePct: { type: 'number', default: 0.1, min: 0.001, max: 100, unit: '%', description: 'PSI some avg10 to hold memory pressure under (Senpai: ~0.1%).' },
  reclaimRatio: { type: 'number', default: 0.0005, min: 0, max: 0.1, description: 'Share of used memory reclaimed per period at zero pressure.' },
  maxStepPct: { type: 'number', default: 1, min: 0, max: 10, unit: '% of RAM', description: 'Most memory reclaimed in one period.' },
  coldAfterMs: { type: 'integer', default: 120_000, min: 0, max: 86_400_000, unit: 'ms', description: 'An app untouched this long is cold and may be trimmed (far memory: 120 s).' },
  minStepBytes: { type: 'integer', default: 1 * MiB, min: 0, max: 1024 * MiB, unit: 'bytes', description: 'Skip a period whose step is smaller than this.' },
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
    const used = signal.memory.totalBytes - signal.memory.availableBytes;
    const step = Math.min((signal.memory.totalBytes * p.maxStepPct) / 100, used * p.reclaimRatio * Math.max(0, 1 - some / p.targetSomePct));
    if (step < p.minStepBytes) return [];
    let remaining = step;
    const actions: PlannedAction[] = [];
    for (const r of ranked) {
      if (remaining <= 0 || actions.length >= p.maxActionsPerTick) break;
      const proc = r.process;
      if (!r.eligible || r.effectiveAdj < p.minTrimAdj || ctx.busy.has(processKey(proc))) continue;
      if (proc.lastForegroundAt !== null && ctx.now - proc.lastForegroundAt < p.coldAfterMs) continue;
      const resident = proc.rssAnonBytes + proc.rssFileBytes;
      if (resident < p.minStepBytes) continue;
      const bytes = Math.min(remaining, resident);
      remaining -= bytes;
      actions.push({
        type: 'reclaim',
        pid: proc.pid,
        startTime: proc.startTime,
        appKey: proc.appKey,
        kind: 'all',
        mode: 'pageout',
        requestedBytes: Math.ceil(bytes),
        reason: `proactive step ${formatBytes(step)} (psi some avg10 ${some}% vs target ${p.targetSomePct}%): ${r.why}`,
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

export const proactivePolicyFactory: PolicyFactory = {
  name: 'proactive',
  description: 'Senpai-style: small periodic reclaim of cold apps to hold PSI some under a target; reacts to medium/critical like `reclaim`.',
  params: PROACTIVE_PARAMS,
  create: (config?: unknown) =>
    new ProactivePolicy(configureParams('proactive', PROACTIVE_PARAMS, config), new ReclaimPolicyImpl(configureParams('reclaim', RECLAIM_PARAMS, undefined), 'proactive')),
};
