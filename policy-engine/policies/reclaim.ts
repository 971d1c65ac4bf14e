import { formatBytes, formatDuration } from '../format';
import { configureParams, type ParamSpecs, type ParamValues } from '../params';
import { processKey, type PolicyContext, type ReclaimPolicy } from '../policy';
import { rankProcesses } from '../ranking';
import type { PolicyFactory } from '../registry';
import { MiB, type KillAction, type PlannedAction, type PressureLevel, type PressureSignal, type RankedProcess, type ReclaimAction } from '../types';

export const RECLAIM_PARAMS = {
  cooldownMs: { type: 'integer', default: 10_000, min: 0, max: 3_600_000, unit: 'ms', description: 'Pause after reclaiming a process before it is reclaimed again (Android compaction throttles 0.5–10 s).' },
  minAnonBytes: { type: 'integer', default: 12 * MiB, min: 0, max: 1024 * MiB, unit: 'bytes', description: 'Skip anon reclaim of a process with less resident anon than this (Android: ~12 MB).' },
  minFileBytes: { type: 'integer', default: 8 * MiB, min: 0, max: 1024 * MiB, unit: 'bytes', description: 'Skip file reclaim of a process with less resident file cache than this.' },
  maxActionsPerSignal: { type: 'integer', default: 4, min: 1, max: 64, description: 'Most reclaim actions planned for one pressure signal.' },
  lowTargetPct: { type: 'number', default: 1, min: 0, max: 50, unit: '% of RAM', description: 'How much to try to free on a low signal.' },
  mediumTargetPct: { type: 'number', default: 4, min: 0, max: 50, unit: '% of RAM', description: 'How much to try to free on a medium signal.' },
  criticalTargetPct: { type: 'number', default: 10, min: 0, max: 50, unit: '% of RAM', description: 'How much to try to free on a critical signal.' },
  lowMinAdj: { type: 'integer', default: 900, min: -1000, max: 3000, description: 'Low pressure reclaims file pages of apps at or above this effective adj (cached).' },
  mediumMinAdj: { type: 'integer', default: 700, min: -1000, max: 3000, description: 'Medium pressure reclaims anon and file pages at or above this adj (previous and cached).' },
  criticalMinAdj: { type: 'integer', default: 200, min: -1000, max: 3000, description: 'Critical pressure reclaims all pages at or above this adj (everything but foreground and visible).' },
  allowKill: { type: 'boolean', default: true, description: 'Allow a kill as the last resort when reclaim can no longer relieve critical pressure.' },
  swapLowPct: { type: 'number', default: 5, min: 0, max: 100, unit: '%', description: 'Swap (zram) counts as exhausted below this share free: anon reclaim can no longer help.' },
  killAfterMs: { type: 'integer', default: 3000, min: 0, max: 600_000, unit: 'ms', description: 'Critical pressure must last this long with reclaim exhausted before a kill.' },
  killMinAdj: { type: 'integer', default: 200, min: 0, max: 3000, description: 'Never kill below this effective adj (foreground and visible apps are never killed).' },
  killIntervalMs: { type: 'integer', default: 2000, min: 0, max: 600_000, unit: 'ms', description: 'Wait at least this long after a kill before judging whether another is needed.' },
  growthWindowMs: { type: 'integer', default: 60_000, min: 1000, max: 3_600_000, unit: 'ms', description: 'Window over which memory growth marks a likely leaker as the kill victim.' },
} as const satisfies ParamSpecs;

export type ReclaimParams = ParamValues<typeof RECLAIM_PARAMS>;

/** A gap this long between critical signals ends a critical episode. */
const CRITICAL_EPISODE_GAP_MS = 5000;

/**
 * The default policy: escalating per-process reclaim.
 * - low: drop file pages of cached apps;
 * - medium: anon (into zram) and file pages of previous and cached apps;
 * - critical: all pages of everything but foreground, visible and protected apps;
 * - kill only if allowed, after critical pressure has lasted with reclaim exhausted, and then
 *   the app that frees the most for the least value — a growing app first (a leak).
 */
export class ReclaimPolicyImpl implements ReclaimPolicy {
  readonly name: string;
  private readonly lastReclaimAt = new Map<string, number>();
  private readonly footprints = new Map<string, { at: number; bytes: number }[]>();
  private criticalSince: number | null = null;
  private lastCriticalAt = -Infinity;
  private lastKillAt = -Infinity;

  constructor(readonly params: ReclaimParams, name = 'reclaim') {
    this.name = name;
  }

  rank(procs: Parameters<ReclaimPolicy['rank']>[0], ctx: PolicyContext): RankedProcess[] {
    this.recordFootprints(procs, ctx.now);
    return rankProcesses(procs, ctx.now);
  }

  plan(signal: PressureSignal, ranked: readonly RankedProcess[], ctx: PolicyContext): PlannedAction[] {
    if (signal.level === 'none') return [];
    const now = ctx.now;
    this.trackCriticalEpisode(signal.level, now);
    const { actions, planned, target } = this.reclaims(signal, ranked, ctx);
    for (const a of actions) this.lastReclaimAt.set(processKey(a), now);
    if ((signal.level === 'critical' || signal.level === 'medium') && this.params.allowKill) {
      const kill = this.planKill(signal, ranked, ctx, planned, target);
      if (kill) actions.push(kill);
    }
    this.prune(now);
    return actions;
  }

  planAhead(signal: PressureSignal, ranked: readonly RankedProcess[], ctx: PolicyContext): PlannedAction[] {
    return signal.level === 'none' ? [] : this.reclaims(signal, ranked, ctx).actions;
  }

  /** The reclaims for a signal, best victim first; records nothing (plan() starts the cooldowns). */
  private reclaims(signal: PressureSignal, ranked: readonly RankedProcess[], ctx: PolicyContext): { actions: PlannedAction[]; planned: number; target: number } {
    const now = ctx.now;
    const p = this.params;
    const target = (signal.memory.totalBytes * this.targetPct(signal.level)) / 100;
    const minAdj = signal.level === 'low' ? p.lowMinAdj : signal.level === 'medium' ? p.mediumMinAdj : p.criticalMinAdj;
    let swapBudget = signal.memory.swapFreeBytes;
    let planned = 0;
    const actions: PlannedAction[] = [];

    for (const r of ranked) {
      if (planned >= target || actions.length >= p.maxActionsPerSignal) break;
      const proc = r.process;
      const key = processKey(proc);
      // Each pass-over records its reason on the candidate: the decision shows why the
      // ones ranked above the chosen victim were not taken.
      if (!r.eligible) {
        r.skipped = `not eligible: ${r.why.replace(/^not a candidate: /, '')}`;
        continue;
      }
      if (r.effectiveAdj < minAdj) {
        r.skipped = `adj ${r.effectiveAdj} is below the ${signal.level} level's minimum ${minAdj}`;
        continue;
      }
      if (ctx.busy.has(key)) {
        r.skipped = 'busy: an action on it is still in flight';
        continue;
      }
      const since = now - (this.lastReclaimAt.get(key) ?? -Infinity);
      if (since < p.cooldownMs) {
        r.skipped = `cooldown: reclaimed ${formatDuration(since)} ago (cooldown ${formatDuration(p.cooldownMs)})`;
        continue;
      }
      const file = proc.rssFileBytes >= p.minFileBytes ? proc.rssFileBytes : 0;
      const anonWanted = signal.level !== 'low' && proc.rssAnonBytes >= p.minAnonBytes ? proc.rssAnonBytes : 0;
      const anon = anonWanted > 0 && swapBudget >= p.minAnonBytes ? Math.min(anonWanted, swapBudget) : 0;
      if (file === 0 && anon === 0) {
        r.skipped =
          anonWanted > 0
            ? `swap is full: ${formatBytes(swapBudget)} left for anon, and ${formatBytes(proc.rssFileBytes)} of file pages is under the ${formatBytes(p.minFileBytes)} minimum`
            : `too small: ${formatBytes(proc.rssFileBytes)} file${signal.level === 'low' ? '' : ` and ${formatBytes(proc.rssAnonBytes)} anon`} under the minimums (${formatBytes(p.minFileBytes)} file${signal.level === 'low' ? '' : `, ${formatBytes(p.minAnonBytes)} anon`})`;
        continue;
      }
      swapBudget -= anon;
      const kind = file > 0 && anon > 0 ? 'all' : anon > 0 ? 'anon' : 'file';
      const action: ReclaimAction = {
        type: 'reclaim',
        pid: proc.pid,
        startTime: proc.startTime,
        appKey: proc.appKey,
        kind,
        mode: 'pageout',
        requestedBytes: anon + file,
        reason: `${signal.level} pressure (${signal.source}): ${r.why}`,
        dryRun: false,
      };
      actions.push(action);
      planned += anon + file;
    }
    return { actions, planned, target };
  }

  observe(outcome: Parameters<NonNullable<ReclaimPolicy['observe']>>[0]): void {
    if (outcome.result === 'gone') this.lastReclaimAt.delete(processKey(outcome.action));
  }

  private targetPct(level: PressureLevel): number {
    const p = this.params;
    return level === 'low' ? p.lowTargetPct : level === 'medium' ? p.mediumTargetPct : p.criticalTargetPct;
  }

  private trackCriticalEpisode(level: PressureLevel, now: number): void {
    if (level !== 'critical') return;
    if (this.criticalSince === null || now - this.lastCriticalAt > CRITICAL_EPISODE_GAP_MS) this.criticalSince = now;
    this.lastCriticalAt = now;
  }

  /**
   * Last resort: only when reclaim has little left to give — swap is exhausted and the page
   * cache cannot cover the shortfall, or critical pressure has lasted despite reclaim.
   */
  private planKill(signal: PressureSignal, ranked: readonly RankedProcess[], ctx: PolicyContext, planned: number, target: number): KillAction | null {
    const p = this.params;
    const now = ctx.now;
    const m = signal.memory;
    if (ctx.busy.size > 0) return null; // reclaim in flight: judge it first
    if (planned >= target / 4) return null;
    if (now - this.lastKillAt < p.killIntervalMs) return null;
    const swapExhausted = m.swapFreeBytes < Math.max(p.minAnonBytes, (m.swapTotalBytes * p.swapLowPct) / 100);
    const cacheLeft = m.fileCacheBytes ?? Math.max(0, m.availableBytes - m.freeBytes);
    const sustainedCritical = signal.level === 'critical' && this.criticalSince !== null && now - this.criticalSince >= p.killAfterMs;
    // Without watermarks, "short" means less than the target is available at all.
    const short = m.watermarks ? m.freeBytes < m.watermarks.lowBytes : m.availableBytes < target;
    let trigger: string;
    if (swapExhausted && cacheLeft < target && short) trigger = `swap exhausted (${formatBytes(m.swapFreeBytes)} free) and ${formatBytes(cacheLeft)} of page cache left`;
    else if (sustainedCritical) trigger = `critical for ${formatDuration(now - this.criticalSince!)}`;
    else return null;

    let best: { r: RankedProcess; score: number; growth: number; footprint: number } | null = null;
    for (const r of ranked) {
      if (!r.eligible || r.effectiveAdj < p.killMinAdj || r.process.importance === 'visible') continue;
      const proc = r.process;
      const footprint = proc.rssAnonBytes + proc.rssFileBytes + proc.swapBytes;
      const growth = this.growth(proc.appKey);
      // Kernel-style badness (footprint plus adj as a share of memory), with recent growth
      // weighted in: killing a leaker ends the pressure, killing anything else buys time.
      const score = footprint + (r.effectiveAdj * signal.memory.totalBytes) / 1000 + 4 * growth;
      if (!best || score > best.score) best = { r, score, growth, footprint };
    }
    if (!best) return null;
    this.lastKillAt = now;
    const proc = best.r.process;
    const growthText = best.growth > 0 ? `, grew ${formatBytes(best.growth)} in ${formatDuration(p.growthWindowMs)}` : '';
    return {
      type: 'kill',
      pid: proc.pid,
      startTime: proc.startTime,
      appKey: proc.appKey,
      requestedBytes: best.footprint,
      reason:
        `last resort: ${trigger}, reclaim can free only ${formatBytes(planned)}; ` +
        `${proc.appKey} holds ${formatBytes(best.footprint)}${growthText} (${proc.importance}, adj ${best.r.effectiveAdj})`,
      dryRun: false,
    };
  }

  private recordFootprints(procs: Parameters<ReclaimPolicy['rank']>[0], now: number): void {
    for (const proc of procs) {
      const bytes = proc.rssAnonBytes + proc.rssFileBytes + proc.swapBytes;
      let samples = this.footprints.get(proc.appKey);
      if (!samples) this.footprints.set(proc.appKey, (samples = []));
      if (samples.length > 0 && now - samples[samples.length - 1].at < 1000) continue;
      samples.push({ at: now, bytes });
      while (samples.length > 0 && now - samples[0].at > this.params.growthWindowMs) samples.shift();
    }
  }

  private growth(appKey: string): number {
    const s = this.footprints.get(appKey);
    if (!s || s.length < 2) return 0;
    return Math.max(0, s[s.length - 1].bytes - s[0].bytes);
  }

  /** Keep per-process state bounded on a long-running agent. */
  private prune(now: number): void {
    if (this.lastReclaimAt.size > 4096) {
      for (const [key, at] of this.lastReclaimAt) if (now - at >= this.params.cooldownMs) this.lastReclaimAt.delete(key);
    }
    if (this.footprints.size > 4096) {
      for (const [key, s] of this.footprints) if (s.length === 0 || now - s[s.length - 1].at > this.params.growthWindowMs) this.footprints.delete(key);
    }
  }
}

export const reclaimPolicyFactory: PolicyFactory = {
  name: 'reclaim',
  description: 'Default. Escalating per-process reclaim (file → anon → all) with cooldowns; kill only as a configured last resort.',
  params: RECLAIM_PARAMS,
  create: (config?: unknown) => new ReclaimPolicyImpl(configureParams('reclaim', RECLAIM_PARAMS, config)),
};
