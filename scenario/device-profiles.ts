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
}

// Numbers are typical of the class of device: zram sized at half of RAM (Android's default;
// ChromeOS uses 1.5× RAM), lz4 at ~2.8:1, UFS/eMMC reads with readahead, and watermarks
// raised above the kernel defaults as phone vendors do (watermark_scale_factor/extra_free).
const PHONE_COSTS = { compressUsPerPage: 12, decompressUsPerPage: 4 };

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
};

export const DEFAULT_DEVICE = 'phone-4g';
