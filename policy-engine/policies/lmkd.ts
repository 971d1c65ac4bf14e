import { formatBytes } from '../format';
import { isSystemBand } from '../importance';
import { configureParams, type ParamSpecs, type ParamValues } from '../params';
import { processKey, type PolicyContext, type ReclaimPolicy } from '../policy';
import type { PolicyFactory } from '../registry';
import type { MemoryReading, PlannedAction, PressureSignal, ProcessSnapshot, RankedProcess } from '../types';

// PERCEPTIBLE_APP_ADJ + 1: what lmkd's PSI strategy may kill when memory is merely low.
const ABOVE_PERCEPTIBLE = 201;
// lmkd recomputes its thrashing base once a second (THRASHING_RESET_INTERVAL_MS).
const THRASHING_RESET_MS = 1000;
// An event within this long of a kill is the same pressure cycle (lmkd polls 1 s after an event).
const KILL_CYCLE_MS = 1000;

export const LMKD_PARAMS = {
  swapFreeLowPct: { type: 'number', default: 10, min: 0, max: 100, unit: '%', description: 'ro.lmk.swap_free_low_percentage: swap counts as low below this share free.' },
  thrashingLimitPct: { type: 'number', default: 100, min: 0, max: 10_000, unit: '%', description: 'ro.lmk.thrashing_limit: file refaults per second as a share of the file LRU (30 on low-RAM devices).' },
  killTimeoutMs: { type: 'integer', default: 100, min: 0, max: 60_000, unit: 'ms', description: 'After a kill, wait this long before judging it (lmkd: 100 ms).' },
  useVmpressure: { type: 'boolean', default: false, description: 'Also act on vmpressure events with the legacy level table (lmkd without PSI).' },
  lowMinAdj: { type: 'integer', default: 1001, min: -1000, max: 1001, description: 'Legacy ro.lmk.low: kill at or above this adj on a low vmpressure event (1001: never).' },
  mediumMinAdj: { type: 'integer', default: 800, min: -1000, max: 1001, description: 'Legacy ro.lmk.medium.' },
  criticalMinAdj: { type: 'integer', default: 0, min: -1000, max: 1001, description: 'Legacy ro.lmk.critical.' },
} as const satisfies ParamSpecs;

export type LmkdParams = ParamValues<typeof LMKD_PARAMS>;

type Watermark = 'min' | 'low' | 'high' | 'none';

/**
 * Baseline: Android lmkd's PSI strategy (mp_event_psi). It never reclaims. On a PSI event it
 * decides from watermarks, swap left and page-cache thrashing whether to kill, and how deep
 * (adj ≥ 201, or ≥ 0 when the device stops responding), then kills one process with the
 * highest oom_score_adj, least recently used first within an adj. User priorities are
 * invisible to it, except `protected`, which we honour as a persistent process would be.
 */
export class LmkdPolicy implements ReclaimPolicy {
  readonly name = 'lmkd';
  private lastKillAt = -Infinity;
  private thrashBaseAt = -Infinity;
  private thrashBaseRefaults = 0;
  private thrashBaseFileLru = 0;
  private prevThrashGrowth = 0;
  private lastPgscanDirect: number | null = null;

  constructor(readonly params: LmkdParams) {}

  rank(procs: readonly ProcessSnapshot[]): RankedProcess[] {
    const ranked = procs.map((p): RankedProcess => {
      const blocked =
        p.untouchable ?? (p.priority === 'protected' ? 'protected by user priority' : isSystemBand(p.importance) || p.oomScoreAdj < 0 ? 'persistent/system' : null);
      return {
        process: p,
        score: blocked ? -Infinity : p.oomScoreAdj,
        effectiveAdj: p.oomScoreAdj,
        eligible: blocked === null,
        why: blocked ? `not a candidate: ${blocked}` : `oom_score_adj ${p.oomScoreAdj}, ${formatBytes(p.rssAnonBytes + p.rssFileBytes)} resident`,
      };
    });
    // Highest adj first; least recently used first within an adj (never used is oldest).
    ranked.sort(
      (a, b) =>
        b.score - a.score ||
        (a.process.lastForegroundAt ?? -Infinity) - (b.process.lastForegroundAt ?? -Infinity) ||
        a.process.pid - b.process.pid,
    );
    return ranked;
  }

  plan(signal: PressureSignal, ranked: readonly RankedProcess[], ctx: PolicyContext): PlannedAction[] {
    const decision = signal.source === 'vmpressure' ? this.legacyDecision(signal) : this.psiDecision(signal, ctx.now);
    if (!decision || ctx.now - this.lastKillAt < this.params.killTimeoutMs) return [];
    const victim = ranked.find((r) => r.eligible && r.effectiveAdj >= decision.minAdj && !ctx.busy.has(processKey(r.process)));
    if (!victim) return [];
    this.lastKillAt = ctx.now;
    const proc = victim.process;
    return [
      {
        type: 'kill',
        pid: proc.pid,
        startTime: proc.startTime,
        appKey: proc.appKey,
        requestedBytes: proc.rssAnonBytes + proc.rssFileBytes + proc.swapBytes,
        reason: `${decision.reason} (${signal.source} ${signal.level}), min adj ${decision.minAdj}; ${victim.why}`,
        dryRun: false,
      },
    ];
  }

  private legacyDecision(signal: PressureSignal): { minAdj: number; reason: string } | null {
    if (!this.params.useVmpressure) return null;
    const p = this.params;
    const minAdj = signal.level === 'critical' ? p.criticalMinAdj : signal.level === 'medium' ? p.mediumMinAdj : signal.level === 'low' ? p.lowMinAdj : 1001;
    return minAdj > 1000 ? null : { minAdj, reason: `vmpressure ${signal.level}` };
  }

  /** The kill reasons of mp_event_psi, in lmkd's order. */
  private psiDecision(signal: PressureSignal, now: number): { minAdj: number; reason: string } | null {
    const p = this.params;
    const m = signal.memory;
    const wmark = watermarkLevel(m);
    const thrashing = this.thrashing(m, now);
    const swapLow = m.swapTotalBytes > 0 && m.swapFreeBytes < (m.swapTotalBytes * p.swapFreeLowPct) / 100;
    const pgscan = m.pgscanDirect ?? null;
    const directReclaim = pgscan !== null && this.lastPgscanDirect !== null && pgscan > this.lastPgscanDirect;
    this.lastPgscanDirect = pgscan;
    const belowHigh = wmark !== 'none';

    const cycleAfterKill = now - this.lastKillAt <= KILL_CYCLE_MS;
    if (cycleAfterKill && (wmark === 'min' || wmark === 'low')) return { minAdj: 0, reason: 'min watermark is breached even after kill' };
    if (signal.level === 'critical') return { minAdj: 0, reason: 'device is not responding (PSI full stall)' };
    if (swapLow && thrashing > p.thrashingLimitPct) return { minAdj: ABOVE_PERCEPTIBLE, reason: `thrashing ${thrashing}% while swap is low` };
    if (swapLow && belowHigh) return { minAdj: wmark === 'min' ? 0 : ABOVE_PERCEPTIBLE, reason: `${wmark} watermark breached and swap is low` };
    if (belowHigh && thrashing > p.thrashingLimitPct) return { minAdj: ABOVE_PERCEPTIBLE, reason: `thrashing ${thrashing}% and ${wmark} watermark breached` };
    if (directReclaim && thrashing > p.thrashingLimitPct) return { minAdj: ABOVE_PERCEPTIBLE, reason: `thrashing ${thrashing}% with direct reclaim` };
    return null;
  }

  /** File refaults since the last base, as a share of the file LRU at that base (lmkd's measure). */
  private thrashing(m: MemoryReading, now: number): number {
    const refaults = m.workingsetRefaultFile;
    const fileLru = m.fileCacheBytes;
    if (refaults === undefined || fileLru === undefined) return 0;
    const lruPages = fileLru / 4096;
    if (now - this.thrashBaseAt >= THRASHING_RESET_MS) {
      this.prevThrashGrowth = this.thrashBaseAt === -Infinity ? 0 : Math.round(((refaults - this.thrashBaseRefaults) * 100) / (this.thrashBaseFileLru + 1));
      this.thrashBaseAt = now;
      this.thrashBaseRefaults = refaults;
      this.thrashBaseFileLru = lruPages;
      return this.prevThrashGrowth;
    }
    return Math.round(((refaults - this.thrashBaseRefaults) * 100) / (this.thrashBaseFileLru + 1)) + this.prevThrashGrowth;
  }
}

function watermarkLevel(m: MemoryReading): Watermark {
  const w = m.watermarks;
  if (!w) return 'none';
  if (m.freeBytes < w.minBytes) return 'min';
  if (m.freeBytes < w.lowBytes) return 'low';
  if (m.freeBytes < w.highBytes) return 'high';
  return 'none';
}

export const lmkdPolicyFactory: PolicyFactory = {
  name: 'lmkd',
  description: "Baseline of Android lmkd's PSI strategy: kills by oom_score_adj (highest first, LRU within an adj) when swap is low, watermarks are breached or the page cache thrashes; never reclaims.",
  params: LMKD_PARAMS,
  create: (config?: unknown) => new LmkdPolicy(configureParams('lmkd', LMKD_PARAMS, config)),
};
