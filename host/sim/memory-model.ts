import { BAND_ADJ } from '../../policy-engine/importance';
import { PAGE_SIZE } from '../../policy-engine/types';
import { DRAM_ACCESS, MIGRATE_US_PER_PAGE, pageTouchNs, type DeviceProfile, type MemoryTierProfile } from '../../scenario/device-profiles';
import type { SimApp } from './sim-app';
import type { ImportanceBand } from '../../policy-engine/types';

/** What the kernel did during one tick, for vmpressure, PSI and the metrics. */
export interface TickStats {
  scanned: number;
  reclaimed: number;
  /** Direct reclaim or an allocation failed: nothing left to reclaim. */
  exhausted: boolean;
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

/** Where the kernel looks for pages, in LRU order. Scanning referenced pages wastes work. */
interface LruBucket {
  app: SimApp;
  kind: 'anon' | 'file';
  hot: boolean;
  /** Pages scanned per page reclaimed: referenced pages get rotated before they go. */
  scanCost: number;
}

export type OomVictimListener = (app: SimApp) => void;

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
  beginTick(dtMs: number): void {
    this.tick = emptyTick();
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

  /**
   * Inactive(file). The model's cold file pages are inactive; beyond them the kernel keeps the
   * inactive list at least 1/(1 + ratio) of the file LRU by deactivating active pages, ratio =
   * int_sqrt(10 × LRU GiB), 1 under 1 GiB (mm/vmscan.c inactive_is_low, Linux 6.x).
   */
  get inactiveFilePages(): number {
    let cold = 0;
    let all = 0;
    for (const a of this.apps) {
      cold += a.fileColdRes;
      all += a.fileResident;
    }
    const gib = Math.floor((all * PAGE_SIZE) / 2 ** 30);
    const ratio = gib > 0 ? Math.floor(Math.sqrt(10 * gib)) : 1;
    return Math.max(cold, Math.floor(all / (1 + ratio)));
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

  /** Reclaim about `want` pages net in LRU order; returns the pages taken out of RAM (progress). */
  reclaim(want: number, who: 'kswapd' | 'apps'): number {
    if (want <= 0) return 0;
    let freed = 0;
    let taken = 0;
    const netPerAnonPage = 1 - 1 / this.device.zram.ratio;
    for (const b of this.lruBuckets()) {
      if (freed >= want) break;
      // With demotion enabled, reclaim first moves the bucket's pages to the slower tier while
      // it has room, a whole page freed per page moved; what fails to demote (tier full) goes
      // back to normal reclaim (mm/vmscan.c shrink_folio_list: demote_folio_list, then retry
      // with do_demote_pass = false). Shared anon stays for normal reclaim: the slow pools are
      // private pages only (a simplification: the kernel's try_to_migrate would move them too).
      if (this.device.demotion && this.tierFreePages > 0) {
        const n = b.app.demoteClass(b.kind, b.hot, Math.min(Math.ceil(want - freed), this.tierFreePages));
        this.tick.scanned += n * b.scanCost;
        this.tick.reclaimed += n;
        this.tick.demoted += n;
        this.tick.demoteUs += n * MIGRATE_US_PER_PAGE;
        this.kernelDemoted += n;
        freed += n;
        taken += n;
        if (freed >= want) break;
      }
      const avail = b.kind === 'file' ? (b.hot ? b.app.fileHotRes : b.app.fileColdRes) : b.hot ? b.app.anonHotRes : b.app.anonColdRes;
      if (avail === 0) continue;
      if (b.kind === 'file') {
        const n = b.app.evict('file', b.hot, Math.ceil(want - freed));
        this.tick.scanned += n * b.scanCost;
        this.tick.reclaimed += n;
        this.tick.fileDropped += n;
        freed += n;
        taken += n;
        continue;
      }
      // Compressing one page frees only (1 - 1/ratio) of a page, and only while zram has room;
      // pages scanned with zram full are work without progress (vmpressure sees that).
      const tried = Math.min(avail, Math.ceil((want - freed) / netPerAnonPage));
      const moved = b.app.evict('anon', b.hot, Math.min(tried, this.zramFreePages));
      this.cpuUs[who] += moved * this.device.zram.compressUsPerPage;
      this.tick.scanned += tried * b.scanCost;
      this.tick.reclaimed += moved;
      freed += moved * netPerAnonPage;
      taken += moved;
    }
    return taken;
  }

  private lruBuckets(): LruBucket[] {
    const bg = this.apps.filter((a) => a.alive && !a.isForeground).sort((a, b) => a.lastUsedAt - b.lastUsedAt || a.pid - b.pid);
    const fg = this.apps.filter((a) => a.alive && a.isForeground);
    const buckets: LruBucket[] = [];
    for (const app of bg.filter((a) => a.deactivated)) {
      buckets.push({ app, kind: 'file', hot: false, scanCost: 1 }, { app, kind: 'file', hot: true, scanCost: 1 });
      buckets.push({ app, kind: 'anon', hot: false, scanCost: 1 }, { app, kind: 'anon', hot: true, scanCost: 1 });
    }
    // Pages nobody touches age onto the inactive list whichever app owns them, so the
    // foreground's cold pages go before the background's working sets.
    for (const app of bg) buckets.push({ app, kind: 'file', hot: false, scanCost: 1 });
    for (const app of fg) buckets.push({ app, kind: 'file', hot: false, scanCost: 1 });
    for (const app of bg) buckets.push({ app, kind: 'anon', hot: false, scanCost: 1 });
    for (const app of fg) buckets.push({ app, kind: 'anon', hot: false, scanCost: 1 });
    // A working set touched again before the scan comes round to it is found referenced and
    // rotated back (mm/vmscan.c folio_check_references: referenced pages are kept/activated),
    // so the kernel's LRU protects it like the foreground's: a visible browser or a playing
    // music app refreshes its working set every second or two, well inside one pass over RAM.
    const passSec = this.ramPages / Math.max(1, this.device.kswapdPagesPerSec);
    const referenced = (a: SimApp) => a.backgroundTouchRate(this.bandOf(a)) * passSec >= 1;
    const idleBg = bg.filter((a) => !referenced(a));
    const busyBg = bg.filter(referenced);
    for (const app of idleBg) buckets.push({ app, kind: 'file', hot: true, scanCost: 3 });
    for (const app of idleBg) buckets.push({ app, kind: 'anon', hot: true, scanCost: 3 });
    // The foreground's working set (and any other referenced within a pass) is referenced all
    // the time: scanning it is mostly rotation.
    for (const app of [...busyBg, ...fg]) buckets.push({ app, kind: 'file', hot: true, scanCost: 8 }, { app, kind: 'anon', hot: true, scanCost: 8 });
    return buckets;
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

  /** Fault pages back in for `app`, paying decompression or storage reads. */
  faultIn(app: SimApp, anon: number, file: number, coldOnly = false): void {
    if (anon + file === 0) return;
    if (!this.makeRoom(app, anon + file)) return;
    app.faultIn(anon, file, coldOnly);
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
  return { scanned: 0, reclaimed: 0, exhausted: false, foregroundStallUs: 0, backgroundStallUs: 0, visibleStallUs: 0, perceptibleStallUs: 0, directReclaimStallUs: 0, kswapdCpuUs: 0, fileDropped: 0, foregroundPresent: false, agentBusy: 0, demoted: 0, demoteUs: 0, slowForegroundUs: 0, slowVisibleUs: 0, slowPerceptibleUs: 0 };
}
