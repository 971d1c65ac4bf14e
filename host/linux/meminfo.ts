import { readFileSync, readdirSync } from 'node:fs';
import type { MemoryReading, PsiReading } from '../../policy-engine/types';
import { slowerTiersNow } from './memory-tiers';

/**
 * A "key value" file (/proc/meminfo, /proc/vmstat, memory.stat) whose values are looked up by
 * key when asked: a reading needs about 15 of vmstat's 180 keys, and the sampler reads these
 * files every second, so building a map of all of them made most of the idle agent's garbage.
 */
export class KeyedFile {
  private constructor(
    private readonly text: string,
    /** What follows a key: ':' in meminfo, ' ' in vmstat and memory.stat. */
    private readonly separator: string,
  ) {}

  static read(path: string, separator: string): KeyedFile {
    try {
      return new KeyedFile(readFileSync(path, 'utf8'), separator);
    } catch {
      return new KeyedFile('', separator);
    }
  }

  /** The number after `key` at the start of a line, or undefined when the file has no such key. */
  get(key: string): number | undefined {
    const needle = key + this.separator;
    const atStart = this.text.startsWith(needle);
    const found = atStart ? 0 : this.text.indexOf('\n' + needle);
    if (found < 0) return undefined;
    let i = (atStart ? 0 : found + 1) + needle.length;
    while (this.text.charCodeAt(i) === 32) i++;
    let value = 0;
    let digits = 0;
    for (let c = this.text.charCodeAt(i); c >= 48 && c <= 57; c = this.text.charCodeAt(++i), digits++) value = value * 10 + (c - 48);
    return digits > 0 ? value : undefined;
  }

  has(key: string): boolean {
    return this.get(key) !== undefined;
  }
}

/** System memory from /proc/meminfo, /proc/zoneinfo and /proc/vmstat, as policies read it. */
export function readSystemMemory(withWatermarks = true): MemoryReading {
  const mi = KeyedFile.read('/proc/meminfo', ':');
  const kb = (k: string) => (mi.get(k) ?? 0) * 1024;
  const vm = KeyedFile.read('/proc/vmstat', ' ');
  const tiers = slowerTiersNow();
  return {
    totalBytes: kb('MemTotal'),
    availableBytes: kb('MemAvailable'),
    freeBytes: kb('MemFree'),
    swapTotalBytes: kb('SwapTotal'),
    swapFreeBytes: kb('SwapFree'),
    fileCacheBytes: kb('Active(file)') + kb('Inactive(file)'),
    anonBytes: kb('AnonPages'),
    watermarks: withWatermarks ? recentWatermarks() : undefined,
    workingsetRefaultFile: vm.get('workingset_refault_file') ?? vm.get('workingset_refault') ?? 0,
    pgscanDirect: vm.get('pgscan_direct') ?? 0,
    inactiveFileBytes: kb('Inactive(file)'),
    pgscanKswapd: vm.get('pgscan_kswapd') ?? 0,
    pgrefill: vm.get('pgrefill') ?? 0,
    // zswap's pool (0 while zswap is off or empty; left out on kernels without it), beside zram's RAM.
    ...(mi.has('Zswap') ? { zswapBytes: kb('Zswap'), zswappedBytes: kb('Zswapped') } : {}),
    // Slower NUMA nodes a demote could use (none on a one-node machine: the field is left out).
    ...(tiers.length > 0 ? { tiers } : {}),
  };
}

/**
 * Zone watermarks change only when an administrator changes min_free_kbytes or
 * watermark_scale_factor, or memory is hot-plugged: lmkd re-reads /proc/zoneinfo at most once
 * a minute (lmkd.cpp mp_event_psi, `get_time_diff_ms(&wmark_update_tm, &curr_tm) > 60000`),
 * and so does this, instead of parsing the 200-line (per NUMA node) file with every sample.
 */
const WATERMARKS_MAX_AGE_MS = 60_000;
let watermarksRead: { at: number; value: MemoryReading['watermarks'] } | null = null;

function recentWatermarks(now = Date.now()): MemoryReading['watermarks'] {
  if (!watermarksRead || now - watermarksRead.at > WATERMARKS_MAX_AGE_MS) watermarksRead = { at: now, value: readWatermarks() };
  return watermarksRead.value;
}

/** Sum of the zones' min/low/high watermarks (pages) from /proc/zoneinfo, in bytes. */
export function readWatermarks(): MemoryReading['watermarks'] {
  let text = '';
  try {
    text = readFileSync('/proc/zoneinfo', 'utf8');
  } catch {
    return undefined;
  }
  let min = 0;
  let low = 0;
  let high = 0;
  for (const m of text.matchAll(/^\s+pages free\s+\d+\s*\n\s+(?:boost\s+\d+\s*\n\s+)?min\s+(\d+)\s*\n\s+low\s+(\d+)\s*\n\s+high\s+(\d+)/gm)) {
    min += Number(m[1]);
    low += Number(m[2]);
    high += Number(m[3]);
  }
  return high > 0 ? { minBytes: min * 4096, lowBytes: low * 4096, highBytes: high * 4096 } : undefined;
}

/** A memory cgroup v1's view: its limit is the total, its usage what is taken. */
export function readMemcgMemory(memcg: string, watermarks?: MemoryReading['watermarks']): MemoryReading {
  // Zone watermarks mean nothing inside a cgroup; skipping /proc/zoneinfo keeps this cheap.
  const system = readSystemMemory(false);
  const num = (file: string) => {
    try {
      return Number(readFileSync(`${memcg}/${file}`, 'utf8').trim());
    } catch {
      return NaN;
    }
  };
  const limit = Math.min(num('memory.limit_in_bytes'), system.totalBytes);
  const usage = num('memory.usage_in_bytes');
  const stat = KeyedFile.read(`${memcg}/memory.stat`, ' ');
  const file = (stat.get('total_active_file') ?? 0) + (stat.get('total_inactive_file') ?? 0);
  if (!Number.isFinite(limit) || !Number.isFinite(usage)) return system;
  const free = Math.max(0, limit - usage);
  return {
    ...system,
    totalBytes: limit,
    freeBytes: free,
    availableBytes: free + file,
    fileCacheBytes: file,
    inactiveFileBytes: stat.get('total_inactive_file') ?? 0,
    anonBytes: stat.get('total_rss') ?? system.anonBytes,
    watermarks,
  };
}

/** PSI averages from a pressure file (/proc/pressure/memory or a cgroup's memory.pressure). */
export function readPsi(path = '/proc/pressure/memory', windowMs = 1000): PsiReading | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  const line = (kind: string) => new RegExp(`^${kind} avg10=([\\d.]+) avg60=([\\d.]+) avg300=[\\d.]+ total=(\\d+)`, 'm').exec(text);
  const some = line('some');
  const full = line('full');
  return {
    someAvg10: some ? Number(some[1]) : 0,
    someAvg60: some ? Number(some[2]) : 0,
    fullAvg10: full ? Number(full[1]) : 0,
    fullAvg60: full ? Number(full[2]) : 0,
    // The window values are what a trigger compares; averages approximate them here.
    someWindowMs: some ? (Number(some[1]) * windowMs) / 100 : 0,
    fullWindowMs: full ? (Number(full[1]) * windowMs) / 100 : 0,
    windowMs,
  };
}

/** RAM used by every zram device (mm_stat's mem_used_total), 0 without zram. */
export function readZramUsedBytes(): number {
  let total = 0;
  let names: string[] = [];
  try {
    names = readdirSync('/sys/block').filter((n) => n.startsWith('zram'));
  } catch {
    return 0;
  }
  for (const name of names) {
    try {
      total += Number(readFileSync(`/sys/block/${name}/mm_stat`, 'utf8').trim().split(/\s+/)[2]) || 0;
    } catch {
      // A zram device without a disksize has no mm_stat worth reading.
    }
  }
  return total;
}
