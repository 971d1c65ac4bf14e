import { BAND_ADJ, PRIORITY_ADJ_SHIFT, isSystemBand } from './importance';
import type { ProcessSnapshot, RankedProcess } from './types';
import { formatBytes, formatDuration } from '../common/format';
import { protectionReason } from './protection';
import { processKey } from './policy';

// Inside a band the idle-time term may add at most this much, so it never crosses into
// the next band (the narrowest gap between bands is 100).
const IDLE_SCORE_MAX = 80;
// A process idle this long gets the full idle score (log scale below it).
const IDLE_SATURATION_MS = 4 * 60 * 60 * 1000;
// The size term only breaks ties between equally idle apps.
const SIZE_SCORE_MAX = 19;
const SIZE_SATURATION_BYTES = 4 * 1024 * 1024 * 1024;

/** Why a process may not be touched at all, or null if it may: the protection rule, and the system bands. */
export function ineligibleReason(p: ProcessSnapshot): string | null {
  return protectionReason(p) ?? (isSystemBand(p.importance) ? `${p.importance} process` : null);
}

function idleScore(p: ProcessSnapshot, now: number): number {
  if (p.lastForegroundAt === null) return IDLE_SCORE_MAX; // never used in front: coldest
  const idle = Math.max(0, now - p.lastForegroundAt);
  return Math.min(IDLE_SCORE_MAX, (IDLE_SCORE_MAX * Math.log1p(idle)) / Math.log1p(IDLE_SATURATION_MS));
}

function sizeScore(p: ProcessSnapshot): number {
  const size = p.rssAnonBytes + p.rssFileBytes;
  return Math.min(SIZE_SCORE_MAX, (SIZE_SCORE_MAX * Math.log1p(size)) / Math.log1p(SIZE_SATURATION_BYTES));
}

/**
 * A ranked process whose "why" text is built on first read: a ranking of 1,000 processes
 * is read for a handful of them. toJSON keeps it a plain record when logged or sent.
 */
class Ranked implements RankedProcess {
  readonly eligible: boolean;
  skipped?: string;
  private text: string | undefined;

  constructor(
    readonly process: ProcessSnapshot,
    readonly score: number,
    readonly effectiveAdj: number,
    private readonly blocked: string | null,
    private readonly now: number,
  ) {
    this.eligible = blocked === null;
  }

  get why(): string {
    return (this.text ??= describeRank(this.process, this.effectiveAdj, this.blocked, this.now));
  }

  toJSON(): RankedProcess {
    return { process: this.process, score: this.score, effectiveAdj: this.effectiveAdj, eligible: this.eligible, why: this.why, ...(this.skipped ? { skipped: this.skipped } : {}) };
  }
}

function describeRank(p: ProcessSnapshot, effectiveAdj: number, blocked: string | null, now: number): string {
  if (blocked !== null) return `not a candidate: ${blocked}`;
  const idleText = p.lastForegroundAt === null ? 'never foreground' : `idle ${formatDuration(now - p.lastForegroundAt)}`;
  const priorityText = p.priority === 'normal' ? '' : `, ${p.priority}`;
  return `${p.importance} (adj ${effectiveAdj}${priorityText}), ${idleText}, ${formatBytes(p.rssAnonBytes + p.rssFileBytes)} resident`;
}

/**
 * Rank processes best victim first: by importance band, then time since last foreground
 * use, then size; user priorities shift the band. Ties break by pid so the order is total
 * and a replay is reproducible.
 */
export function rankProcesses(procs: readonly ProcessSnapshot[], now: number): RankedProcess[] {
  const ranked = procs.map((p): RankedProcess => {
    const effectiveAdj = BAND_ADJ[p.importance] + PRIORITY_ADJ_SHIFT[p.priority];
    const blocked = ineligibleReason(p);
    const score = blocked === null ? effectiveAdj + idleScore(p, now) + sizeScore(p) : -Infinity;
    return new Ranked(p, score, effectiveAdj, blocked, now);
  });
  ranked.sort((a, b) => b.score - a.score || a.process.pid - b.process.pid);
  return ranked;
}

/**
 * The candidates as one action's decision shows them: each with that action's own reason for
 * passing it over (a kill weighs by its own measure), or none. Plain records, not the shared
 * ranking, so the other decisions of the signal keep theirs.
 */
export function withSkipped(candidates: readonly RankedProcess[], skipped: Readonly<Record<string, string>>): RankedProcess[] {
  return candidates.map((c) => {
    const reason = skipped[processKey(c.process)];
    return { process: c.process, score: c.score, effectiveAdj: c.effectiveAdj, eligible: c.eligible, why: c.why, ...(reason ? { skipped: reason } : {}) };
  });
}
