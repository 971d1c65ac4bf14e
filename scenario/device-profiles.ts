import { GiB, MiB } from '../policy-engine/types';

/**
 * What the simulator needs to know about a device. Costs are per 4 KiB page on the
 * device's own CPU and storage, so a slow phone and a Chromebook differ for real reasons.
 */
export interface DeviceProfile {
  name: string;
  ramBytes: number;
  /** Kernel, system services and graphics: memory no app can have. */
  reservedBytes: number;
  zram: {
    /** Uncompressed capacity of the swap device (disksize). */
    sizeBytes: number;
    /** Compression ratio; the compressed pages occupy RAM. */
    ratio: number;
    compressUsPerPage: number;
    decompressUsPerPage: number;
  };
  /** Cost of reading back one dropped file page (with readahead). */
  storageReadUsPerPage: number;
  /** Cost of dropping one clean file page. */
  fileDropUsPerPage: number;
  /** Free-memory watermarks: direct reclaim below min, kswapd wakes below low and stops at high. */
  watermarks: { minBytes: number; lowBytes: number; highBytes: number };
  /** How many pages kswapd can reclaim per second. */
  kswapdPagesPerSec: number;
  /**
   * CPU cores. The agent's compression, kswapd and the apps share them (CFS, equal weights):
   * when more threads want to run than there are cores, the foreground waits its share.
   */
  cores: number;
  /**
   * Android's ro.config.low_ram (Go devices): lmkd then uses its low-RAM defaults. No bundled
   * profile sets it (a vendor decides, not the RAM size); a scenario may, with `device.lowRam`.
   */
  lowRam?: boolean;
  /**
   * RAM's own access cost, the baseline a slower tier's is measured from. Absent: DRAM_ACCESS
   * (only a device with `tiers` uses it).
   */
  dram?: MemoryAccess;
  /**
   * Slower memory beside RAM (a CPU-less NUMA node: CXL or other far memory). A page there
   * stays mapped: no refault, but each touch costs the tier's slower access. The simulator
   * models one (MAX_SIM_TIERS).
   */
  tiers?: MemoryTierProfile[];
  /**
   * /sys/kernel/mm/numa/demotion_enabled: reclaim (kswapd and direct) moves LRU pages to the
   * first tier while it has room instead of compressing or dropping them (mm/vmscan.c
   * shrink_folio_list → demote_folio_list; folios that fail to demote go back to normal
   * reclaim). Off by default in the kernel, as here.
   */
  demotion?: boolean;
  /**
   * NUMA balancing in memory-tiering mode (kernel.numa_balancing = 2): a touched page on a
   * slower tier is promoted back to RAM while RAM has free pages above the high watermark
   * (mm/migrate.c migrate_balanced_pgdat). Off by default, as in the kernel.
   */
  promotion?: boolean;
}

/** One page's access cost on a memory: load-to-use latency and streaming bandwidth. */
export interface MemoryAccess {
  accessLatencyNs: number;
  bandwidthGBps: number;
}

export interface MemoryTierProfile extends MemoryAccess {
  /** The name a demote decision gives as its destination. */
  name: string;
  sizeBytes: number;
}

/** The simulator models one slower tier: each app's demoted pages are one pool per class. */
export const MAX_SIM_TIERS = 1;

/**
 * Local DDR4/DDR5 as a desktop or server sees it: ~100 ns idle load latency (Intel MLC on
 * current parts measures 80–110 ns; Pond, ASPLOS'23 §2 uses ~100 ns local) and ~40 GB/s
 * measured from a dual-channel DDR4-3200 (51.2 GB/s peak).
 */
export const DRAM_ACCESS: MemoryAccess = { accessLatencyNs: 100, bandwidthGBps: 40 };

/**
 * A CXL Type-3 memory expander (x8 link): ~250 ns load latency, ~2.5× local DRAM — Sun et
 * al., "Demystifying CXL Memory with Genuine CXL-Ready Systems and Devices", MICRO'23, measured
 * 2.2–3.5× across their devices; Pond (ASPLOS'23) and TPP (ASPLOS'23) model CXL as local +
 * 70–150 ns, a remote-socket hop. Bandwidth ~20 GB/s: a PCIe 5.0 x8 link carries ~32 GB/s raw
 * per direction; the same MICRO'23 devices sustained well under that.
 */
export const CXL_EXPANDER: MemoryAccess = { accessLatencyNs: 250, bandwidthGBps: 20 };

/**
 * Cost of migrating one 4 KiB page between nodes (unmap, TLB shootdown, copy, remap): a few
 * µs. Nimble (Yan et al., ASPLOS'19) found Linux's base-page migration well under the copy
 * bandwidth for exactly these steps; 3 µs ≈ 1.4 GB/s is our assumption in that range, not a
 * measurement here (this machine has one node: move_pages can only stay put).
 */
export const MIGRATE_US_PER_PAGE = 3;

// Numbers are typical of the class of device: zram sized at half of RAM (Android's default;
// ChromeOS uses 1.5× RAM), lz4 at ~2.8:1, UFS/eMMC reads with readahead, and watermarks
// raised above the kernel defaults as phone vendors do (watermark_scale_factor/extra_free).
const PHONE_COSTS = { compressUsPerPage: 12, decompressUsPerPage: 4 };

// A desktop with 16 GiB of DDR and a 16 GiB CXL memory expander as a CPU-less NUMA node,
// kernel demotion off (the kernel's default, and Debian's): only a policy demotes.
const DESKTOP_16G_CXL: DeviceProfile = {
  name: 'desktop-16g-cxl',
  ramBytes: 16 * GiB,
  reservedBytes: 2 * GiB,
  // Desktop distributions size zram at half of RAM (Fedora's zram-generator default: min(RAM/2, 8 GiB)).
  // lzo-rle/lz4 on a desktop core: ~0.8 GB/s compressing, ~2 GB/s decompressing (5 and 2 µs a page).
  zram: { sizeBytes: 8 * GiB, ratio: 3.0, compressUsPerPage: 5, decompressUsPerPage: 2 },
  // NVMe: ~10 µs a 4 KiB read with readahead amortised.
  storageReadUsPerPage: 10,
  fileDropUsPerPage: 0.3,
  // The kernel's own watermarks with THP on: min_free_kbytes raised to 67584 (mm/khugepaged.c
  // set_recommended_min_free_kbytes on x86_64); low and high add max(min/4, 0.1% of RAM) each
  // (watermark_scale_factor 10, mm/page_alloc.c __setup_per_zone_wmarks). This lab machine (24 GiB) reads 67584 and 10.
  watermarks: { minBytes: 67 * MiB, lowBytes: 84 * MiB, highBytes: 100 * MiB },
  // Assumed: about twice the Chromebook's (a faster core, the same LRU walk).
  kswapdPagesPerSec: 150_000,
  cores: 8,
  dram: DRAM_ACCESS,
  tiers: [{ name: 'cxl', sizeBytes: 16 * GiB, ...CXL_EXPANDER }],
};

export const DEVICE_PROFILES: Readonly<Record<string, DeviceProfile>> = {
  'phone-2g': {
    name: 'phone-2g',
    ramBytes: 2 * GiB,
    reservedBytes: 700 * MiB,
    zram: { sizeBytes: 1 * GiB, ratio: 2.8, ...PHONE_COSTS },
    storageReadUsPerPage: 30,
    fileDropUsPerPage: 0.5,
    watermarks: { minBytes: 12 * MiB, lowBytes: 48 * MiB, highBytes: 80 * MiB },
    kswapdPagesPerSec: 40_000,
    // Android Go class SoCs are quad-core Cortex-A53 (e.g. MediaTek MT6739, Snapdragon 215).
    cores: 4,
  },
  'phone-4g': {
    name: 'phone-4g',
    ramBytes: 4 * GiB,
    reservedBytes: 1100 * MiB,
    zram: { sizeBytes: 2 * GiB, ratio: 2.8, ...PHONE_COSTS },
    storageReadUsPerPage: 25,
    fileDropUsPerPage: 0.5,
    watermarks: { minBytes: 16 * MiB, lowBytes: 80 * MiB, highBytes: 128 * MiB },
    kswapdPagesPerSec: 50_000,
    // Mid-range phones are octa-core (e.g. Snapdragon 665, Helio G85).
    cores: 8,
  },
  'phone-8g': {
    name: 'phone-8g',
    ramBytes: 8 * GiB,
    reservedBytes: 1600 * MiB,
    zram: { sizeBytes: 4 * GiB, ratio: 2.8, compressUsPerPage: 8, decompressUsPerPage: 3 },
    storageReadUsPerPage: 15,
    fileDropUsPerPage: 0.4,
    watermarks: { minBytes: 24 * MiB, lowBytes: 128 * MiB, highBytes: 200 * MiB },
    kswapdPagesPerSec: 80_000,
    cores: 8,
  },
  'chromebook-4g': {
    name: 'chromebook-4g',
    ramBytes: 4 * GiB,
    reservedBytes: 1200 * MiB,
    zram: { sizeBytes: 6 * GiB, ratio: 3.0, compressUsPerPage: 6, decompressUsPerPage: 2 },
    storageReadUsPerPage: 15,
    fileDropUsPerPage: 0.4,
    watermarks: { minBytes: 16 * MiB, lowBytes: 64 * MiB, highBytes: 100 * MiB },
    kswapdPagesPerSec: 80_000,
    // 4 GiB education Chromebooks run dual-core Celerons (e.g. N4020, N4500).
    cores: 2,
  },
  'desktop-16g-cxl': DESKTOP_16G_CXL,
  // The same desktop run as TPP proposes (Maruf et al., ASPLOS'23; upstream since 5.18/6.1):
  // demotion_enabled = 1 and numa_balancing = 2, so the kernel itself demotes on reclaim and
  // promotes touched pages back.
  'desktop-16g-cxl-tpp': { ...DESKTOP_16G_CXL, name: 'desktop-16g-cxl-tpp', demotion: true, promotion: true },
};

/** One touch of a page: its first line at the memory's latency, the rest streamed at its bandwidth (GB/s = bytes/ns). */
export function pageTouchNs(m: MemoryAccess, pageBytes: number): number {
  return m.accessLatencyNs + pageBytes / m.bandwidthGBps;
}

export const DEFAULT_DEVICE = 'phone-4g';
