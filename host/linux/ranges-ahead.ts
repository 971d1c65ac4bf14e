// The reaction thread's readings of its planned targets' /proc ranges, made between kernel
// events so that an event's first system call is the process_madvise itself (see
// ReclaimRanges for why: the /proc reads before it were the thread's slow part under thrashing).
import { performance } from 'node:perf_hooks';
import { readReclaimRanges, type ReclaimRanges } from './process-reclaim';
import { readStartTime } from './procfs';
import type { PlannedReclaim } from './reaction-plan';

/**
 * A reading is made again, when a new plan names its process, once it is this old: one calm
 * scan (10 s, scan-rate.ts), so each plan is served by ranges no older than the scan it came
 * from, and a calm agent reads each planned target at most once per scan.
 */
export const RANGES_REFRESH_MS = 10_000;

type Target = Pick<PlannedReclaim, 'pid' | 'startTime' | 'kind'>;

/** One planned target's key: its process and the kind of reclaim (one reading per pair). */
export const targetKey = (t: Target) => `${t.pid}:${t.startTime}:${t.kind}`;

export class RangesAhead {
  private readonly readings = new Map<string, ReclaimRanges>();
  /** The planned targets still to read, in the plan's order (the first slot's first). */
  private todo: Target[] = [];

  constructor(private readonly pageSize: number) {}

  /**
   * A new plan: forget the readings of processes it no longer names, and queue those it names
   * with no reading or one older than RANGES_REFRESH_MS. Demotes are left out: they are no
   * process_madvise (the plan never holds one).
   */
  plan(targets: readonly Target[], nowMs = performance.timeOrigin + performance.now()): void {
    const named = new Map(targets.filter((t) => t.kind !== 'demote').map((t) => [targetKey(t), t]));
    for (const key of this.readings.keys()) if (!named.has(key)) this.readings.delete(key);
    this.todo = [...named.entries()].filter(([key]) => {
      const had = this.readings.get(key);
      return !had || nowMs - had.readAtMs >= RANGES_REFRESH_MS;
    }).map(([, t]) => t);
  }

  get pending(): boolean {
    return this.todo.length > 0;
  }

  /**
   * Read the next queued target's ranges. The start time is checked after the read, so a pid
   * reused meanwhile leaves no reading under the old process's name.
   */
  readNext(): void {
    const t = this.todo.shift();
    if (!t || t.kind === 'demote') return;
    const got = readReclaimRanges(t.pid, t.startTime, t.kind, this.pageSize);
    // Unreadable (gone, or denied): the reclaim finds out why, as it would without a reading.
    if (got && readStartTime(t.pid) === t.startTime) this.readings.set(targetKey(t), got);
    else this.readings.delete(targetKey(t));
  }

  /** The reading for this target, if one was made (reclaimProcess checks its age). */
  get(t: Target): ReclaimRanges | null {
    return this.readings.get(targetKey(t)) ?? null;
  }

  /** How many targets have a reading (for tests and the thread's counts). */
  get size(): number {
    return this.readings.size;
  }
}
