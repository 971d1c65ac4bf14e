// The machine's compressed tier for anonymous pages: where anon reclaim (MADV_PAGEOUT, the
// kernel's own reclaim) puts a page. Either zram devices used as swap (pages compressed in
// RAM, no disk), or zswap (a compressed cache in RAM in front of a disk swap file or
// partition: pages go to disk only when its pool is full), or none — then anon reclaim writes
// pages to disk swap uncompressed, or, without any swap, cannot happen at all.
import { readdirSync, readFileSync } from 'node:fs';
import { formatBytes } from '../../common/format';

/** One active swap area as /proc/swaps lists it. */
export interface SwapArea {
  name: string;
  /** "partition" or "file" (zram devices are partitions). */
  type: string;
  sizeKiB: number;
  usedKiB: number;
  priority: number;
}

/** zswap's settings (/sys/module/zswap/parameters), as policies and doctor need them. */
export interface ZswapSettings {
  enabled: boolean;
  compressor: string;
  /** Largest share of RAM the pool may take before it writes pages back to the swap area. */
  maxPoolPercent: number;
  /** After the pool was full, it accepts again only below this share of its limit (5.13+). */
  acceptThresholdPercent: number | null;
  /** The pool's shrinker writes cold entries back under memory pressure (6.8+). */
  shrinkerEnabled: boolean | null;
}

/** One zram device: whether it is swap now, how big and with what algorithm. */
export interface ZramDevice {
  name: string;
  disksizeBytes: number;
  algorithm: string;
  swapOn: boolean;
}

export interface CompressedTier {
  /** zram: some zram device is active swap; zswap: zswap on, in front of a disk swap area; none. */
  kind: 'zram' | 'zswap' | 'none';
  zram: ZramDevice[];
  /** null where the kernel has no zswap (CONFIG_ZSWAP off). */
  zswap: ZswapSettings | null;
  /** Active swap areas that are not zram: a file or a disk partition. */
  diskSwap: SwapArea[];
  /** /proc/meminfo Zswap (the RAM the pool takes) and Zswapped (what it holds, uncompressed); null where absent. */
  zswapPoolBytes: number | null;
  zswappedBytes: number | null;
  /** One line each, for doctor: what the tier is; what anon reclaim does here; how to get one (null when there is one). */
  summary: string;
  anonReclaim: string;
  howTo: string | null;
}

const SWAPS_HEADER = /^Filename\s+Type\s+Size\s+Used\s+Priority\s*$/;

/**
 * /proc/swaps as areas. Names with spaces are written by the kernel as `\040`, so a line is
 * always five fields; anything else is an error naming the file and the line.
 */
export function parseSwaps(text: string, where = '/proc/swaps'): SwapArea[] {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  if (lines.length === 0 || !SWAPS_HEADER.test(lines[0])) throw new Error(`${where}: expected the header "Filename Type Size Used Priority", got "${lines[0] ?? ''}"`);
  return lines.slice(1).map((line, i) => {
    const f = line.trim().split(/\s+/);
    const [size, used, priority] = f.slice(2).map(Number);
    if (f.length !== 5 || ![size, used, priority].every(Number.isInteger)) throw new Error(`${where} line ${i + 2}: expected "NAME TYPE SIZE USED PRIORITY", got "${line}"`);
    return { name: f[0].replace(/\\040/g, ' '), type: f[1], sizeKiB: size, usedKiB: used, priority };
  });
}

/** Every zswap parameter file and its text, as found: what a change must put back exactly. null without zswap. */
export function readZswapParameters(dir = '/sys/module/zswap/parameters'): Record<string, string> | null {
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch {
    return null;
  }
  return Object.fromEntries(names.map((n) => [n, readFileSync(`${dir}/${n}`, 'utf8').trim()]));
}

const yes = (v: string, where: string): boolean => {
  if (/^[Yy1]$/.test(v)) return true;
  if (/^[Nn0]$/.test(v)) return false;
  throw new Error(`${where}: expected Y or N, got "${v}"`);
};

/** The parameters as settings; `enabled` and `compressor` must be there (every zswap since 3.11 has them). */
export function parseZswapSettings(raw: Record<string, string>, where = '/sys/module/zswap/parameters'): ZswapSettings {
  for (const k of ['enabled', 'compressor', 'max_pool_percent']) if (raw[k] === undefined) throw new Error(`${where}: no ${k} parameter (found: ${Object.keys(raw).join(', ') || 'none'})`);
  const percent = (k: string): number => {
    const n = Number(raw[k]);
    if (!Number.isInteger(n) || n < 0 || n > 100) throw new Error(`${where}/${k}: expected a percentage, got "${raw[k]}"`);
    return n;
  };
  return {
    enabled: yes(raw.enabled, `${where}/enabled`),
    compressor: raw.compressor,
    maxPoolPercent: percent('max_pool_percent'),
    acceptThresholdPercent: raw.accept_threshold_percent === undefined ? null : percent('accept_threshold_percent'),
    shrinkerEnabled: raw.shrinker_enabled === undefined ? null : yes(raw.shrinker_enabled, `${where}/shrinker_enabled`),
  };
}

function read(path: string): string | null {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return null;
  }
}

function zramDevices(sys: string, swaps: SwapArea[]): ZramDevice[] {
  let names: string[] = [];
  try {
    names = readdirSync(`${sys}/block`).filter((n) => /^zram\d+$/.test(n)).sort();
  } catch {
    return [];
  }
  return names.map((name) => {
    const algorithms = read(`${sys}/block/${name}/comp_algorithm`) ?? '';
    return {
      name,
      disksizeBytes: Number(read(`${sys}/block/${name}/disksize`) ?? 0) || 0,
      algorithm: /\[(\S+)\]/.exec(algorithms)?.[1] ?? algorithms,
      swapOn: swaps.some((s) => s.name === `/dev/${name}`),
    };
  });
}

const areaText = (s: SwapArea) => `${s.name} (${s.type}, ${formatBytes(s.sizeKiB * 1024)})`;

/** Read the compressed tier under `sys` and `proc` (a test points both at a copy). */
export function readCompressedTier(sys = '/sys', proc = '/proc'): CompressedTier {
  const swapsText = read(`${proc}/swaps`);
  const swaps = swapsText === null ? [] : parseSwaps(swapsText, `${proc}/swaps`);
  const zram = zramDevices(sys, swaps);
  const rawZswap = readZswapParameters(`${sys}/module/zswap/parameters`);
  const zswap = rawZswap === null ? null : parseZswapSettings(rawZswap, `${sys}/module/zswap/parameters`);
  const diskSwap = swaps.filter((s) => !/^\/dev\/zram\d+$/.test(s.name));
  const meminfo = read(`${proc}/meminfo`) ?? '';
  const kb = (key: string) => {
    const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(meminfo);
    return m ? Number(m[1]) * 1024 : null;
  };
  const zramSwap = zram.filter((z) => z.swapOn);
  const kind: CompressedTier['kind'] = zramSwap.length > 0 ? 'zram' : zswap?.enabled && diskSwap.length > 0 ? 'zswap' : 'none';
  const zswapText = zswap ? `zswap ${zswap.enabled ? 'on' : 'off'} (${zswap.compressor}, pool ≤ ${zswap.maxPoolPercent} % of RAM)` : 'no zswap in this kernel';
  const zramText = zram.length ? zram.map((z) => `${z.name} ${z.swapOn ? `swap, ${formatBytes(z.disksizeBytes)}, ${z.algorithm}` : 'not swap'}`).join(', ') : 'no zram devices';

  let summary: string;
  let anonReclaim: string;
  let howTo: string | null = null;
  if (kind === 'zram') {
    summary = `zram: ${zramText}${zswap?.enabled ? `; ${zswapText} in front of it too` : ''}`;
    anonReclaim = 'anon reclaim compresses pages into zram, in RAM: a swap-in costs a decompression, no disk read';
  } else if (kind === 'zswap') {
    summary = `zswap: ${zswapText} in front of ${diskSwap.map(areaText).join(', ')}; ${zramText}`;
    anonReclaim = `anon reclaim compresses pages into zswap's pool, in RAM; only when the pool is full do they go to ${diskSwap.length === 1 ? diskSwap[0].name : 'disk swap'}`;
  } else {
    summary = `none: ${zramText}; ${zswapText}; ${diskSwap.length ? `disk swap ${diskSwap.map(areaText).join(', ')}` : 'no swap active'}`;
    if (diskSwap.length > 0) {
      anonReclaim = `anon reclaim writes pages to ${diskSwap.map((s) => s.name).join(', ')} uncompressed: each swap-in is a disk read`;
      howTo = zswap ? 'echo Y > /sys/module/zswap/parameters/enabled puts a compressed cache in RAM in front of that swap (or use zram instead)' : 'a kernel with CONFIG_ZSWAP, or zram: modprobe zram; echo 4G > /sys/block/zram0/disksize; mkswap /dev/zram0; swapon -p 100 /dev/zram0';
    } else {
      anonReclaim = `anon reclaim is impossible: no swap is active${zswap?.enabled ? ' (zswap is on, but it only caches pages on their way to a swap area)' : ''}, so only file pages can be reclaimed`;
      howTo = 'zram: modprobe zram; echo 4G > /sys/block/zram0/disksize; mkswap /dev/zram0; swapon /dev/zram0 — or zswap in front of a swap file: fallocate -l 4G /swapfile; chmod 600 /swapfile; mkswap /swapfile; swapon /swapfile; echo Y > /sys/module/zswap/parameters/enabled';
    }
  }
  return { kind, zram, zswap, diskSwap, zswapPoolBytes: kb('Zswap'), zswappedBytes: kb('Zswapped'), summary, anonReclaim, howTo };
}
