import { BAND_ADJ } from '../../policy-engine/importance';
import { PAGE_SIZE } from '../../policy-engine/types';
import { DRAM_ACCESS, MIGRATE_US_PER_PAGE, pageTouchNs, type DeviceProfile, type MemoryTierProfile } from '../../scenario/device-profiles';
import { LRU_CLASSES, isHot, kindOf, type LruClass, type SimApp } from './sim-app';
import { DEF_PRIORITY, FOREGROUND_REUSE_MS, LruClock, SWAP_CLUSTER_MAX, anonScanShare, inactiveIsLow, referencedShare } from './lru';
import type { ImportanceBand } from '../../policy-engine/types';

/** What the kernel did during one tick, for vmpressure, PSI and the metrics. */
export interface TickStats {
  scanned: number;
  reclaimed: number;
  /** Direct reclaim or an allocation failed: nothing left to reclaim. */
  exhausted: boolean;
  /**
   * Times direct reclaim went down to the critical scan priority (mm/vmpressure.c
   * vmpressure_prio: priority ≤ vmpressure_level_critical_prio = ilog2(100 / 10) = 3, scanning
   * an eighth of the lists or more): each counts as a whole window scanned, nothing reclaimed.
   */
  criticalPriority: number;
  foregroundStallUs: number;
  backgroundStallUs: number;
  /** Stalls of apps the user sees or hears while not in front (DESIGN.md "userWaitMs"). */
  visibleStallUs: number;
  perceptibleStallUs: number;
  directReclaimStallUs: number;
  /** CPU kswapd spent this tick (scanning, compressing, dropping file pages), for the CPU model. */
  kswapdCpuUs: number;
  /** File pages reclaimed (dropped) this tick. */
  fileDropped: number;
  /** Set by the host: a foreground app is in use (a non-idle task all tick, for PSI full). */
  foregroundPresent: boolean;
  /** Set by the host: share of the tick the agent was compressing (a productive task, for PSI full). */
  agentBusy: number;
  /** Pages the kernel demoted to the slower tier this tick (reclaim with device.demotion), and the µs the migrations took. */
  demoted: number;
  demoteUs: number;
  /**
   * What touches of pages on the slower tier cost the apps the user sees or hears, µs: the
   * user waits (the app runs slower) but it is no memory stall to PSI (psi.c counts reclaim,
   * thrashing refaults and compaction, not a slower load), so it is kept apart from the stalls.
   */
  slowForegroundUs: number;
  slowVisibleUs: number;
  slowPerceptibleUs: number;
}

/** Who did the compression or decompression work (DESIGN.md "zramCpuMs"). */
export interface CpuUs {
  agent: number;
  kswapd: number;
  apps: number;
}

/**
 * CPU to scan one LRU page (isolate, check references, put back). Carried over from the first
 * model and not yet measured: small beside compression (12 µs) on every profile.
 */
export const SCAN_US_PER_PAGE = 0.2;

/** mm/vmpressure.c vmpressure_level_critical_prio = ilog2(100 / 10): reclaim this deep is critical pressure. */
export const VMPRESSURE_CRITICAL_PRIO = 3;

const ANON_CLASSES: readonly LruClass[] = ['anonCold', 'anonHot'];
const FILE_CLASSES: readonly LruClass[] = ['fileCold', 'fileHot'];

export type OomVictimListener = (app: SimApp) => void;

/** An inactive list's tail as one reclaim round finds it: its cycle time, ms, and each class's pages due there (MemoryModel.tailOf). */
interface Tail {
  cycle: number;
  total: number;
  /** Per app (its index in `apps`) × class of the type (index in ANON_CLASSES / FILE_CLASSES): unmarked and marked pages due. */
  unmarked: Float64Array;
  marked: Float64Array;
}

/**
 * The kernel side of the simulated device: free memory, zram, kswapd, direct reclaim and
 * the OOM killer. Policies never see this; they see snapshots and pressure signals.
 */
export class MemoryModel {
  readonly ramPages: number;
  readonly reservedPages: number;
  readonly zramCapacityPages: number;
  readonly minPages: number;
  readonly lowPages: number;
  readonly highPages: number;
  /** The slower memory tier, if the device has one, and its size in pages. */
  readonly tier: MemoryTierProfile | null;
  readonly tierCapacityPages: number;
  /** What one touch of a page on the slower tier costs beyond the same touch in RAM, µs. */
  readonly slowTouchUs: number;
  /** Pages demoted by the kernel (reclaim) and promoted back (NUMA balancing), cumulative. */
  kernelDemoted = 0;
  promoted = 0;
  /** CPU time spent compressing/decompressing, µs, by who did it. */
  readonly cpuUs: CpuUs = { agent: 0, kswapd: 0, apps: 0 };
  refaultsAnon = 0;
  refaultsFile = 0;
  /** Pages scanned by direct reclaim, cumulative (vmstat pgscan_direct). */
  pgscanDirect = 0;
  /** Pages scanned by kswapd, cumulative (vmstat pgscan_kswapd): lmkd reads reclaim activity from it. */
  pgscanKswapd = 0;
  tick: TickStats = emptyTick();
  /** Each list's clock (how long a page waits on the inactive list), by type. */
  readonly clock = { anon: new LruClock(), file: new LruClock() };
  /**
   * Recent reclaim cost per type (mm/swap.c lru_note_cost): IO (a page swapped out, a refault
   * activated) weighs SWAP_CLUSTER_MAX, a rotation 1; both halve when their sum exceeds a
   * quarter of the LRU (checked once per reclaim call here, per note in the kernel).
   */
  readonly lruCost = { anon: 0, file: 0 };
  /** The workingset clock (mm/workingset.c nonresident_age): evictions plus refault activations. */
  nonresidentAge = 0;
  /** Refaults activated (vmstat workingset_activate_anon/file), and their count when reclaim last ended (lruvec->refaults). */
  readonly refaultActivations = { anon: 0, file: 0 };
  private readonly refaultSnapshot = { anon: 0, file: 0 };
  /** Each type's Tail arrays, reused round after round (a Tail lives for one reclaim round). */
  private readonly tailBuffers: Record<'anon' | 'file', { unmarked: Float64Array; marked: Float64Array }>;
  /** The current step's start and wall time, ms. */
  private stepStartMs = 0;
  private stepMs = 0;
  /** The current step's wall time, µs, and what each app has waited in it so far. */
  private tickUs = Number.POSITIVE_INFINITY;
  private readonly stalledUs = new Map<SimApp, number>();

  constructor(
    readonly device: DeviceProfile,
    readonly apps: readonly SimApp[],
    private readonly bandOf: (app: SimApp) => ImportanceBand,
    private readonly onOomKill: OomVictimListener,
  ) {
    this.ramPages = Math.floor(device.ramBytes / PAGE_SIZE);
    this.reservedPages = Math.ceil(device.reservedBytes / PAGE_SIZE);
    this.zramCapacityPages = Math.floor(device.zram.sizeBytes / PAGE_SIZE);
    this.minPages = Math.ceil(device.watermarks.minBytes / PAGE_SIZE);
    this.lowPages = Math.ceil(device.watermarks.lowBytes / PAGE_SIZE);
    this.highPages = Math.ceil(device.watermarks.highBytes / PAGE_SIZE);
    this.tier = device.tiers?.[0] ?? null;
    const buffers = () => ({ unmarked: new Float64Array(apps.length * 2), marked: new Float64Array(apps.length * 2) });
    this.tailBuffers = { anon: buffers(), file: buffers() };
    this.tierCapacityPages = this.tier ? Math.floor(this.tier.sizeBytes / PAGE_SIZE) : 0;
    this.slowTouchUs = this.tier ? Math.max(0, pageTouchNs(this.tier, PAGE_SIZE) - pageTouchNs(device.dram ?? DRAM_ACCESS, PAGE_SIZE)) / 1000 : 0;
  }

  get tierStoredPages(): number {
    let n = 0;
    for (const a of this.apps) n += a.slowPages;
    return n;
  }

  get tierFreePages(): number {
    return Math.max(0, this.tierCapacityPages - this.tierStoredPages);
  }

  /** The agent demotes up to `max` of one app's private pages (move_pages runs in its context); returns pages moved. Respects capacity. */
  demote(app: SimApp, max: number, hotToo: boolean): { anon: number; file: number } {
    return app.demote(Math.min(max, this.tierFreePages), hotToo);
  }

  /**
   * `app` touched `pages` of its pages on the slower tier: each costs the slower access (the
   * app waits). With NUMA-balancing promotion, touched working-set pages (`hot` of them) move
   * back to RAM while it has free pages above the high watermark (mm/migrate.c
   * migrate_balanced_pgdat), the migration paid in the hinting fault (do_numa_page).
   */
  touchSlow(app: SimApp, pages: number, hot: number): void {
    if (pages <= 0) return;
    let stallUs = pages * this.slowTouchUs;
    if (this.device.promotion && hot > 0) {
      const moved = app.promoteHot(Math.min(hot, Math.max(0, this.freePages - this.highPages)));
      this.promoted += moved;
      stallUs += moved * MIGRATE_US_PER_PAGE;
    }
    this.chargeStall(app, stallUs, 'slow');
  }

  /** CPU time spent compressing/decompressing, µs (all causes). */
  get zramCpuUs(): number {
    return this.cpuUs.agent + this.cpuUs.kswapd + this.cpuUs.apps;
  }

  /** A new step of `dtMs` of wall time: no task can wait on memory longer than that in it. */
  beginTick(dtMs: number, nowMs = this.stepStartMs + this.stepMs): void {
    this.tick = emptyTick();
    this.stepStartMs = nowMs;
    this.stepMs = dtMs;
    this.clock.anon.beginStep(nowMs);
    this.clock.file.beginStep(nowMs);
    this.tickUs = dtMs * 1000;
    this.stalledUs.clear();
  }

  get zramStoredPages(): number {
    let n = 0;
    for (const a of this.apps) n += a.zramPages;
    return n;
  }

  /** Compressed pages live in RAM too. */
  get zramFootprintPages(): number {
    return Math.ceil(this.zramStoredPages / this.device.zram.ratio);
  }

  get residentPages(): number {
    let n = 0;
    for (const a of this.apps) n += a.resident;
    return n;
  }

  /** May go below zero only transiently inside an allocation. */
  get freePages(): number {
    return this.ramPages - this.reservedPages - this.residentPages - this.zramFootprintPages;
  }

  get zramFreePages(): number {
    return Math.max(0, this.zramCapacityPages - this.zramStoredPages);
  }

  get fileCachePages(): number {
    let file = 0;
    for (const a of this.apps) file += a.fileResident;
    return file;
  }

  /** Inactive(file): resident file pages on the inactive list (lmkd's swap-low check reads it). */
  get inactiveFilePages(): number {
    let n = 0;
    for (const a of this.apps) n += a.inactive('fileHot') + a.inactive('fileCold');
    return n;
  }

  /** Reclaimable cheaply right now: free plus clean file pages (MemAvailable's idea). */
  get availablePages(): number {
    return Math.max(0, this.freePages) + this.fileCachePages;
  }

  /** The agent compresses anon pages of one app (process_madvise runs in its context); returns pages moved. Respects capacity. */
  pageOutAnon(app: SimApp, max: number, hotToo: boolean): number {
    const moved = app.pageOutAnon(Math.min(max, this.zramFreePages), hotToo);
    this.cpuUs.agent += moved * this.device.zram.compressUsPerPage;
    return moved;
  }

  /** kswapd: below the low watermark, reclaim toward high at its rate. */
  runKswapd(dtMs: number): void {
    if (this.freePages >= this.lowPages) return;
    const budget = Math.floor((this.device.kswapdPagesPerSec * dtMs) / 1000);
    const want = Math.min(budget, this.highPages - this.freePages);
    const before = this.tick.scanned;
    const cpuBefore = this.cpuUs.kswapd;
    const droppedBefore = this.tick.fileDropped;
    const demoteBefore = this.tick.demoteUs;
    this.reclaim(want, 'kswapd');
    const scanned = this.tick.scanned - before;
    this.pgscanKswapd += scanned;
    this.tick.kswapdCpuUs +=
      scanned * SCAN_US_PER_PAGE + this.cpuUs.kswapd - cpuBefore + (this.tick.fileDropped - droppedBefore) * this.device.fileDropUsPerPage + this.tick.demoteUs - demoteBefore;
  }

  /**
   * Make room for `pages` new resident pages for `app`, reclaiming directly (the app stalls)
   * and calling the OOM killer when nothing is left. Returns false if the app itself died.
   */
  makeRoom(app: SimApp, pages: number): boolean {
    let guard = 0;
    while (this.freePages - pages < this.minPages) {
      const need = this.minPages + pages - this.freePages;
      const before = this.tick.scanned;
      const cpuBefore = this.cpuUs.apps;
      const droppedBefore = this.tick.fileDropped;
      const demoteBefore = this.tick.demoteUs;
      const got = this.reclaim(need, 'apps');
      const scanned = this.tick.scanned - before;
      this.pgscanDirect += scanned;
      // Direct reclaim stalls the allocating task for the scanning, the compression, the file drops and the demotions it did.
      const stallUs =
        scanned * SCAN_US_PER_PAGE + this.cpuUs.apps - cpuBefore + (this.tick.fileDropped - droppedBefore) * this.device.fileDropUsPerPage + this.tick.demoteUs - demoteBefore;
      this.tick.directReclaimStallUs += stallUs;
      this.chargeStall(app, stallUs);
      if (got > 0) continue;
      this.tick.exhausted = true;
      const victim = this.oomVictim();
      if (!victim) return app.alive;
      victim.endLife();
      this.onOomKill(victim);
      if (victim === app) return false;
      if (++guard > this.apps.length + 1) return app.alive;
    }
    return app.alive;
  }

  /**
   * Reclaim about `want` pages net, as shrink_lruvec does on the classic two-list LRU; returns
   * the pages taken out of RAM (progress). Pages of apps the agent deactivated (MADV_COLD) go
   * first; then each round scans both types in get_scan_count's balance, deactivating from
   * the active list when the inactive one is low (or refaults are activating) and taking the
   * inactive tail whoever owns it: a page touched since it entered the list is activated, the
   * rest are evicted — so a working set touched less often than the list cycles is evicted,
   * and refaults. Rounds grow as the kernel's scan priority falls (lists >> 12 first, whole
   * lists last); no page is looked at more than twice in one call.
   */
  reclaim(want: number, who: 'kswapd' | 'apps'): number {
    if (want <= 0) return 0;
    const r = { freed: 0, taken: 0 };
    const cold = this.apps.filter((a) => a.alive && !a.isForeground && a.deactivated).sort((a, b) => a.lastUsedAt - b.lastUsedAt || a.pid - b.pid);
    for (const app of cold) {
      for (const c of LRU_CLASSES) {
        if (r.freed >= want) break;
        // MADV_COLD moved them to the inactive list with their references cleared (mm/madvise.c madvise_cold_or_pageout_pte_range).
        app.moveActive(c, -app.act(c));
        const net = this.netPerPage(kindOf(c));
        if (net === 0) continue; // anon with zram full: nowhere to put it
        const n = this.evictClass(app, c, Math.ceil((want - r.freed) / net), who, r);
        this.tick.scanned += n;
        this.clock[kindOf(c)].scanned += n;
      }
    }
    let budget = 2 * this.residentPages + SWAP_CLUSTER_MAX;
    let priority = DEF_PRIORITY;
    while (r.freed < want && budget > 0) {
      const s = this.listSizes();
      const anonTotal = s.anonAct + s.anonIn;
      const fileTotal = s.fileAct + s.fileIn;
      const lru = anonTotal + fileTotal;
      if (lru === 0) break;
      // get_scan_count: no swap space, no anon scan; plenty of inactive file not thrashing, file only (cache_trim_mode).
      let anonShare: number;
      if (this.netPerPage('anon') === 0 || anonTotal === 0) anonShare = 0;
      else if (fileTotal === 0) anonShare = 1;
      else if (s.fileIn >> DEF_PRIORITY > 0 && !this.mayDeactivate('file', s.fileIn, s.fileAct)) anonShare = 0;
      else anonShare = anonScanShare(anonTotal, fileTotal, this.lruCost.anon, this.lruCost.file);
      // Pages to scan so that what the inactive tails yield covers the need, within this priority's share of the lists.
      // Each list's tail as this round finds it, read once for the yield and the scan (a file scan leaves the anon lists as they were).
      const anonTail = anonShare > 0 ? this.tailOf('anon', s.anonIn) : null;
      const fileTail = anonShare < 1 ? this.tailOf('file', s.fileIn) : null;
      const yieldPerScan = (anonTail ? anonShare * this.yieldPerScan('anon', anonTail, s.anonIn, anonTotal) : 0) + (fileTail ? (1 - anonShare) * this.yieldPerScan('file', fileTail, s.fileIn, fileTotal) : 0);
      const cap = Math.max(SWAP_CLUSTER_MAX, lru >> priority);
      const n = Math.min(budget, cap, yieldPerScan > 0 ? Math.max(SWAP_CLUSTER_MAX, Math.ceil((want - r.freed) / yieldPerScan)) : cap);
      const nAnon = Math.round(n * anonShare);
      const scanned = (fileTail ? this.shrinkList('file', fileTail, n - nAnon, s.fileIn, s.fileAct, who, r) : 0) + (anonTail ? this.shrinkList('anon', anonTail, nAnon, s.anonIn, s.anonAct, who, r) : 0);
      if (scanned === 0 && (anonShare === 0 || anonShare === 1)) break;
      budget -= Math.max(1, scanned);
      if (priority > 0) priority--;
      // do_try_to_free_pages calls vmpressure_prio at each priority it goes down to (not kswapd's balance_pgdat).
      if (who === 'apps' && priority <= VMPRESSURE_CRITICAL_PRIO && r.freed < want) this.tick.criticalPriority++;
    }
    this.refaultSnapshot.anon = this.refaultActivations.anon;
    this.refaultSnapshot.file = this.refaultActivations.file;
    this.decayCost();
    return r.taken;
  }

  /** RAM one evicted page of a type frees: a dropped file page all of it, an anon page its size minus the compressed copy (none with zram full). */
  private netPerPage(kind: 'anon' | 'file'): number {
    if (kind === 'file') return 1;
    if (this.device.demotion && this.tierFreePages > 0) return 1;
    return this.zramFreePages > 0 ? 1 - 1 / this.device.zram.ratio : 0;
  }

  /** Resident LRU pages by type and list. */
  private listSizes(): { anonAct: number; anonIn: number; fileAct: number; fileIn: number } {
    const s = { anonAct: 0, anonIn: 0, fileAct: 0, fileIn: 0 };
    for (const a of this.apps) {
      if (!a.alive) continue;
      s.anonAct += a.anonHotAct + a.anonColdAct;
      s.anonIn += a.anonHotRes + a.anonColdRes - a.anonHotAct - a.anonColdAct;
      s.fileAct += a.fileHotAct + a.fileColdAct;
      s.fileIn += a.fileHotRes + a.fileColdRes - a.fileHotAct - a.fileColdAct;
    }
    return s;
  }

  /**
   * prepare_scan_control's may_deactivate: the active list of a type is aged when its inactive
   * list is low or refaults were activated since reclaim last ran (a new working set forming).
   */
  private mayDeactivate(kind: 'anon' | 'file', inactive: number, active: number): boolean {
    return this.refaultActivations[kind] !== this.refaultSnapshot[kind] || inactiveIsLow(inactive, active, PAGE_SIZE);
  }

  /**
   * RAM freed per page scanned from a type's lists now: the inactive share × the share of the
   * tail that is marked and not referenced (an unmarked page is only marked on its first trip)
   * × the net per page.
   */
  private yieldPerScan(kind: 'anon' | 'file', tail: Tail, inactive: number, total: number): number {
    if (inactive === 0 || total === 0) return 0;
    const cycle = tail.cycle;
    const classes = kind === 'anon' ? ANON_CLASSES : FILE_CLASSES;
    let evictable = 0;
    for (let i = 0; i < this.apps.length; i++) {
      const a = this.apps[i];
      if (!a.alive) continue;
      for (let j = 0; j < 2; j++) {
        const c = classes[j];
        const m = a.marked[c];
        if (m === 0) continue;
        const share = tail.total > 0 ? tail.marked[2 * i + j] / tail.total : m / inactive;
        evictable += share * (1 - referencedShare(this.tripMs(a, c, cycle), this.reuseMs(a, c)));
      }
    }
    return evictable * (inactive / total) * this.netPerPage(kind);
  }

  /**
   * How long a class's marked pages at the tail have been on this trip, ms: the list's cycle,
   * but no longer than their mean time since they were marked, and at least this step (a list
   * whose clock has no history yet reads as old as the run, while its pages were marked by the
   * scans that just began).
   */
  private tripMs(a: SimApp, c: LruClass, cycleMs: number): number {
    return Math.min(cycleMs, Math.max(this.stepMs, this.stepStartMs + this.stepMs - a.markedAt[c]));
  }

  /**
   * The inactive list is a queue (mm/swap.c lruvec_add_folio puts a page at the head;
   * isolate_lru_folios takes from the tail): a class's pages are at the tail in the share of
   * them that entered a cycle ago or more — their entry taken as spread evenly up to its mean
   * time, so age ÷ cycle, at most all — for its unmarked and its marked pages apart.
   */
  private tailOf(kind: 'anon' | 'file', inactive: number): Tail {
    const cycleMs = inactive > 0 ? this.clock[kind].cycleMs(this.stepStartMs, this.stepMs, inactive) : 0;
    const end = this.stepStartMs + this.stepMs;
    const cycle = Math.max(cycleMs, 1);
    const classes = kind === 'anon' ? ANON_CLASSES : FILE_CLASSES;
    const { unmarked, marked } = this.tailBuffers[kind];
    let total = 0;
    for (let i = 0; i < this.apps.length; i++) {
      const a = this.apps[i];
      unmarked[2 * i] = unmarked[2 * i + 1] = marked[2 * i] = marked[2 * i + 1] = 0;
      if (!a.alive) continue;
      for (let j = 0; j < 2; j++) {
        const c = classes[j];
        const m = a.marked[c];
        const u = (a.inactive(c) - m) * Math.min(1, Math.max(0, end - a.enteredAt[c]) / cycle);
        const d = m * Math.min(1, Math.max(0, end - a.markedAt[c]) / cycle);
        unmarked[2 * i + j] = u;
        marked[2 * i + j] = d;
        total += u + d;
      }
    }
    return { cycle: cycleMs, total, unmarked, marked };
  }

  /** How often an app touches a class of its pages, ms: the foreground its working set every frame, others at their band's or the scenario's rate; cold pages at coldTouch. */
  private reuseMs(app: SimApp, c: LruClass): number {
    if (!isHot(c)) return app.spec.coldTouchPerSec > 0 ? 1000 / app.spec.coldTouchPerSec : Number.POSITIVE_INFINITY;
    if (app.isForeground) return FOREGROUND_REUSE_MS;
    const rate = app.backgroundTouchRate(this.bandOf(app));
    return rate > 0 ? 1000 / rate : Number.POSITIVE_INFINITY;
  }

  /**
   * Scan `n` pages of one type's lists, each list in proportion to its size (shrink_lruvec),
   * the inactive list first as for_each_evictable_lru orders them: its tail is taken
   * (shrink_inactive_list), then the active part is deactivated if may_deactivate
   * (shrink_active_list moves anon and non-executable file pages to the inactive head whether
   * referenced or not) — so a page deactivated now is not at the tail in the same round.
   * Returns inactive pages scanned.
   */
  private shrinkList(kind: 'anon' | 'file', tail: Tail, n: number, inactive: number, active: number, who: 'kswapd' | 'apps', r: { freed: number; taken: number }): number {
    if (n <= 0 || inactive + active === 0) return 0;
    const nActive = Math.round((n * active) / (inactive + active));
    const nInactive = Math.min(inactive, n - nActive);
    const classes = kind === 'anon' ? ANON_CLASSES : FILE_CLASSES;
    let scanned = 0;
    if (nInactive > 0) {
      const cycle = tail.cycle;
      let rotated = 0;
      for (let x = 0; x < this.apps.length; x++) {
        const a = this.apps[x];
        if (!a.alive) continue;
        for (let j = 0; j < 2; j++) {
          const c = classes[j];
          const i = a.inactive(c);
          if (i === 0) continue;
          const due = { unmarked: tail.unmarked[2 * x + j], marked: tail.marked[2 * x + j] };
          // The tail holds each class in proportion to its due pages (all of them if none is due); carries keep small batches exact over time.
          const share = tail.total > 0 ? (due.unmarked + due.marked) / tail.total : i / inactive;
          const exact = nInactive * share + a.scanCarry[c];
          const k = Math.min(i, Math.floor(exact));
          a.scanCarry[c] = exact - k;
          if (k === 0) continue;
          // Of them, marked and unmarked in proportion to their due pages.
          const m = a.marked[c];
          const dueSum = due.unmarked + due.marked;
          const ku = Math.min(i - m, k - Math.min(m, Math.round(dueSum > 0 ? (k * due.marked) / dueSum : (k * m) / i)));
          const km = k - ku; // ≤ m: k ≤ i
          // Marked: touched on this trip → activated; the rest evicted (folio_check_references FOLIOREF_ACTIVATE / FOLIOREF_RECLAIM).
          a.marked[c] -= km;
          const referenced = Math.round(km * referencedShare(this.tripMs(a, c, cycle), this.reuseMs(a, c)));
          a.moveActive(c, referenced);
          const evicted = this.evictClass(a, c, km - referenced, who, r);
          // What could not go (zram full) is activated (shrink_folio_list activate_locked).
          rotated += referenced + a.moveActive(c, km - referenced - evicted);
          // Unmarked: the instantiating fault's reference keeps them for another trip, marked (FOLIOREF_KEEP).
          a.enteredMarked(c, ku, this.stepStartMs);
          rotated += ku;
          scanned += k;
        }
      }
      this.tick.scanned += scanned;
      this.clock[kind].scanned += scanned;
      this.lruCost[kind] += rotated;
    }
    if (nActive > 0 && this.mayDeactivate(kind, inactive, active)) {
      // The active tail: every class in proportion to its active pages.
      for (const a of this.apps) {
        if (!a.alive) continue;
        for (const c of classes) {
          const k = Math.floor((nActive * a.act(c)) / active);
          // Deactivated pages keep PG_referenced from their activation: marked (folio_check_references).
          if (k > 0) a.enteredMarked(c, a.moveActive(c, -k), this.stepStartMs);
        }
      }
    }
    return scanned + (inactive === 0 ? nActive : 0);
  }

  /**
   * Evict up to `n` inactive pages of one class: demoted to the slower tier while it has room
   * (mm/vmscan.c demote_folio_list, shared anon too: try_to_migrate unmaps it everywhere), else a file page
   * dropped or an anon page compressed into zram while it has room. Returns pages evicted.
   */
  private evictClass(app: SimApp, c: LruClass, n: number, who: 'kswapd' | 'apps', r: { freed: number; taken: number }): number {
    if (n <= 0) return 0;
    const kind = kindOf(c);
    let left = n;
    if (this.device.demotion && this.tierFreePages > 0) {
      const d = app.demoteClass(kind, isHot(c), Math.min(left, this.tierFreePages));
      this.tick.reclaimed += d;
      this.tick.demoted += d;
      this.tick.demoteUs += d * MIGRATE_US_PER_PAGE;
      this.kernelDemoted += d;
      r.freed += d;
      r.taken += d;
      left -= d;
    }
    if (left === 0) return n - left;
    const k = app.evictInactive(c, kind === 'anon' ? Math.min(left, this.zramFreePages) : left, this.nonresidentAge);
    this.nonresidentAge += k;
    this.tick.reclaimed += k;
    r.taken += k;
    if (kind === 'file') {
      this.tick.fileDropped += k;
      r.freed += k;
    } else {
      this.cpuUs[who] += k * this.device.zram.compressUsPerPage;
      r.freed += k * (1 - 1 / this.device.zram.ratio);
      // A page written to swap is IO for the scan balance (lru_note_cost's nr_pageout).
      this.lruCost.anon += k * SWAP_CLUSTER_MAX;
    }
    return n - left + k;
  }

  /** lru_note_cost's decay: both costs halve once their sum exceeds a quarter of the LRU. */
  private decayCost(): void {
    const quarter = this.residentPages / 4;
    while (this.lruCost.anon + this.lruCost.file > quarter && this.lruCost.anon + this.lruCost.file > 0) {
      this.lruCost.anon /= 2;
      this.lruCost.file /= 2;
      if (quarter < 1) break;
    }
  }

  /**
   * mm/workingset.c workingset_test_recent: a refault is recent when its distance is within
   * what the workingset could have held — active file, plus inactive file for an anon page,
   * plus active anon (and inactive anon for a file page) while there is swap space.
   */
  private workingsetSize(kind: 'anon' | 'file'): number {
    const s = this.listSizes();
    let size = s.fileAct + (kind === 'anon' ? s.fileIn : 0);
    if (this.zramFreePages > 0) size += s.anonAct + (kind === 'file' ? s.anonIn : 0);
    return size;
  }

  /** The kernel's oom_badness: footprint plus oom_score_adj as a share of memory. */
  private oomVictim(): SimApp | null {
    let best: SimApp | null = null;
    let bestPoints = -Infinity;
    for (const a of this.apps) {
      if (!a.alive) continue;
      const adj = BAND_ADJ[this.bandOf(a)];
      const points = a.resident + a.zramPages + a.slowPages + (adj * this.ramPages) / 1000;
      if (points > bestPoints || (points === bestPoints && best !== null && a.pid < best.pid)) {
        best = a;
        bestPoints = points;
      }
    }
    return best;
  }

  /**
   * Fault pages back in for `app`, paying decompression or storage reads. Each refault whose
   * distance (evictions since it was evicted) is within the workingset size goes straight to
   * the active list (mm/workingset.c workingset_refault / workingset_test_recent); that is IO
   * the scan balance weighs (lru_note_cost_refault, for pages that were active before).
   */
  faultIn(app: SimApp, anon: number, file: number, coldOnly = false): void {
    if (anon + file === 0) return;
    if (!this.makeRoom(app, anon + file)) return;
    const back = app.faultIn(anon, file, coldOnly);
    for (const c of LRU_CLASSES) {
      const n = back[c];
      if (n === 0) continue;
      if (this.nonresidentAge - app.evictedAt[c] > this.workingsetSize(kindOf(c))) {
        app.entered(c, n, this.stepStartMs);
        continue;
      }
      app.moveActive(c, n);
      this.nonresidentAge += n;
      this.refaultActivations[kindOf(c)] += n;
      this.lruCost[kindOf(c)] += n * SWAP_CLUSTER_MAX;
    }
    this.refaultsAnon += anon;
    this.refaultsFile += file;
    // The faulting task decompresses in its own context.
    const decompressUs = anon * this.device.zram.decompressUsPerPage;
    this.cpuUs.apps += decompressUs;
    const stallUs = decompressUs + file * this.device.storageReadUsPerPage;
    this.chargeStall(app, stallUs);
  }

  /**
   * A task of `app` waited on memory: the foreground's wait is the user's; so is a visible
   * app's (jank: a Chromebook's browser UI beside the app in front) and a perceptible one's
   * (an audio glitch: music playing in the background). Other apps' waits nobody sees.
   */
  private chargeStall(app: SimApp, requestedUs: number, as: 'stall' | 'slow' = 'stall'): void {
    // A task waits at most the step's wall time: the refaults and reclaim it asked for in one
    // step can cost more than that, but then it simply makes less progress — waiting is bounded
    // by the clock (psi.c likewise clamps a task's stall to the period it measures).
    const before = this.stalledUs.get(app) ?? 0;
    const us = Math.min(requestedUs, Math.max(0, this.tickUs - before));
    this.stalledUs.set(app, before + us);
    if (as === 'slow') {
      const band = app.isForeground ? 'foreground' : this.bandOf(app);
      if (band === 'foreground') this.tick.slowForegroundUs += us;
      else if (band === 'visible') this.tick.slowVisibleUs += us;
      else if (band === 'perceptible') this.tick.slowPerceptibleUs += us;
      return;
    }
    if (app.isForeground) {
      this.tick.foregroundStallUs += us;
      return;
    }
    this.tick.backgroundStallUs += us;
    const band = this.bandOf(app);
    if (band === 'visible') this.tick.visibleStallUs += us;
    else if (band === 'perceptible') this.tick.perceptibleStallUs += us;
  }
}

/** A tick before anything happened in it. */
export function emptyTick(): TickStats {
  return { scanned: 0, reclaimed: 0, exhausted: false, criticalPriority: 0, foregroundStallUs: 0, backgroundStallUs: 0, visibleStallUs: 0, perceptibleStallUs: 0, directReclaimStallUs: 0, kswapdCpuUs: 0, fileDropped: 0, foregroundPresent: false, agentBusy: 0, demoted: 0, demoteUs: 0, slowForegroundUs: 0, slowVisibleUs: 0, slowPerceptibleUs: 0 };
}
