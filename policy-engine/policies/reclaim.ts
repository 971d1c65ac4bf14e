import { formatBytes, formatDuration } from '../../common/format';
import { configureParams, type ParamSpecs, type ParamValues } from '../params';
import { processKey, type PolicyContext, type ReclaimPolicy } from '../policy';
import { rankProcesses } from '../ranking';
import { belowKillAdj, BUSY, notEligible, skippedAbove } from '../skip-reasons';
import type { PolicyFactory } from '../registry';
import { kernelDemotionRoom, planDemote, tierBudget } from './tier-choice';
import { CachedSinceUse } from './transitions';
import { MiB, type KillAction, type KillReason, type PlannedAction, type PressureLevel, type PressureSignal, type RankedProcess, type ReclaimAction } from '../types';

export const RECLAIM_PARAMS = {
  cooldownMs: { type: 'integer', default: 10_000, min: 0, max: 3_600_000, unit: 'ms', description: 'Pause after reclaiming a process before it is reclaimed again (Android compaction throttles 0.5–10 s).' },
  followUpMs: {
    type: 'integer', default: 500, min: 0, max: 3_600_000, unit: 'ms',
    description: "Pause before a process whose last reclaim left idle pages it did not ask for (file only, or one batch of its anon) is asked for the rest: that reclaim did not touch them (AOSP CachedAppOptimizer DEFAULT_COMPACT_THROTTLE_3: a full compaction 500 ms after a file-only one).",
  },
  fullDeltaRssBytes: {
    type: 'integer', default: 8000 * 1024, min: 0, max: 1024 * MiB, unit: 'bytes',
    description: "Skip a reclaim that includes anon of a process whose anon, file and swap changed by at most this much in all since its last such reclaim: there is nothing new to take (AOSP CachedAppOptimizer DEFAULT_COMPACT_FULL_DELTA_RSS_THROTTLE_KB = 8000).",
  },
  minAnonBytes: { type: 'integer', default: 12 * MiB, min: 0, max: 1024 * MiB, unit: 'bytes', description: 'Skip anon reclaim of a process with less resident anon than this (Android: ~12 MB).' },
  minFileBytes: { type: 'integer', default: 8 * MiB, min: 0, max: 1024 * MiB, unit: 'bytes', description: 'Skip file reclaim of a process with less resident file cache than this.' },
  maxActionsPerSignal: { type: 'integer', default: 4, min: 1, max: 64, description: 'Most reclaim actions planned for one pressure signal.' },
  lowTargetPct: { type: 'number', default: 1, min: 0, max: 50, unit: '% of RAM', description: 'How much to try to free on a low signal.' },
  mediumTargetPct: { type: 'number', default: 4, min: 0, max: 50, unit: '% of RAM', description: 'How much to try to free on a medium signal.' },
  criticalTargetPct: { type: 'number', default: 10, min: 0, max: 50, unit: '% of RAM', description: 'How much to try to free on a critical signal.' },
  lowMinAdj: { type: 'integer', default: 900, min: -1000, max: 3000, description: 'Low pressure reclaims file pages of apps at or above this effective adj (cached).' },
  mediumMinAdj: { type: 'integer', default: 700, min: -1000, max: 3000, description: 'Medium pressure reclaims anon and file pages at or above this adj (previous and cached).' },
  criticalMinAdj: { type: 'integer', default: 200, min: -1000, max: 3000, description: 'Critical pressure reclaims all pages at or above this adj (everything but foreground and visible).' },
  demote: { type: 'boolean', default: true, description: 'Demote idle pages that would come back to a slower memory tier with room, where the device has one, instead of discarding them (tier-choice.ts); false always discards.' },
  allowKill: { type: 'boolean', default: true, description: 'Allow a kill as the last resort when reclaim can no longer relieve critical pressure.' },
  swapLowPct: { type: 'number', default: 5, min: 0, max: 100, unit: '%', description: 'Swap (zram) counts as exhausted below this share free: anon reclaim can no longer help.' },
  killAfterMs: {
    type: 'integer', default: 1000, min: 0, max: 600_000, unit: 'ms',
    description:
      "Critical pressure must last this long with reclaim exhausted before a kill: one PSI window, lmkd's (AOSP lmkd psi_window 1 s). " +
      'Critical means the foreground stalled most of that window (PSI full ≥ 70 %), and with swap and cache exhausted only a kill (or the app freeing) ends it: ' +
      "each further second of waiting costs the user most of a second, while the kill's cost (a cold start if the victim returns) is the same later.",
  },
  killMinAdj: { type: 'integer', default: 200, min: 0, max: 3000, description: 'Never kill below this effective adj (foreground and visible apps are never killed).' },
  killIntervalMs: { type: 'integer', default: 2000, min: 0, max: 600_000, unit: 'ms', description: 'Wait at least this long after a kill before judging whether another is needed.' },
  growthWindowMs: { type: 'integer', default: 60_000, min: 1000, max: 3_600_000, unit: 'ms', description: 'Window over which memory growth marks a likely leaker as the kill victim.' },
  refaultBackoffPct: {
    type: 'number', default: 50, min: 0, max: 100, unit: '%',
    description: "Back off a process when more than this share of what was reclaimed from it came back before its next turn: the idle estimate was wrong for it (Senpai: refaults/pressure mean you took too much; 50% = it lost more than it kept).",
  },
  maxBackoff: { type: 'integer', default: 16, min: 1, max: 1024, description: "A backed-off process's cooldown doubles per wrong estimate up to this many times cooldownMs (exponential backoff as Senpai's, bounded so it is retried)." },
  idleWhenCached: {
    type: 'boolean', default: true,
    description:
      "At the first medium or critical signal after an app turned cached, page out its idle anon estimate but the last batch in one action, before the level's own reclaims " +
      "(Android's CachedAppOptimizer compacts an app in full as it turns cached; here only its idle part, and not before pressure: with none, nothing). false: cached apps are asked a batch at a time like the rest.",
  },
} as const satisfies ParamSpecs;

export type ReclaimParams = ParamValues<typeof RECLAIM_PARAMS>;

/**
 * Anon is paged out in batches of this share of the process's idle anon, re-estimated between
 * batches: the kernel's proactive reclaim does the same (mm/memcontrol.c memory_reclaim, batch =
 * a quarter of what is left, "mm: memcg: use larger batches for proactive reclaim", 2024) so
 * that reclaim going on meanwhile does not make it overshoot. Here the overshoot is worse than
 * extra work: pageout takes what it is asked for, and once kswapd has taken the cold pages of an
 * app first (it runs through the same LRU order), the rest of a stale budget lands on its working set.
 */
export const ANON_BATCH_SHARE = 1 / 4;

/** A gap this long between critical signals ends a critical episode. */
const CRITICAL_EPISODE_GAP_MS = 5000;

/** What a reclaim of one process moved, to judge later how much of it came back. */
interface ReclaimRecord {
  /** The process's swap and resident file when planned, and what the action moved. */
  swapBefore: number;
  fileBefore: number;
  movedAnon: number;
  movedFile: number;
}

/** The part of a process worth asking for: its idle memory when the host estimates it. */
export interface ColdEstimate {
  anonBytes: number;
  fileBytes: number;
  /** True when the host gave an idle estimate; false means only RSS is known. */
  known: boolean;
}

export function coldEstimate(p: { rssAnonBytes: number; rssFileBytes: number; idleAnonBytes?: number; idleFileBytes?: number; sharedFileBytes?: number }): ColdEstimate {
  // Shared file pages are never this process's to give (the kernel skips them): a process
  // whose file RSS is all shared libraries has no file part worth asking for.
  const ownFile = Math.max(0, p.rssFileBytes - (p.sharedFileBytes ?? 0));
  if (p.idleAnonBytes === undefined || p.idleFileBytes === undefined) return { anonBytes: p.rssAnonBytes, fileBytes: ownFile, known: false };
  return { anonBytes: Math.min(p.idleAnonBytes, p.rssAnonBytes), fileBytes: Math.min(p.idleFileBytes, ownFile), known: true };
}

/**
 * Of what a past reclaim moved, the share that came back: swap that shrank again (anon read
 * back from zram) and file cache that grew again, each capped by what was moved. An app's own
 * frees of swapped pages count too: the estimate errs towards backing off.
 */
export function refaultShare(rec: ReclaimRecord, now: { swapBytes: number; rssFileBytes: number }): number {
  const moved = rec.movedAnon + rec.movedFile;
  if (moved <= 0) return 0;
  const anonBack = Math.min(rec.movedAnon, Math.max(0, rec.swapBefore + rec.movedAnon - now.swapBytes));
  const fileBack = Math.min(rec.movedFile, Math.max(0, now.rssFileBytes - (rec.fileBefore - rec.movedFile)));
  return (anonBack + fileBack) / moved;
}

/**
 * The default policy: escalating per-process reclaim of idle memory only.
 * - no pressure: nothing (the kernel's LRU is doing its job);
 * - low: drop idle file pages of cached apps;
 * - medium: idle anon (into zram) and file pages of previous and cached apps;
 * - critical: idle pages of everything but foreground, visible and protected apps.
 * Only the host's idle estimate is asked for, never the RSS: paging out a working set only
 * turns into refaults (issue 12: whole-RSS reclaim refaulted ~400k pages where the kernel
 * alone refaulted almost none). A process whose reclaim comes back anyway is backed off.
 * - kill only if allowed, where the kernel alone would OOM-kill (reclaim exhausted and below
 *   the min watermark, or critical lasting), and then the app that frees the most for the
 *   least value — a growing app first (a leak).
 */
export class ReclaimPolicyImpl implements ReclaimPolicy {
  readonly name: string;
  private readonly lastReclaimAt = new Map<string, number>();
  /** Per process: the last reclaim left idle pages it did not ask for (file only, or one batch of anon). */
  private readonly lastPartial = new Set<string>();
  /** The planned actions that leave idle pages of their process unasked (read when plan() commits them). */
  private readonly partial = new WeakSet<PlannedAction>();
  /** Per process: the last reclaim's record (set when its outcome arrives), and its backoff factor. */
  private readonly records = new Map<string, ReclaimRecord>();
  private readonly planned = new Map<string, { swapBefore: number; fileBefore: number; anonBefore: number; hadAnon: boolean }>();
  /** Per process: its anon, file and swap just after its last reclaim that included anon (CachedAppOptimizer's RSS-change throttle). */
  private readonly afterFull = new Map<string, { anon: number; file: number; swap: number }>();
  private readonly backoff = new Map<string, number>();
  /** The last judgement's text, carried to the next decision on that process. */
  private readonly feedback = new Map<string, string>();
  private readonly footprints = new Map<string, { at: number; bytes: number }[]>();
  private criticalSince: number | null = null;
  private lastCriticalAt = -Infinity;
  private lastKillAt = -Infinity;
  private readonly cachedSince = new CachedSinceUse();

  constructor(readonly params: ReclaimParams, name = 'reclaim') {
    this.name = name;
  }

  /** Pure: the UI asks for rankings at its own rate, which must not feed the policy's state. */
  rank(procs: Parameters<ReclaimPolicy['rank']>[0], ctx: PolicyContext): RankedProcess[] {
    return rankProcesses(procs, ctx.now);
  }

  plan(signal: PressureSignal, ranked: readonly RankedProcess[], ctx: PolicyContext): PlannedAction[] {
    const now = ctx.now;
    // Footprints are sampled at each signal the engine hands the policy, quiet ones included.
    this.recordFootprints(ranked, now);
    if (signal.level === 'none') return [];
    this.trackCriticalEpisode(signal.level, now);
    const { actions, planned, target } = this.reclaims(signal, ranked, ctx, true);
    // Planned for real: the cooldowns start, and what each process had out before is kept to
    // judge next time how much of this reclaim came back (the refault backoff).
    const byKey = new Map(ranked.map((r) => [processKey(r.process), r.process]));
    for (const a of actions) {
      const key = processKey(a);
      const proc = byKey.get(key)!;
      this.lastReclaimAt.set(key, now);
      if (this.partial.has(a)) this.lastPartial.add(key);
      else this.lastPartial.delete(key);
      this.planned.set(key, { swapBefore: proc.swapBytes, fileBefore: proc.rssFileBytes, anonBefore: proc.rssAnonBytes, hadAnon: (a as ReclaimAction).kind !== 'file' });
      this.feedback.delete(key);
    }
    if ((signal.level === 'critical' || signal.level === 'medium') && this.params.allowKill) {
      const kill = this.planKill(signal, ranked, ctx, planned, target);
      if (kill) actions.push(kill);
    }
    this.prune(now, ranked);
    return actions;
  }

  planAhead(signal: PressureSignal, ranked: readonly RankedProcess[], ctx: PolicyContext): PlannedAction[] {
    return signal.level === 'none' ? [] : this.reclaims(signal, ranked, ctx, false).actions;
  }

  /**
   * Apps that turned cached since they were last asked (transitions.ts): each one's idle anon
   * estimate but the last batch in one pageout, at medium or critical. Under a burst the kernel finds those pages a little at a time
   * while its inactive list cycles the running apps' working sets out; asked in full at the
   * first signal they are freed before that. `commit` marks them asked (plan(), not planAhead()).
   */
  private idleOfNewlyCached(signal: PressureSignal, ranked: readonly RankedProcess[], ctx: PolicyContext, commit: boolean): PlannedAction[] {
    const p = this.params;
    const actions: PlannedAction[] = [];
    // Anon goes to zram at medium and critical only, as the level's own reclaims send it: a low
    // signal (often a blip) does not pay compression CPU. Asked at low too, one vmpressure blip
    // had 800 MiB of four apps compressed at once on a generated chromebook scenario, and the
    // foreground stalled 155 ms for it (user wait 313 -> 467 ms).
    if (!p.idleWhenCached || signal.level === 'low') return actions;
    const now = ctx.now;
    let swapBudget = signal.memory.swapFreeBytes;
    // A slower tier: the kernel demotes there on its own what a pageout would discard (tier-choice.ts).
    const tiered = tierBudget(signal.memory, p.demote).size > 0;
    for (const r of ranked) {
      const proc = r.process;
      const key = processKey(proc);
      if (!this.cachedSince.due(proc) || ctx.busy.has(key)) continue;
      const action = this.idlePageout(r, swapBudget, tiered, now);
      if (commit) this.cachedSince.asked(proc);
      if (!action) continue;
      swapBudget -= action.requestedBytes;
      // The last batch left follows after followUpMs, re-estimated (see idlePageout).
      if (action.requestedBytes < coldEstimate(proc).anonBytes) this.partial.add(action);
      actions.push(action);
    }
    return actions;
  }

  /** The pageout of a newly cached app's idle anon, or null when it is not this policy's to take or not worth an action. */
  private idlePageout(r: RankedProcess, swapBudget: number, tiered: boolean, now: number): ReclaimAction | null {
    const p = this.params;
    const proc = r.process;
    const cold = coldEstimate(proc);
    // Not eligible, or the user's priority ranks it out of the bands whose anon is taken; no
    // estimate (the level's own reclaim deactivates it instead); too small; swap short; or
    // nothing new since its last reclaim with anon (CachedAppOptimizer's RSS-change throttle).
    if (!r.eligible || r.effectiveAdj < p.mediumMinAdj || tiered || !cold.known) return null;
    if (cold.anonBytes < p.minAnonBytes) return null;
    if (this.unchangedSince(processKey(proc), proc) !== null) return null;
    // All of it but the last batch at once: the end of a request is where an estimate gone
    // stale (kswapd took some of those pages meanwhile) or pages pageout skips (zygote-shared)
    // would land it on the working set, so that last batch is re-estimated first like any other.
    const ask = Math.min(cold.anonBytes, Math.max(p.minAnonBytes, Math.ceil(cold.anonBytes * (1 - ANON_BATCH_SHARE))));
    if (swapBudget < ask) return null;
    const used = `turned cached since its last use ${formatDuration(now - proc.lastForegroundAt!)} ago`;
    return {
      type: 'reclaim',
      pid: proc.pid,
      startTime: proc.startTime,
      appKey: proc.appKey,
      kind: 'anon',
      mode: 'pageout',
      requestedBytes: ask,
      reason:
        `${used}: ${formatBytes(ask)} of its idle ${formatBytes(cold.anonBytes)} anon (of ${formatBytes(proc.rssAnonBytes)} resident; host's idle estimate) in one pageout, all but the last batch, ahead of the level's batches — ` +
        `freed now, it spares the running apps' working sets the kernel would cycle out finding it a little at a time (Android's CachedAppOptimizer compacts the whole app at this transition; only the idle part is asked for); ${r.why}`,
      dryRun: false,
    };
  }

  /** The RSS change since this process's last reclaim with anon, when at most fullDeltaRssBytes (nothing new to take); null otherwise. */
  private unchangedSince(key: string, proc: { rssAnonBytes: number; rssFileBytes: number; swapBytes: number }): number | null {
    const after = this.afterFull.get(key);
    if (!after) return null;
    const delta = Math.abs(proc.rssAnonBytes - after.anon) + Math.abs(proc.rssFileBytes - after.file) + Math.abs(proc.swapBytes - after.swap);
    return delta <= this.params.fullDeltaRssBytes ? delta : null;
  }

  /** The reclaims for a signal, best victim first; records nothing but, when `commit`, which newly cached apps were asked (plan() starts the cooldowns). */
  private reclaims(signal: PressureSignal, ranked: readonly RankedProcess[], ctx: PolicyContext, commit: boolean): { actions: PlannedAction[]; planned: number; target: number } {
    const now = ctx.now;
    const p = this.params;
    const target = (signal.memory.totalBytes * this.targetPct(signal.level)) / 100;
    const minAdj = signal.level === 'low' ? p.lowMinAdj : signal.level === 'medium' ? p.mediumMinAdj : p.criticalMinAdj;
    // Newly cached apps' idle anon first, whole (they count toward the target and the swap budget).
    const actions: PlannedAction[] = this.idleOfNewlyCached(signal, ranked, ctx, commit);
    const taken = new Set(actions.map((a) => processKey(a)));
    let planned = actions.reduce((sum, a) => sum + a.requestedBytes, 0);
    let swapBudget = signal.memory.swapFreeBytes - planned;
    const tiers = tierBudget(signal.memory, p.demote);

    for (const r of ranked) {
      if (planned >= target || actions.length >= p.maxActionsPerSignal) break;
      const proc = r.process;
      const key = processKey(proc);
      if (taken.has(key)) continue;
      // Each pass-over records its reason on the candidate: the decision shows why the
      // ones ranked above the chosen victim were not taken.
      if (!r.eligible) {
        r.skipped = notEligible(r);
        continue;
      }
      if (r.effectiveAdj < minAdj) {
        r.skipped = `adj ${r.effectiveAdj} is below the ${signal.level} level's minimum ${minAdj}`;
        continue;
      }
      if (ctx.busy.has(key)) {
        r.skipped = BUSY;
        continue;
      }
      this.judgeLastReclaim(key, proc);
      const since = now - (this.lastReclaimAt.get(key) ?? -Infinity);
      const backoff = this.backoff.get(key) ?? 1;
      // The last reclaim left idle pages it did not ask for (a low signal's file-only one, or one
      // batch of the anon): as Android lets a full compaction follow a file-only one after
      // 500 ms, the rest may be asked for then rather than after the cooldown, while the kernel
      // pages out blindly. The cooldown guards pages already taken; these were not.
      const followUp = since < p.cooldownMs * backoff && this.lastPartial.has(key) && since >= p.followUpMs;
      if (since < p.cooldownMs * backoff && !followUp) {
        r.skipped = `cooldown: reclaimed ${formatDuration(since)} ago (cooldown ${formatDuration(p.cooldownMs * backoff)}${backoff > 1 ? `, ×${backoff}: its last reclaims refaulted` : ''})`;
        continue;
      }
      // Ask for the idle part only: the working set stays for the kernel's LRU to keep. Without
      // an idle estimate, deactivate (MADV_COLD) and let the LRU page out what stays cold.
      const cold = coldEstimate(proc);
      // A slower memory tier with room takes cold pages that would come back (tier-choice.ts).
      const demote = planDemote(tiers, { signal, candidate: r, cold, now, refaulted: (this.backoff.get(key) ?? 1) > 1, minBytes: p.minAnonBytes, feedback: this.feedback.get(key) ?? '' });
      if (demote) {
        actions.push(demote);
        planned += demote.requestedBytes;
        continue;
      }
      const kernelTier = kernelDemotionRoom(tiers, p.minAnonBytes);
      if (kernelTier) {
        r.skipped = `left to the kernel: its reclaim demotes to ${kernelTier.tier.name} (${formatBytes(kernelTier.freeBytes)} free), where a page that comes back costs a slower touch, not the refault a discard would`;
        continue;
      }
      const fileIdle = cold.fileBytes >= p.minFileBytes ? cold.fileBytes : 0;
      const anonWanted = signal.level !== 'low' && cold.anonBytes >= p.minAnonBytes ? cold.anonBytes : 0;
      // File pages and anon pages are asked for apart: a host fills one budget cold pages first
      // and then from the working set, so a file drop given the anon's budget too takes hot file
      // pages. The file goes first (dropping clean pages is cheap, Android's "some" compaction);
      // the anon follows in batches when the idle estimate is the host's (see ANON_BATCH_SHARE).
      const file = fileIdle;
      const anonBatch = cold.known ? Math.min(anonWanted, Math.max(p.minAnonBytes, Math.ceil(anonWanted * ANON_BATCH_SHARE))) : anonWanted;
      const anon = (file === 0 || !cold.known) && anonWanted > 0 && swapBudget >= p.minAnonBytes ? Math.min(anonBatch, swapBudget) : 0;
      if (file === 0 && anon === 0) {
        r.skipped =
          anonWanted > 0
            ? `swap is full: ${formatBytes(swapBudget)} left for anon, and ${formatBytes(cold.fileBytes)} of idle file pages is under the ${formatBytes(p.minFileBytes)} minimum`
            : `too small: ${cold.known ? 'idle ' : ''}${formatBytes(cold.fileBytes)} file${signal.level === 'low' ? '' : ` and ${formatBytes(cold.anonBytes)} anon`} under the minimums (${formatBytes(p.minFileBytes)} file${signal.level === 'low' ? '' : `, ${formatBytes(p.minAnonBytes)} anon`})`;
        continue;
      }
      // Android's RSS-change throttle: a reclaim with anon, after one that left this process's
      // memory as it is now (within fullDeltaRssBytes), would ask again for what was just taken
      // or deactivated. A follow-up of a partial reclaim asks for pages it left, so it passes.
      const delta = anon > 0 && !followUp ? this.unchangedSince(key, proc) : null;
      if (delta !== null) {
        r.skipped = `unchanged: its anon, file and swap moved ${formatBytes(delta)} since its last reclaim with anon (at most ${formatBytes(p.fullDeltaRssBytes)}: nothing new to take, as Android's compaction throttle)`;
        continue;
      }
      swapBudget -= anon;
      // Idle anon left unasked (a low signal takes file only; a batch takes a quarter): the
      // next level's signal may ask for it after followUpMs.
      const partial = cold.known && anon < (cold.anonBytes >= p.minAnonBytes ? cold.anonBytes : 0);
      const kind = file > 0 && anon > 0 ? 'all' : anon > 0 ? 'anon' : 'file';
      const feedback =
        (this.feedback.get(key) ?? '') +
        (followUp ? `; its last reclaim ${formatDuration(since)} ago left the rest (a follow-up after ${formatDuration(p.followUpMs)}, as Android's full compaction after a file-only one)` : '') +
        (anon > 0 && anon < anonWanted ? `; anon batch ${formatBytes(anon)} of ${formatBytes(anonWanted)} idle (a quarter at a time, re-estimated between, as the kernel's memory.reclaim)` : '') +
        (file > 0 && anon === 0 && anonWanted > 0 ? `; file first, its ${formatBytes(anonWanted)} idle anon next` : '');
      const estimate = cold.known
        ? `idle ${formatBytes(cold.anonBytes)} anon + ${formatBytes(cold.fileBytes)} file of ${formatBytes(proc.rssAnonBytes + proc.rssFileBytes)} resident (host's idle estimate)`
        : `no idle estimate: deactivating ${formatBytes(anon + file)} (MADV_COLD), the kernel's LRU keeps what is touched`;
      const sharing = proc.sharedFileBytes ? `; ${formatBytes(proc.sharedFileBytes)} of its file pages shared with other processes left out` : '';
      const action: ReclaimAction = {
        type: 'reclaim',
        pid: proc.pid,
        startTime: proc.startTime,
        appKey: proc.appKey,
        kind,
        mode: cold.known ? 'pageout' : 'cold',
        requestedBytes: anon + file,
        reason: `${signal.level} pressure (${signal.source}): ${estimate}${sharing}${feedback}; ${r.why}`,
        dryRun: false,
      };
      actions.push(action);
      if (partial) this.partial.add(action);
      planned += anon + file;
    }
    return { actions, planned, target };
  }

  observe(outcome: Parameters<NonNullable<ReclaimPolicy['observe']>>[0]): void {
    const key = processKey(outcome.action);
    const before = this.planned.get(key);
    this.planned.delete(key);
    if (outcome.result === 'gone') {
      this.lastReclaimAt.delete(key);
      this.lastPartial.delete(key);
      this.afterFull.delete(key);
      this.records.delete(key);
      this.backoff.delete(key);
      this.feedback.delete(key);
      return;
    }
    // A demote's pages stay mapped: nothing of it can refault, so it is not judged.
    if (outcome.action.type !== 'reclaim' || outcome.action.kind === 'demote' || outcome.result !== 'ok' || !before) return;
    this.records.set(key, { swapBefore: before.swapBefore, fileBefore: before.fileBefore, movedAnon: outcome.reclaimedAnonBytes, movedFile: outcome.reclaimedFileBytes });
    if (before.hadAnon) {
      this.afterFull.set(key, {
        anon: before.anonBefore - outcome.reclaimedAnonBytes,
        file: before.fileBefore - outcome.reclaimedFileBytes,
        swap: before.swapBefore + outcome.reclaimedAnonBytes,
      });
    }
  }

  /**
   * Feedback on the last reclaim of this process: if most of what it moved came back, its
   * idle estimate was wrong — double its cooldown (up to maxBackoff); if little came back,
   * halve it. Keeps the text the next decision on it carries.
   */
  private judgeLastReclaim(key: string, proc: { swapBytes: number; rssFileBytes: number }): void {
    const rec = this.records.get(key);
    if (!rec) return;
    const share = refaultShare(rec, proc);
    const old = this.backoff.get(key) ?? 1;
    const next = share * 100 > this.params.refaultBackoffPct ? Math.min(this.params.maxBackoff, old * 2) : Math.max(1, old / 2);
    if (next === 1) this.backoff.delete(key);
    else this.backoff.set(key, next);
    this.records.delete(key);
    const pct = Math.round(share * 100);
    this.feedback.set(key, next > old ? `; ${pct}% of its last reclaim refaulted: backing off (cooldown ×${next})` : `; ${pct}% of its last reclaim refaulted`);
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
    // A kill is worth its cold start only where the kernel alone would soon OOM-kill: reclaim
    // exhausted (swap full, the page cache below what the kernel must keep free) and either
    // free memory under the min watermark (direct reclaim is failing: mm/page_alloc.c goes to
    // the OOM killer from there) or critical pressure lasting. Below the low watermark alone
    // the kernel still copes (kswapd works towards high); killing there was worse than doing
    // nothing on the benchmark (a cold start and lost state the kernel never caused).
    const cacheFloor = m.watermarks ? m.watermarks.highBytes : target;
    const exhausted = swapExhausted && cacheLeft < Math.max(cacheFloor, target);
    const belowMin = m.watermarks ? m.freeBytes < m.watermarks.minBytes : m.availableBytes < target;
    const exhaustedText = `swap exhausted (${formatBytes(m.swapFreeBytes)} free) and ${formatBytes(cacheLeft)} of page cache left`;
    let trigger: string;
    let killReason: KillReason;
    if (exhausted && belowMin) {
      trigger = `${exhaustedText}, free ${formatBytes(m.freeBytes)} under the min watermark`;
      killReason = 'RECLAIM_EXHAUSTED_BELOW_MIN';
    } else if (exhausted && sustainedCritical) {
      trigger = `${exhaustedText}, critical for ${formatDuration(now - this.criticalSince!)}`;
      killReason = 'RECLAIM_EXHAUSTED_CRITICAL';
    } else return null;

    // The previous app is the likeliest to come back (Android keeps it above cached for that;
    // SmartLMK and Acclaim weigh eviction by expected return): its kill costs a cold start the
    // user will soon pay. Spare it while any other candidate is left.
    const candidates = ranked.filter((r) => r.eligible && r.effectiveAdj >= p.killMinAdj && r.process.importance !== 'visible');
    const others = candidates.filter((r) => r.process.importance !== 'previous');
    const spared = others.length > 0 && others.length < candidates.length;
    const weighed = new Map<RankedProcess, { score: number; growth: number; footprint: number }>();
    let best: { r: RankedProcess; score: number; growth: number; footprint: number } | null = null;
    for (const r of others.length > 0 ? others : candidates) {
      const proc = r.process;
      const footprint = proc.rssAnonBytes + proc.rssFileBytes + proc.swapBytes;
      const growth = this.growth(proc.appKey);
      // Kernel-style badness (footprint plus adj as a share of memory), with recent growth
      // weighted in: killing a leaker ends the pressure, killing anything else buys time.
      const score = footprint + (r.effectiveAdj * signal.memory.totalBytes) / 1000 + 4 * growth;
      weighed.set(r, { score, growth, footprint });
      if (!best || score > best.score) best = { r, score, growth, footprint };
    }
    if (!best) return null;
    this.lastKillAt = now;
    const proc = best.r.process;
    const growthOf = (g: number) => (g > 0 ? `, grew ${formatBytes(g)} in ${formatDuration(p.growthWindowMs)}` : '');
    const growthText = growthOf(best.growth);
    const victim = best;
    // Why each one ranked above the victim was not killed, in the order the kill rules it out.
    const skipped = skippedAbove(ranked, victim.r, (r) => {
      if (!r.eligible) return notEligible(r);
      if (r.effectiveAdj < p.killMinAdj) return belowKillAdj(r.effectiveAdj, p.killMinAdj);
      if (r.process.importance === 'visible') return 'not eligible: a visible app is never killed';
      const w = weighed.get(r);
      if (!w) return 'spared: the previous app, likeliest to return (a cold start the user would soon pay)';
      return (
        `frees less: holds ${formatBytes(w.footprint)}${growthOf(w.growth)} (adj ${r.effectiveAdj}); ` +
        `${proc.appKey} holds ${formatBytes(victim.footprint)}${growthText} (adj ${victim.r.effectiveAdj}) — size, adj and growth weighed`
      );
    });
    return {
      type: 'kill',
      killReason,
      pid: proc.pid,
      startTime: proc.startTime,
      appKey: proc.appKey,
      requestedBytes: best.footprint,
      reason:
        `last resort: ${trigger}, reclaim can free only ${formatBytes(planned)}; ` +
        `${proc.appKey} holds ${formatBytes(best.footprint)}${growthText} (${proc.importance}, adj ${best.r.effectiveAdj})` +
        (spared ? '; the previous app spared (likeliest to return)' : ''),
      dryRun: false,
      skipped,
    };
  }

  private recordFootprints(ranked: readonly RankedProcess[], now: number): void {
    for (const { process: proc } of ranked) {
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
  private prune(now: number, ranked: readonly RankedProcess[]): void {
    if (ranked.length > 0) this.cachedSince.keepOnly(new Set(ranked.map((r) => processKey(r.process))));
    if (this.lastReclaimAt.size > 4096) {
      const longest = this.params.cooldownMs * this.params.maxBackoff;
      for (const [key, at] of this.lastReclaimAt) {
        if (now - at < longest) continue;
        this.lastReclaimAt.delete(key);
        this.lastPartial.delete(key);
        this.afterFull.delete(key);
        this.records.delete(key);
        this.backoff.delete(key);
        this.feedback.delete(key);
      }
    }
    if (this.footprints.size > 4096) {
      for (const [key, s] of this.footprints) if (s.length === 0 || now - s[s.length - 1].at > this.params.growthWindowMs) this.footprints.delete(key);
    }
  }
}

export const reclaimPolicyFactory: PolicyFactory = {
  name: 'reclaim',
  description: 'Default. Escalating per-process reclaim of idle memory only (file → anon → all), backing off a process whose reclaim refaults; kill only as a configured last resort.',
  params: RECLAIM_PARAMS,
  create: (config?: unknown) => new ReclaimPolicyImpl(configureParams('reclaim', RECLAIM_PARAMS, config)),
};
