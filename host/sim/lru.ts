// The classic two-list LRU's bookkeeping that is not per app (this kernel has no MGLRU):
// how long a page waits on an inactive list before reclaim reaches it, the anon/file scan
// balance, and the workingset clock refaults are measured against. memory-model.ts applies it.

/** mm/vmscan.c SWAP_CLUSTER_MAX: the kernel's reclaim batch, pages. */
export const SWAP_CLUSTER_MAX = 32;

/** /proc/sys/vm/swappiness default (mm/vmscan.c vm_swappiness = 60): anon's weight, file's is 200 − it. */
export const SWAPPINESS = 60;

/**
 * mm/vmscan.c DEF_PRIORITY = 12: reclaim starts by scanning 1/4096 of each list, so
 * cache_trim_mode ("plenty of inactive file pages") needs inactive file >> 12 ≥ 1.
 */
export const DEF_PRIORITY = 12;

/**
 * How often the foreground app touches its working set, ms. The lab's worker touches it in
 * a pass every 20 ms (runs/lab/lab-worker.c, a frame); a 60 Hz display frame is 16.7 ms.
 */
export const FOREGROUND_REUSE_MS = 20;

/**
 * Ticks of scan history each list's clock keeps, to tell how long ago the page now at the
 * inactive tail entered the list. 4096 steps of 100 ms cover 6.8 min of reclaim activity
 * (steps without scans are not stored); older than that, the cycle is taken as at least the
 * time back to the oldest entry — the longest reuse interval any band has by default is 200 s
 * (cached, 0.5 %/s), so the age of a list older than that no longer changes what is referenced.
 */
export const LRU_CLOCK_ENTRIES = 4096;

/**
 * The inactive list as a queue: pages enter at the head and reclaim takes them from the tail,
 * so the page at the tail now entered when the tail had `listPages` fewer pages scanned.
 * Records, per step that scanned, the cumulative count at the step's start; reads back when
 * that count was reached.
 */
export class LruClock {
  private readonly times: number[] = [];
  private readonly cums: number[] = [];
  private overflowed = false;
  /** Pages scanned off this list's tail, cumulative. */
  scanned = 0;

  /** A new step starts at `nowMs`: store where the count stood, if it moved since the last entry. */
  beginStep(nowMs: number): void {
    const last = this.cums.length > 0 ? this.cums[this.cums.length - 1] : 0;
    if (this.scanned === last && this.cums.length > 0) return;
    if (this.scanned === 0) return;
    this.times.push(nowMs);
    this.cums.push(this.scanned);
    if (this.times.length > LRU_CLOCK_ENTRIES) {
      this.times.shift();
      this.cums.shift();
      this.overflowed = true;
    }
  }

  /**
   * How long the page now at the tail of a list of `listPages` has been on it, ms, at the
   * end of the current step [stepStartMs, stepStartMs + stepMs): the time the tail took to
   * advance by `listPages`. Scans inside one step are taken as spread evenly over it.
   */
  cycleMs(stepStartMs: number, stepMs: number, listPages: number): number {
    const end = stepStartMs + stepMs;
    const target = this.scanned - listPages;
    const n = this.cums.length;
    const lastCum = n > 0 ? this.cums[n - 1] : 0;
    if (target >= lastCum) {
      // Within this step's own scans.
      const inStep = this.scanned - lastCum;
      return inStep > 0 ? (stepMs * (this.scanned - target)) / inStep : stepMs;
    }
    // The latest entry at or below the target, by bisection; entry i's count was reached during the step before times[i].
    // Before the first entry: on the list since the start (or, history full, at least since its oldest entry).
    if (n === 0 || target < this.cums[0]) return end - (this.overflowed ? this.times[0] - stepMs : 0);
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.cums[mid] <= target) lo = mid;
      else hi = mid - 1;
    }
    const nextCum = lo + 1 < n ? this.cums[lo + 1] : this.scanned;
    const nextAt = lo + 1 < n ? this.times[lo + 1] : end;
    const at = nextAt - stepMs + (stepMs * (target - this.cums[lo])) / Math.max(1, nextCum - this.cums[lo]);
    return Math.max(0, end - at);
  }
}

/**
 * Share of a class's pages found referenced at the inactive tail: touched at least once since
 * they entered the list `cycleMs` ago, for a class whose every page is touched once per
 * `reuseMs`, in a sweep (the lab's worker and the simulator's touches both sweep the working
 * set: runs/lab/lab-worker.c touch(), sim-host.ts touch()), so each page at its own phase. The
 * instantiating fault does not count: a page needs a touch after entering (mm/vmscan.c
 * folio_check_references — mapped pages start with the fault's reference, so the kernel
 * "looks twice": activation on a second touch).
 */
export function referencedShare(cycleMs: number, reuseMs: number): number {
  if (!(reuseMs < Number.POSITIVE_INFINITY)) return 0;
  if (reuseMs <= 0) return 1;
  return Math.min(1, cycleMs / reuseMs);
}

/**
 * mm/vmscan.c inactive_is_low: the inactive list should hold at least 1/(1 + ratio) of its
 * type, ratio = int_sqrt(10 × list GiB), 1 under 1 GiB.
 */
export function inactiveIsLow(inactive: number, active: number, pageSize: number): boolean {
  const gib = Math.floor(((inactive + active) * pageSize) / 2 ** 30);
  const ratio = gib > 0 ? Math.floor(Math.sqrt(10 * gib)) : 1;
  return inactive * ratio < active;
}

/**
 * The scan balance (mm/vmscan.c get_scan_count, SCAN_FRACT): each list is scanned in
 * proportion to its size times its type's priority, swappiness for anon and 200 − swappiness
 * for file, each divided by its type's recent cost (mm/swap.c lru_note_cost). Returns the
 * share of scanning that goes to anon.
 */
export function anonScanShare(anonPages: number, filePages: number, anonCost: number, fileCost: number): number {
  const total = anonCost + fileCost;
  const ap = (SWAPPINESS * (total + 1)) / (anonCost + 1);
  const fp = ((200 - SWAPPINESS) * (total + 1)) / (fileCost + 1);
  const a = anonPages * ap;
  const f = filePages * fp;
  return a + f > 0 ? a / (a + f) : 0;
}
