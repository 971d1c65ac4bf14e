// Where a candidate's cold memory should go when the device has a slower memory tier:
// demoted (still mapped, each touch slower) or discarded as usual (file pages dropped, anon
// compressed into zram; each page that comes back is a refault). Pure: the reclaim policy
// asks, once per candidate, with what the signal and the snapshot say.
import { formatBytes, formatDuration } from '../../common/format';
import type { ImportanceBand, MemoryReading, PressureLevel, PressureSignal, RankedProcess, ReclaimAction, TierReading } from '../types';

/**
 * Of each tier, this share stays free: the slower node has its own watermarks, and a
 * demotion that finds it below them fails back to normal reclaim (mm/vmscan.c
 * alloc_demote_folio allocates with __GFP_NOMEMALLOC on the target node). 1% is of the order
 * of a node's low watermark (min_free_kbytes spread over nodes plus watermark_scale_factor 10,
 * i.e. 0.1% of the node, per mark).
 */
export const TIER_HEADROOM_PCT = 1;

/**
 * A cached app used this recently is likely to be used again, so its cold pages would come
 * back: phone usage is many short sessions of a few apps re-opened within minutes (Falaki et
 * al., "Diversity in Smartphone Usage", MobiSys'10). Half an hour is our assumption from
 * that, not a measurement.
 */
export const RECENT_USE_MS = 30 * 60_000;

/** Bands whose apps the user or the system comes back to while they run: their cold pages return. */
const RETURNING_BANDS: readonly ImportanceBand[] = ['visible', 'perceptible', 'service', 'home', 'previous'];

/** Demote moves pages (a migration each, like compression's CPU): it waits for the levels that page out anon. */
const DEMOTE_LEVELS: readonly PressureLevel[] = ['medium', 'critical'];

/** Room left on each tier for the demotes planned for one signal. */
export type TierBudget = Map<string, { tier: TierReading; freeBytes: number }>;

/** The tiers' room less the headroom; none when the policy's `demote` is off. */
export function tierBudget(memory: MemoryReading, enabled: boolean): TierBudget {
  const budget: TierBudget = new Map();
  for (const tier of enabled ? (memory.tiers ?? []) : []) {
    budget.set(tier.name, { tier, freeBytes: Math.max(0, tier.freeBytes - (tier.totalBytes * TIER_HEADROOM_PCT) / 100) });
  }
  return budget;
}

export interface DemoteQuestion {
  signal: PressureSignal;
  candidate: RankedProcess;
  /** The candidate's idle memory (the host's estimate); demote needs one to know what is cold. */
  cold: { anonBytes: number; fileBytes: number; known: boolean };
  now: number;
  /** Its last reclaims came back (the policy backed it off): discarding it again means refaults again. */
  refaulted: boolean;
  /** Below this the move is not worth an action. */
  minBytes: number;
  /** Text the policy carries from its last judgement of this process. */
  feedback: string;
}

/** Why the candidate's cold pages would come back, or null when nothing says they will. */
export function wouldComeBack(q: Pick<DemoteQuestion, 'candidate' | 'now' | 'refaulted'>): string | null {
  const p = q.candidate.process;
  if (q.refaulted) return 'its last reclaims refaulted';
  if (RETURNING_BANDS.includes(p.importance)) return `a ${p.importance} app is returned to while it runs`;
  if (p.lastForegroundAt !== null && q.now - p.lastForegroundAt <= RECENT_USE_MS) {
    return `used ${formatDuration(q.now - p.lastForegroundAt)} ago (within ${formatDuration(RECENT_USE_MS)}: likely to return)`;
  }
  return null;
}

/**
 * A demote of the candidate's cold pages to the nearest slower tier with room, when its cold
 * pages would come back; null to discard as usual (no tier, no room, no idle estimate, a
 * level that does not move anon, or nothing says they return — then the tier's room is kept
 * for an app that will). Takes the bytes from `budget`.
 */
export function planDemote(budget: TierBudget, q: DemoteQuestion): ReclaimAction | null {
  if (budget.size === 0 || !q.cold.known || !DEMOTE_LEVELS.includes(q.signal.level)) return null;
  const bytes = q.cold.anonBytes + q.cold.fileBytes;
  if (bytes < q.minBytes) return null;
  const back = wouldComeBack(q);
  if (!back) return null;
  // The nearest slower tier first, as the kernel's demotion order (next_demotion_node).
  const room = [...budget.values()].filter((b) => b.freeBytes >= bytes).sort((a, b) => a.tier.accessLatencyNs - b.tier.accessLatencyNs)[0];
  if (!room) return null;
  room.freeBytes -= bytes;
  const p = q.candidate.process;
  const t = room.tier;
  return {
    type: 'reclaim',
    pid: p.pid,
    startTime: p.startTime,
    appKey: p.appKey,
    kind: 'demote',
    mode: 'pageout',
    tier: t.name,
    requestedBytes: bytes,
    reason:
      `${q.signal.level} pressure (${q.signal.source}): demote idle ${formatBytes(q.cold.anonBytes)} anon + ${formatBytes(q.cold.fileBytes)} file to ${t.name}` +
      ` (${formatBytes(t.freeBytes)} free, ${t.accessLatencyNs} ns a touch) instead of discarding: ${back}, and a demoted page costs a slower touch, not a refault${q.feedback}; ${q.candidate.why}`,
    dryRun: false,
  };
}

/**
 * A tier the kernel itself demotes to on reclaim, with room left: there, discarding a
 * candidate's idle pages turns what the kernel would make a slower touch into a refault, so
 * the policy leaves them to the kernel (issue 12: respect what the kernel already does).
 */
export function kernelDemotionRoom(budget: TierBudget, minBytes: number): { tier: TierReading; freeBytes: number } | null {
  for (const b of budget.values()) if (b.tier.kernelDemotes && b.freeBytes >= minBytes) return b;
  return null;
}
