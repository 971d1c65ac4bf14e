import { formatBytes } from '../../common/format';
import { BAND_ADJ } from '../importance';
import { configureParams, type ParamSpecs, type ParamValues } from '../params';
import { processKey, type PolicyContext, type ReclaimPolicy } from '../policy';
import type { PolicyFactory } from '../registry';
import type { ActionOutcome, PlannedAction, PressureSignal, ProcessSnapshot, RankedProcess, ReclaimAction } from '../types';
import { LMKD_PARAMS, LMKD_REVISION, LmkdPolicy } from './lmkd';

// Android as shipped: lmkd beside ActivityManager's CachedAppOptimizer, which compacts an app
// when its oom_adj changes. Written from frameworks/base (never copied):
// - the triggers: OomAdjuster.applyOomAdjLSP of Android 12-13 (android13-release): a "some"
//   compaction when a perceptible app becomes previous/home, a "full" one when it becomes cached;
// - the throttles, RSS checks, swap downgrade and cancellation: CachedAppOptimizer.java at
//   aosp-mirror/platform_frameworks_base @f7f9fafa0ed4 — MemCompactionHandler
//   shouldOomAdjThrottleCompaction / shouldTimeThrottleCompaction / shouldRssThrottleCompaction,
//   resolveCompactionProfile, onOomAdjustChanged → cancelCompactionForProcess. (At that
//   revision "full" is also issued from onProcessFrozen and "some" resolves to nothing; we keep
//   the transition triggers the comparison was specified with.)
// - the madvise: com_android_server_am_CachedAppOptimizer.cpp compactProcess: file-backed VMAs
//   get MADV_COLD, private anonymous VMAs MADV_PAGEOUT.
export const CACHED_APP_OPTIMIZER_REVISION = 'frameworks/base CachedAppOptimizer @f7f9fafa0ed4 (throttles), OomAdjuster android13-release (triggers)';

// ProcessList.java adj bands the triggers test (BAND_ADJ holds their bottoms).
const PERCEPTIBLE_APP_ADJ = BAND_ADJ.perceptible;
const HOME_APP_ADJ = BAND_ADJ.home;
const PREVIOUS_APP_ADJ = BAND_ADJ.previous;
const CACHED_APP_MIN_ADJ = BAND_ADJ.cached;
const CACHED_APP_MAX_ADJ = 999;

export const COMPACTION_PARAMS = {
  // CachedAppOptimizer DEFAULT_COMPACT_THROTTLE_1..4: the least time from the last compaction
  // of a process (by its profile) to the next one (by the requested profile).
  throttleSomeAfterSomeMs: { type: 'integer', default: 5_000, min: 0, max: 3_600_000, unit: 'ms', description: 'compact_throttle_1: a "some" compaction this soon after a "some" is skipped.' },
  throttleSomeAfterFullMs: { type: 'integer', default: 10_000, min: 0, max: 3_600_000, unit: 'ms', description: 'compact_throttle_2: a "some" this soon after a "full" is skipped.' },
  throttleFullAfterSomeMs: { type: 'integer', default: 500, min: 0, max: 3_600_000, unit: 'ms', description: 'compact_throttle_3: a "full" this soon after a "some" is skipped.' },
  throttleFullAfterFullMs: { type: 'integer', default: 10_000, min: 0, max: 3_600_000, unit: 'ms', description: 'compact_throttle_4: a "full" this soon after a "full" is skipped.' },
  // DEFAULT_COMPACT_FULL_RSS_THROTTLE_KB / DEFAULT_COMPACT_FULL_DELTA_RSS_THROTTLE_KB.
  fullRssThrottleKb: { type: 'integer', default: 12_000, min: 0, max: 100_000_000, unit: 'KB', description: 'compact_full_rss_throttle_kb: skip a "full" compaction of an app with less anon RSS.' },
  fullDeltaRssThrottleKb: { type: 'integer', default: 8_000, min: 0, max: 100_000_000, unit: 'KB', description: 'compact_full_delta_rss_throttle_kb: skip a "full" one if RSS moved no more since the last.' },
  // COMPACT_DOWNGRADE_FREE_SWAP_THRESHOLD (0.2) of resolveCompactionProfile.
  downgradeFreeSwapPct: { type: 'number', default: 20, min: 0, max: 100, unit: '%', description: 'A "full" compaction becomes file-only below this share of swap free.' },
  // Ours: the engine shows a policy the processes only when it calls plan(), and hosts report
  // no adj changes as events, so transitions are looked for this often (Android reacts at once).
  adjScanMs: { type: 'integer', default: 1000, min: 100, max: 60_000, unit: 'ms', description: 'How often to look for oom_adj transitions (a compaction starts at most this late).' },
} as const satisfies ParamSpecs;

export const ANDROID_PARAMS = { ...LMKD_PARAMS, ...COMPACTION_PARAMS } as const satisfies ParamSpecs;
export type CompactionParams = ParamValues<typeof COMPACTION_PARAMS>;

type Profile = 'some' | 'full';

interface OptRecord {
  lastAdj: number;
  lastCompactAt: number | null;
  lastProfile: Profile | null;
  /** RSS (file, anon, swap) after the last full compaction, for the delta throttle. */
  rssAfterFull: { file: number; anon: number; swap: number } | null;
  /** A requested compaction not yet issued (mPendingCompactionProcesses). */
  pending: Profile | null;
  /** The file-only MADV_COLD half of a full compaction, issued once the anon half is done. */
  fileHalfDue: boolean;
}

/**
 * `android`: lmkd (LMKD_REVISION) plus CachedAppOptimizer compaction on oom_adj transitions.
 * lmkd sees exactly the signals it would alone: PSI events and its own re-polls.
 */
export class AndroidPolicy implements ReclaimPolicy {
  readonly name = 'android';
  readonly tickIntervalMs: number;
  private readonly records = new Map<string, OptRecord>();
  /** The RSS of a process when its compaction was planned, to know what it holds after. */
  private readonly rssAtPlan = new Map<string, { file: number; anon: number; swap: number }>();

  constructor(readonly params: CompactionParams, private readonly lmkd: LmkdPolicy) {
    this.tickIntervalMs = params.adjScanMs;
  }

  rank(procs: readonly ProcessSnapshot[]): RankedProcess[] {
    return this.lmkd.rank(procs);
  }

  plan(signal: PressureSignal, ranked: readonly RankedProcess[], ctx: PolicyContext): PlannedAction[] {
    // Our transition scans are no lmkd wake-ups: a timer reaches lmkd only when its poll is due.
    const forLmkd = signal.source !== 'timer' || this.lmkd.nextPollMs(ctx) === 0;
    const kills = forLmkd ? this.lmkd.plan(signal, ranked, ctx) : [];
    const killed = new Set(kills.map((k) => processKey(k)));
    return [...kills, ...this.compactions(signal, ranked.filter((r) => !killed.has(processKey(r.process))), ctx)];
  }

  observe(outcome: ActionOutcome, ctx: PolicyContext): void {
    this.lmkd.observe(outcome, ctx);
    if (outcome.action.type !== 'reclaim') return;
    const key = processKey(outcome.action);
    const rec = this.records.get(key);
    const before = this.rssAtPlan.get(key);
    this.rssAtPlan.delete(key);
    if (!rec || !before || outcome.result !== 'ok' || outcome.action.mode !== 'pageout') return;
    // The anon half of a full compaction: what stays resident, and what went to swap.
    rec.rssAfterFull = { file: before.file, anon: before.anon - outcome.reclaimedAnonBytes, swap: before.swap + outcome.reclaimedAnonBytes };
  }

  nextPollMs(ctx: PolicyContext): number | null {
    return this.lmkd.nextPollMs(ctx);
  }

  /** OomAdjuster's triggers, then MemCompactionHandler.handleMessage for each pending process. */
  private compactions(signal: PressureSignal, ranked: readonly RankedProcess[], ctx: PolicyContext): PlannedAction[] {
    const now = ctx.now;
    const alive = new Set<string>();
    const actions: PlannedAction[] = [];
    for (const r of ranked) {
      const proc = r.process;
      const key = processKey(proc);
      alive.add(key);
      const adj = proc.oomScoreAdj;
      let rec = this.records.get(key);
      if (!rec) {
        this.records.set(key, { lastAdj: adj, lastCompactAt: null, lastProfile: null, rssAfterFull: null, pending: null, fileHalfDue: false });
        continue;
      }
      const oldAdj = rec.lastAdj;
      rec.lastAdj = adj;
      if (adj !== oldAdj) {
        // onOomAdjustChanged: moving up out of cached cancels a pending compaction.
        if (adj < oldAdj && adj < CACHED_APP_MIN_ADJ) {
          rec.pending = null;
          rec.fileHalfDue = false;
        }
        // applyOomAdjLSP: perceptible → previous/home: "some"; into cached (compactAppFull's
        // own check: from outside the cached range): "full".
        if (oldAdj <= PERCEPTIBLE_APP_ADJ && (adj === PREVIOUS_APP_ADJ || adj === HOME_APP_ADJ)) rec.pending = 'some';
        else if (isCached(adj) && !isCached(oldAdj)) rec.pending = 'full';
      }
      if (!r.eligible || ctx.busy.has(key)) continue;
      const action = rec.fileHalfDue ? this.fileHalf(rec, proc, adj) : rec.pending ? this.handle(rec, rec.pending, proc, adj, signal, now) : null;
      if (action) actions.push(action);
    }
    for (const key of this.records.keys()) if (!alive.has(key)) this.records.delete(key);
    return actions;
  }

  /** MemCompactionHandler.handleMessage (COMPACT_PROCESS_MSG): throttles, then the madvise. */
  private handle(rec: OptRecord, requested: Profile, proc: ProcessSnapshot, adj: number, signal: PressureSignal, now: number): ReclaimAction | null {
    const p = this.params;
    rec.pending = null;
    // shouldOomAdjThrottleCompaction: back at perceptible or better, it is not compacted.
    if (adj <= PERCEPTIBLE_APP_ADJ) return null;
    // shouldTimeThrottleCompaction.
    if (rec.lastCompactAt !== null) {
      const since = now - rec.lastCompactAt;
      const limit =
        requested === 'some'
          ? rec.lastProfile === 'some' ? p.throttleSomeAfterSomeMs : p.throttleSomeAfterFullMs
          : rec.lastProfile === 'some' ? p.throttleFullAfterSomeMs : p.throttleFullAfterFullMs;
      if (since < limit) return null;
    }
    // shouldRssThrottleCompaction: a dead process, a small one, or one that barely changed.
    const rss = { file: proc.rssFileBytes, anon: proc.rssAnonBytes, swap: proc.swapBytes };
    if (rss.file + rss.anon + rss.swap === 0) return null;
    if (requested === 'full') {
      if (p.fullRssThrottleKb > 0 && rss.anon < p.fullRssThrottleKb * 1024) return null;
      const last = rec.rssAfterFull;
      if (last && p.fullDeltaRssThrottleKb > 0) {
        const delta = Math.abs(rss.file - last.file) + Math.abs(rss.anon - last.anon) + Math.abs(rss.swap - last.swap);
        if (delta <= p.fullDeltaRssThrottleKb * 1024) return null;
      }
    }
    // resolveCompactionProfile: a full compaction is file-only while swap is short.
    const m = signal.memory;
    const swapFreePct = m.swapTotalBytes > 0 ? (100 * m.swapFreeBytes) / m.swapTotalBytes : 0;
    const profile: Profile = requested === 'full' && swapFreePct < p.downgradeFreeSwapPct ? 'some' : requested;
    rec.lastCompactAt = now;
    rec.lastProfile = requested;
    const why = `${requested === 'some' ? 'perceptible → previous/home' : 'became cached'} (adj ${adj})`;
    if (profile === 'some') {
      const downgraded = requested === 'full' ? `; full downgraded, swap ${swapFreePct.toFixed(0)}% free` : '';
      return compaction(proc, 'file', 'cold', proc.rssFileBytes, `CachedAppOptimizer some compaction: ${why}${downgraded}: MADV_COLD on file pages`);
    }
    // Full: anon MADV_PAGEOUT now, the file MADV_COLD half next (one action per process at a time).
    rec.fileHalfDue = true;
    this.rssAtPlan.set(processKey(proc), rss);
    return compaction(proc, 'anon', 'pageout', proc.rssAnonBytes, `CachedAppOptimizer full compaction: ${why}: MADV_PAGEOUT on ${formatBytes(proc.rssAnonBytes)} anon`);
  }

  private fileHalf(rec: OptRecord, proc: ProcessSnapshot, adj: number): ReclaimAction | null {
    rec.fileHalfDue = false;
    if (adj <= PERCEPTIBLE_APP_ADJ) return null;
    return compaction(proc, 'file', 'cold', proc.rssFileBytes, `CachedAppOptimizer full compaction (adj ${adj}): MADV_COLD on file pages`);
  }
}

function isCached(adj: number): boolean {
  return adj >= CACHED_APP_MIN_ADJ && adj <= CACHED_APP_MAX_ADJ;
}

function compaction(proc: ProcessSnapshot, kind: ReclaimAction['kind'], mode: ReclaimAction['mode'], bytes: number, reason: string): ReclaimAction {
  return { type: 'reclaim', pid: proc.pid, startTime: proc.startTime, appKey: proc.appKey, kind, mode, requestedBytes: bytes, reason, dryRun: false };
}

/** Split one config object between lmkd's parameters and the compaction's. */
function splitConfig(config: unknown): { lmkd: Record<string, unknown> | undefined; compaction: Record<string, unknown> | undefined } {
  if (config === undefined || config === null || typeof config !== 'object' || Array.isArray(config)) return { lmkd: config as undefined, compaction: config as undefined };
  const lmkd: Record<string, unknown> = {};
  const compaction: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(config)) (k in LMKD_PARAMS ? lmkd : compaction)[k] = v;
  return { lmkd, compaction };
}

export const androidPolicyFactory: PolicyFactory = {
  name: 'android',
  description: `Android as shipped: lmkd (${LMKD_REVISION}) plus CachedAppOptimizer compaction on oom_adj transitions (${CACHED_APP_OPTIMIZER_REVISION}).`,
  params: ANDROID_PARAMS,
  create: (config?: unknown) => {
    const parts = splitConfig(config);
    // Validate the whole object first so an unknown key is named against every parameter.
    configureParams('android', ANDROID_PARAMS, config);
    return new AndroidPolicy(configureParams('android', COMPACTION_PARAMS, parts.compaction), new LmkdPolicy(configureParams('android', LMKD_PARAMS, parts.lmkd)));
  },
};
