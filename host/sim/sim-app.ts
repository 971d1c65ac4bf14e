import type { ImportanceBand, UserPriority } from '../../policy-engine/types';
import type { AppSpec } from '../../scenario/scenario';

/** One LRU class of an app's pages: its kind and whether it is the working set. */
export type LruClass = 'anonHot' | 'anonCold' | 'fileHot' | 'fileCold';
export const LRU_CLASSES: readonly LruClass[] = ['fileCold', 'fileHot', 'anonCold', 'anonHot'];
export const classOf = (kind: 'anon' | 'file', hot: boolean): LruClass => (kind === 'anon' ? (hot ? 'anonHot' : 'anonCold') : hot ? 'fileHot' : 'fileCold');
export const kindOf = (c: LruClass): 'anon' | 'file' => (c === 'anonHot' || c === 'anonCold' ? 'anon' : 'file');
export const isHot = (c: LruClass): boolean => c === 'anonHot' || c === 'fileHot';

/** Of `k` pages taken from a pool of `total` holding `shared` shared ones, how many were shared (in proportion, rounded, feasible). */
function sharedPart(k: number, shared: number, total: number): number {
  if (k <= 0 || shared === 0) return 0;
  return Math.min(shared, k, Math.max(k - (total - shared), Math.round((k * shared) / total)));
}

/**
 * One app's pages in the simulated device, in whole 4 KiB pages. Each kind is split into
 * the working set ("hot": touched while the app is in use) and the rest ("cold"), and each
 * class into resident and out (anon: in zram; file: dropped, to be read back from storage).
 * Invariant, checked by tests: for each class resident + out = total.
 */
export class SimApp {
  pid = 0;
  startTime = 0;
  alive = false;
  everLaunched = false;
  /** Who ended the last life of this app, if not the user. */
  killedBy: 'agent' | 'oom' | null = null;
  isForeground = false;
  lastForegroundAt: number | null = null;
  /** Launch or last use, for the kernel's LRU among apps never in front. */
  lastUsedAt = 0;
  priority: UserPriority;
  /** MADV_COLD was applied: the kernel takes this app's pages first. Cleared by use. */
  deactivated = false;

  anonHotRes = 0;
  anonHotZram = 0;
  anonColdRes = 0;
  anonColdZram = 0;
  /**
   * Of the cold anon pages, those shared with other processes (the zygote's heap): a subset of
   * anonColdRes / anonColdZram. process_madvise's pageout skips them (mm/madvise.c: a folio mapped
   * by other processes is left alone), kswapd does not (try_to_unmap unmaps it everywhere).
   */
  anonSharedRes = 0;
  anonSharedZram = 0;
  /** Shared anon pages the kernel's reclaim demoted to the slower tier (a subset of anonColdSlow). */
  anonSharedSlow = 0;
  /** Shared anon pages this life (constant while alive). */
  sharedAnonTotal = 0;
  fileHotRes = 0;
  fileHotOut = 0;
  fileColdRes = 0;
  fileColdOut = 0;
  /**
   * Pages demoted to the slower memory tier (device.tiers), by class: still mapped (counted
   * in RSS, never refaulted) but out of RAM. The agent moves private pages only (move_pages(2)
   * without MPOL_MF_MOVE_ALL leaves pages other processes map); the kernel's reclaim demotion
   * moves shared anon too (anonSharedSlow), as its migration unmaps a folio everywhere.
   */
  anonHotSlow = 0;
  anonColdSlow = 0;
  fileHotSlow = 0;
  fileColdSlow = 0;
  /**
   * Of each class's resident pages, those on the active LRU list (the rest are inactive): a
   * subset of anonHotRes, anonColdRes, fileHotRes, fileColdRes. Pages enter inactive (a new
   * anon page too, since Linux 5.9) and are activated when reclaim finds them referenced a
   * second time, or on a refault within the workingset distance (mm/workingset.c).
   */
  anonHotAct = 0;
  anonColdAct = 0;
  fileHotAct = 0;
  fileColdAct = 0;
  /**
   * The workingset clock (MemoryModel's nonresident age) at which each class's pages now out
   * were evicted, averaged over them: a refault's distance is the clock now minus this.
   */
  readonly evictedAt: Record<LruClass, number> = { anonHot: 0, anonCold: 0, fileHot: 0, fileCold: 0 };
  /**
   * When each class's unmarked inactive pages entered the inactive list, ms, averaged over
   * them: the list is a queue, so pages that entered long ago are the ones at its tail.
   */
  readonly enteredAt: Record<LruClass, number> = { anonHot: 0, anonCold: 0, fileHot: 0, fileCold: 0 };
  /**
   * Of each class's inactive pages, those with PG_referenced set (a subset of inactive(c)):
   * reclaim has looked at them once and found the instantiating fault's reference
   * (mm/vmscan.c folio_check_references → FOLIOREF_KEEP), or they were deactivated from the
   * active list, which keeps the mark (its comment: "the mark is set for activated folios as
   * well"). Unmarked pages survive their first trip to the tail; marked ones are activated if
   * touched on this trip, else evicted. `markedAt` is when they (re)entered the list, ms.
   */
  readonly marked: Record<LruClass, number> = { anonHot: 0, anonCold: 0, fileHot: 0, fileCold: 0 };
  readonly markedAt: Record<LruClass, number> = { anonHot: 0, anonCold: 0, fileHot: 0, fileCold: 0 };
  /** Fractional carries of the LRU's proportional scans per class, so small batches are exact over time. */
  readonly scanCarry: Record<LruClass, number> = { anonHot: 0, anonCold: 0, fileHot: 0, fileCold: 0 };

  /** Pending gradual allocations: pages still to allocate and pages per tick. */
  readonly pendingAllocations: { remaining: number; perTick: number }[] = [];
  /** Fractional background-touch carry, so slow rates are exact over time. */
  touchCarry = 0;

  constructor(readonly spec: AppSpec, readonly pagesAnon: number, readonly pagesFile: number) {
    this.priority = spec.priority;
  }

  get id(): string {
    return this.spec.id;
  }

  get anonTotal(): number {
    return this.anonHotRes + this.anonHotZram + this.anonColdRes + this.anonColdZram + this.anonHotSlow + this.anonColdSlow;
  }
  get fileTotal(): number {
    return this.fileHotRes + this.fileHotOut + this.fileColdRes + this.fileColdOut + this.fileHotSlow + this.fileColdSlow;
  }
  /** Pages on the slower tier: mapped, out of RAM. */
  get slowPages(): number {
    return this.anonHotSlow + this.anonColdSlow + this.fileHotSlow + this.fileColdSlow;
  }
  get anonResident(): number {
    return this.anonHotRes + this.anonColdRes;
  }
  get fileResident(): number {
    return this.fileHotRes + this.fileColdRes;
  }
  get resident(): number {
    return this.anonResident + this.fileResident;
  }
  get zramPages(): number {
    return this.anonHotZram + this.anonColdZram;
  }
  get nonResidentHot(): number {
    return this.anonHotZram + this.fileHotOut;
  }

  /** A fresh life: every page resident, split by working set. Returns the pages it needs. */
  startLife(pid: number, now: number): number {
    this.pid = pid;
    this.startTime = now;
    this.alive = true;
    this.everLaunched = true;
    this.killedBy = null;
    this.deactivated = false;
    this.lastUsedAt = now;
    this.touchCarry = 0;
    this.pendingAllocations.length = 0;
    this.anonHotRes = Math.round(this.pagesAnon * this.spec.workingSet);
    this.anonColdRes = this.pagesAnon - this.anonHotRes;
    this.sharedAnonTotal = Math.min(this.anonColdRes, Math.round(this.pagesAnon * this.spec.sharedFraction));
    this.anonSharedRes = this.sharedAnonTotal;
    this.anonSharedZram = this.anonSharedSlow = 0;
    this.fileHotRes = Math.round(this.pagesFile * this.spec.workingSet);
    this.fileColdRes = this.pagesFile - this.fileHotRes;
    this.anonHotZram = this.anonColdZram = this.fileHotOut = this.fileColdOut = 0;
    this.anonHotSlow = this.anonColdSlow = this.fileHotSlow = this.fileColdSlow = 0;
    this.resetLru();
    for (const c of LRU_CLASSES) this.enteredAt[c] = now;
    return this.pagesAnon + this.pagesFile;
  }

  /** The process ends: every page is released (zram included). */
  endLife(): void {
    this.alive = false;
    this.isForeground = false;
    this.pendingAllocations.length = 0;
    this.anonHotRes = this.anonHotZram = this.anonColdRes = this.anonColdZram = 0;
    this.anonSharedRes = this.anonSharedZram = this.anonSharedSlow = 0;
    this.fileHotRes = this.fileHotOut = this.fileColdRes = this.fileColdOut = 0;
    this.anonHotSlow = this.anonColdSlow = this.fileHotSlow = this.fileColdSlow = 0;
    this.resetLru();
  }

  /** A new life's pages are all on the inactive lists, never evicted. */
  private resetLru(): void {
    this.anonHotAct = this.anonColdAct = this.fileHotAct = this.fileColdAct = 0;
    for (const c of LRU_CLASSES) this.evictedAt[c] = this.scanCarry[c] = this.enteredAt[c] = this.marked[c] = this.markedAt[c] = 0;
  }

  /** Resident pages of a class. */
  res(c: LruClass): number {
    return c === 'anonHot' ? this.anonHotRes : c === 'anonCold' ? this.anonColdRes : c === 'fileHot' ? this.fileHotRes : this.fileColdRes;
  }

  /** Pages of a class on the active list. */
  act(c: LruClass): number {
    return c === 'anonHot' ? this.anonHotAct : c === 'anonCold' ? this.anonColdAct : c === 'fileHot' ? this.fileHotAct : this.fileColdAct;
  }

  /** Pages of a class out of RAM (anon in zram, file dropped). */
  out(c: LruClass): number {
    return c === 'anonHot' ? this.anonHotZram : c === 'anonCold' ? this.anonColdZram : c === 'fileHot' ? this.fileHotOut : this.fileColdOut;
  }

  /** Resident pages of a class on the inactive list. */
  inactive(c: LruClass): number {
    return this.res(c) - this.act(c);
  }

  /** `k` unmarked pages of a class just joined its inactive list (already counted in it) at `atMs`. */
  entered(c: LruClass, k: number, atMs: number): void {
    const u = this.inactive(c) - this.marked[c];
    if (k > 0 && u > 0) this.enteredAt[c] += ((atMs - this.enteredAt[c]) * Math.min(k, u)) / u;
  }

  /** `k` of a class's inactive pages (already counted in it) joined the list's head marked at `atMs`: rotated by reclaim, or deactivated. */
  enteredMarked(c: LruClass, k: number, atMs: number): void {
    const m = Math.min(this.inactive(c), this.marked[c] + Math.max(0, k));
    if (k > 0 && m > 0) this.markedAt[c] += ((atMs - this.markedAt[c]) * Math.min(k, m)) / m;
    this.marked[c] = m;
  }

  /** Move up to `n` of a class's pages between the lists (n > 0 activates, n < 0 deactivates); returns pages moved. */
  moveActive(c: LruClass, n: number): number {
    const k = n >= 0 ? Math.min(n, this.inactive(c)) : -Math.min(-n, this.act(c));
    if (c === 'anonHot') this.anonHotAct += k;
    else if (c === 'anonCold') this.anonColdAct += k;
    else if (c === 'fileHot') this.fileHotAct += k;
    else this.fileColdAct += k;
    this.marked[c] = Math.min(this.marked[c], this.inactive(c));
    return Math.abs(k);
  }

  /** Reclaim evicts up to `n` of a class's inactive pages at workingset clock `age`; returns pages evicted. */
  evictInactive(c: LruClass, n: number, age: number): number {
    const before = this.out(c);
    const k = this.evict(kindOf(c), isHot(c), Math.min(n, this.inactive(c)));
    if (k > 0) this.evictedAt[c] = (this.evictedAt[c] * before + age * k) / (before + k);
    return k;
  }

  /**
   * Pages leaving RAM other than from the inactive tail (pageout, a free, a drop, a demotion)
   * take inactive pages first: a class keeps no more active pages than it has resident.
   */
  private clampActive(): void {
    this.anonHotAct = Math.min(this.anonHotAct, this.anonHotRes);
    this.anonColdAct = Math.min(this.anonColdAct, this.anonColdRes);
    this.fileHotAct = Math.min(this.fileHotAct, this.fileHotRes);
    this.fileColdAct = Math.min(this.fileColdAct, this.fileColdRes);
    // Pages leaving other than from the tail take unmarked ones first (an approximation: the list does not say which).
    for (const c of LRU_CLASSES) this.marked[c] = Math.min(this.marked[c], this.inactive(c));
  }

  /** New anonymous pages, resident, joining the working set in the app's proportion. */
  addAnon(pages: number, atMs: number): void {
    const hot = Math.round(pages * this.spec.workingSet);
    this.anonHotRes += hot;
    this.anonColdRes += pages - hot;
    this.entered('anonHot', hot, atMs);
    this.entered('anonCold', pages - hot, atMs);
  }

  /** The app frees anon pages (its own, not the shared ones): cold ones first, out-of-RAM ones before resident ones. */
  freeAnon(pages: number): { resident: number; zram: number; slow: number } {
    let left = Math.min(pages, this.anonTotal);
    const take = (avail: number) => {
      const n = Math.min(avail, left);
      left -= n;
      return n;
    };
    const coldZram = take(this.anonColdZram - this.anonSharedZram);
    this.anonColdZram -= coldZram;
    const coldSlow = take(this.anonColdSlow - this.anonSharedSlow);
    this.anonColdSlow -= coldSlow;
    const coldRes = take(this.anonColdRes - this.anonSharedRes);
    this.anonColdRes -= coldRes;
    const hotZram = take(this.anonHotZram);
    this.anonHotZram -= hotZram;
    const hotSlow = take(this.anonHotSlow);
    this.anonHotSlow -= hotSlow;
    const hotRes = take(this.anonHotRes);
    this.anonHotRes -= hotRes;
    this.clampActive();
    return { resident: coldRes + hotRes, zram: coldZram + hotZram, slow: coldSlow + hotSlow };
  }

  /** Pageout (process_madvise): move up to `max` private resident anon pages to zram, cold first; returns pages moved. */
  pageOutAnon(max: number, hotToo: boolean): number {
    const cold = Math.min(max, this.anonColdRes - this.anonSharedRes);
    this.anonColdRes -= cold;
    this.anonColdZram += cold;
    let hot = 0;
    if (hotToo) {
      hot = Math.min(max - cold, this.anonHotRes);
      this.anonHotRes -= hot;
      this.anonHotZram += hot;
    }
    this.clampActive();
    return cold + hot;
  }

  /**
   * Demote (move_pages to the slower node): up to `max` private resident pages, cold first,
   * anon then file within each; with `hotToo` the working set after. Returns the anon and file pages moved.
   */
  demote(max: number, hotToo: boolean): { anon: number; file: number } {
    let left = max;
    const take = (avail: number) => {
      const n = Math.max(0, Math.min(avail, left));
      left -= n;
      return n;
    };
    const anonCold = take(this.anonColdRes - this.anonSharedRes);
    this.anonColdRes -= anonCold;
    this.anonColdSlow += anonCold;
    const fileCold = take(this.fileColdRes);
    this.fileColdRes -= fileCold;
    this.fileColdSlow += fileCold;
    let anonHot = 0;
    let fileHot = 0;
    if (hotToo) {
      anonHot = take(this.anonHotRes);
      this.anonHotRes -= anonHot;
      this.anonHotSlow += anonHot;
      fileHot = take(this.fileHotRes);
      this.fileHotRes -= fileHot;
      this.fileHotSlow += fileHot;
    }
    this.clampActive();
    return { anon: anonCold + anonHot, file: fileCold + fileHot };
  }

  /**
   * Kernel demotion on reclaim (the LRU's view): up to `n` resident pages of one class to the
   * slower tier, shared anon with the private — the kernel's migration unmaps a folio from
   * every process (try_to_migrate). Returns pages moved.
   */
  demoteClass(kind: 'anon' | 'file', hot: boolean, n: number): number {
    return this.takeOut(kind, hot, Math.max(0, n), 'slow');
  }

  /** Promotion (NUMA balancing, tiering mode): up to `n` of the working set's slow pages back to RAM; returns pages moved. */
  promoteHot(n: number): number {
    const anon = Math.min(n, this.anonHotSlow);
    this.anonHotSlow -= anon;
    this.anonHotRes += anon;
    const file = Math.min(n - anon, this.fileHotSlow);
    this.fileHotSlow -= file;
    this.fileHotRes += file;
    return anon + file;
  }

  /** Take up to `n` resident pages of one class out of RAM (kswapd's view); returns pages taken. */
  evict(kind: 'anon' | 'file', hot: boolean, n: number): number {
    return this.takeOut(kind, hot, n, 'out');
  }

  /**
   * Move up to `n` resident pages of one class out of RAM: to zram or dropped (`out`), or to the
   * slower tier (`slow`). The LRU does not tell shared from private: shared anon pages go in
   * their proportion.
   */
  private takeOut(kind: 'anon' | 'file', hot: boolean, n: number, to: 'out' | 'slow'): number {
    const slow = to === 'slow';
    if (kind === 'anon') {
      const k = Math.min(n, hot ? this.anonHotRes : this.anonColdRes);
      if (hot) {
        this.anonHotRes -= k;
        if (slow) this.anonHotSlow += k;
        else this.anonHotZram += k;
      } else {
        const sh = sharedPart(k, this.anonSharedRes, this.anonColdRes);
        this.anonSharedRes -= sh;
        this.anonColdRes -= k;
        if (slow) (this.anonSharedSlow += sh), (this.anonColdSlow += k);
        else (this.anonSharedZram += sh), (this.anonColdZram += k);
      }
      this.clampActive();
      return k;
    }
    const k = Math.min(n, hot ? this.fileHotRes : this.fileColdRes);
    if (hot) (this.fileHotRes -= k), slow ? (this.fileHotSlow += k) : (this.fileHotOut += k);
    else (this.fileColdRes -= k), slow ? (this.fileColdSlow += k) : (this.fileColdOut += k);
    this.clampActive();
    return k;
  }

  /** Drop up to `max` resident file pages, cold first; returns pages dropped. */
  dropFile(max: number, hotToo: boolean): number {
    const cold = Math.min(max, this.fileColdRes);
    this.fileColdRes -= cold;
    this.fileColdOut += cold;
    let hot = 0;
    if (hotToo) {
      hot = Math.min(max - cold, this.fileHotRes);
      this.fileHotRes -= hot;
      this.fileHotOut += hot;
    }
    this.clampActive();
    return cold + hot;
  }

  /**
   * The app touches `fraction` of its non-resident working set (and, with `coldToo`, of its
   * other pages). Returns how many anon and file pages fault back in; the caller makes room.
   */
  faultsFor(fraction: number, coldToo: boolean): { anon: number; file: number } {
    const anon = Math.round((this.anonHotZram + (coldToo ? this.anonColdZram : 0)) * fraction);
    const file = Math.round((this.fileHotOut + (coldToo ? this.fileColdOut : 0)) * fraction);
    return { anon, file };
  }

  /**
   * Bring pages back, onto the inactive lists: hot ones first (they are what the app touches),
   * or with `coldOnly` only cold ones. Returns how many came back per class.
   */
  faultIn(anon: number, file: number, coldOnly = false): Record<LruClass, number> {
    const anonHot = coldOnly ? 0 : Math.min(anon, this.anonHotZram);
    this.anonHotZram -= anonHot;
    this.anonHotRes += anonHot;
    const anonCold = Math.min(anon - anonHot, this.anonColdZram);
    this.moveSharedIn(anonCold);
    this.anonColdZram -= anonCold;
    this.anonColdRes += anonCold;
    const fileHot = coldOnly ? 0 : Math.min(file, this.fileHotOut);
    this.fileHotOut -= fileHot;
    this.fileHotRes += fileHot;
    const fileCold = Math.min(file - fileHot, this.fileColdOut);
    this.fileColdOut -= fileCold;
    this.fileColdRes += fileCold;
    return { anonHot, anonCold, fileHot, fileCold };
  }

  /** `k` cold anon pages come back from zram: the shared among them in their proportion. */
  private moveSharedIn(k: number): void {
    const sh = sharedPart(k, this.anonSharedZram, this.anonColdZram);
    this.anonSharedZram -= sh;
    this.anonSharedRes += sh;
  }

  /** Share of its working set this app touches per second while not in the foreground. */
  backgroundTouchRate(band: ImportanceBand): number {
    return this.spec.backgroundTouchPerSec ?? SimApp.defaultTouchRate(band);
  }

  /** Background touch rate (fraction of the working set per second) when the scenario gives none. */
  static defaultTouchRate(band: ImportanceBand): number {
    switch (band) {
      case 'system':
      case 'persistent':
      case 'visible':
        return 1;
      case 'perceptible':
        return 0.5;
      case 'service':
        return 0.2;
      case 'home':
        return 0.05;
      case 'previous':
        return 0.02;
      default:
        return 0.005;
    }
  }
}
