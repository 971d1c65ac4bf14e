import { readFileSync } from 'node:fs';
import { cpus, release } from 'node:os';
import { readWatermarks } from '../../host/linux/meminfo';
import { readZram } from '../../runs/lab/zram-swap';
import type { RecordedDevice } from '../../db/recordings';

function readNumber(path: string): number | null {
  try {
    const n = Number(readFileSync(path, 'utf8').trim());
    return Number.isFinite(n) ? n : null;
  } catch {
    return null;
  }
}

/**
 * What a recording keeps of the machine for its export's device profile: RAM (MemTotal, or
 * the memcg's limit when scoped), zram0's disksize, algorithm and compression so far
 * (mm_stat), the zones' watermarks, the cores. Anything unreadable is null, and the export
 * says so.
 */
export function readDeviceFacts(memcg: string | null): RecordedDevice {
  const memTotalKiB = /^MemTotal:\s+(\d+)/m.exec(readFileSync('/proc/meminfo', 'utf8'));
  const limit = memcg ? readNumber(`${memcg}/memory.limit_in_bytes`) : null;
  let zram: RecordedDevice['zram'] = null;
  try {
    const z = readZram();
    if (z) {
      let orig = 0;
      let compr = 0;
      try {
        [orig, compr] = readFileSync('/sys/block/zram0/mm_stat', 'utf8').trim().split(/\s+/).map(Number);
      } catch {
        /* no disksize, no mm_stat */
      }
      zram = { disksizeBytes: z.disksize, algorithm: z.algorithm || null, origDataBytes: orig || 0, comprDataBytes: compr || 0 };
    }
  } catch {
    zram = null;
  }
  return {
    memTotalBytes: memTotalKiB ? Number(memTotalKiB[1]) * 1024 : 0,
    memcgLimitBytes: limit,
    zram,
    watermarks: readWatermarks() ?? null,
    cores: cpus().length,
    kernel: release(),
  };
}
