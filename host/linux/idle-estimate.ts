import { clearReferenced, readReferenced } from './procfs';

/**
 * How long a page must go unreferenced to count as idle: Google's far memory calls a page cold
 * after 120 s untouched (Lagar-Cavilla et al., ASPLOS 2019), the age the simulator's idle class
 * and `proactive`'s coldAfterMs use too.
 */
export const IDLE_WINDOW_MS = 120_000;

export interface IdleBytes {
  idleAnonBytes: number;
  idleFileBytes: number;
}

/**
 * The Linux idle estimate (issue 12): per process, clear its pages' referenced bits, and a
 * window later read smaps' Referenced per VMA kind; what is resident but was not referenced in
 * the window is idle, and the policy asks for that part, not the RSS. The estimate is the last
 * whole window's, so it is at most one window old; none before the first window ends.
 * clear_refs also makes the kernel's LRU see those pages as unreferenced until touched again,
 * which is the aging it would do anyway over a window; it is done only for the processes a
 * policy may reclaim (the caller chooses), once a window each.
 */
export class IdleEstimator {
  private readonly windows = new Map<string, { pid: number; startedAt: number; last: IdleBytes | null }>();

  constructor(private readonly windowMs = IDLE_WINDOW_MS) {}

  /** The process's idle bytes from its last whole window, starting windows as they end. */
  estimate(pid: number, startTime: number, now: number): IdleBytes | undefined {
    const key = `${pid}:${startTime}`;
    const w = this.windows.get(key);
    if (!w) {
      if (clearReferenced(pid)) this.windows.set(key, { pid, startedAt: now, last: null });
      return undefined;
    }
    if (now - w.startedAt >= this.windowMs) {
      const r = readReferenced(pid);
      if (r) {
        w.last = {
          idleAnonBytes: Math.max(0, r.anonRssBytes - r.anonReferencedBytes),
          idleFileBytes: Math.max(0, r.fileRssBytes - r.fileReferencedBytes),
        };
      }
      if (clearReferenced(pid)) w.startedAt = now;
    }
    return w.last ?? undefined;
  }

  /** Forget processes no longer seen (keys `pid:startTime`). */
  retain(alive: ReadonlySet<string>): void {
    for (const key of this.windows.keys()) if (!alive.has(key)) this.windows.delete(key);
  }
}
