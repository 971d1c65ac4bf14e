// The compressed tier's discovery (host/linux/compressed-tier.ts) on /sys and /proc trees
// written to a temporary folder — zram as swap, zswap in front of a swap file, none with and
// without disk swap — and on this machine's real files.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseSwaps, parseZswapSettings, readCompressedTier, readZswapParameters } from '../host/linux/compressed-tier';
import { useFakeTree } from './helpers/fake-tree';

const tree = useFakeTree('ctier');
const put = tree.put;

const HEADER = 'Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n';
const read = () => readCompressedTier(join(tree.root(), 'sys'), join(tree.root(), 'proc'));

function machine({ swaps = '', zswap = 'N', zram = true } = {}): void {
  put('proc/swaps', HEADER + swaps);
  put('proc/meminfo', 'MemTotal:       24576000 kB\nZswap:             81920 kB\nZswapped:         307200 kB\n');
  put('sys/module/zswap/parameters/enabled', `${zswap}\n`);
  put('sys/module/zswap/parameters/compressor', 'lzo\n');
  put('sys/module/zswap/parameters/max_pool_percent', '20\n');
  put('sys/module/zswap/parameters/accept_threshold_percent', '90\n');
  put('sys/module/zswap/parameters/shrinker_enabled', 'N\n');
  if (zram) {
    put('sys/block/zram0/comp_algorithm', '[lzo-rle] lzo lz4 \n');
    put('sys/block/zram0/disksize', String(1024 ** 3));
  }
}

describe('compressed tier discovery', () => {
  it('parses /proc/swaps, names with spaces included, and names the line it cannot read', () => {
    expect(parseSwaps(`${HEADER}/dev/zram0                               partition\t1048572\t\t2048\t\t100\n/var/tmp/my\\040swap  file  262140  0  -2\n`)).toEqual([
      { name: '/dev/zram0', type: 'partition', sizeKiB: 1048572, usedKiB: 2048, priority: 100 },
      { name: '/var/tmp/my swap', type: 'file', sizeKiB: 262140, usedKiB: 0, priority: -2 },
    ]);
    expect(parseSwaps(HEADER)).toEqual([]);
    expect(() => parseSwaps(`${HEADER}/swapfile file lots 0 -2\n`, 'x/swaps')).toThrow('x/swaps line 2: expected "NAME TYPE SIZE USED PRIORITY", got "/swapfile file lots 0 -2"');
    expect(() => parseSwaps('/swapfile file 1 0 -2\n', 'x/swaps')).toThrow('x/swaps: expected the header');
  });

  it('reads zswap\'s parameters as found, and says which one it cannot read', () => {
    machine();
    const raw = readZswapParameters(join(tree.root(), 'sys/module/zswap/parameters'))!;
    expect(raw).toEqual({ accept_threshold_percent: '90', compressor: 'lzo', enabled: 'N', max_pool_percent: '20', shrinker_enabled: 'N' });
    expect(parseZswapSettings(raw)).toEqual({ enabled: false, compressor: 'lzo', maxPoolPercent: 20, acceptThresholdPercent: 90, shrinkerEnabled: false });
    // An older kernel (before 5.13) has neither accept_threshold_percent nor shrinker_enabled.
    expect(parseZswapSettings({ enabled: 'Y', compressor: 'lz4', max_pool_percent: '25' })).toMatchObject({ enabled: true, acceptThresholdPercent: null, shrinkerEnabled: null });
    expect(() => parseZswapSettings({ ...raw, enabled: 'maybe' }, 'p')).toThrow('p/enabled: expected Y or N, got "maybe"');
    expect(() => parseZswapSettings({ ...raw, max_pool_percent: '120' }, 'p')).toThrow('p/max_pool_percent: expected a percentage, got "120"');
    expect(() => parseZswapSettings({ enabled: 'Y' }, 'p')).toThrow('p: no compressor parameter (found: enabled)');
    expect(readZswapParameters(join(tree.root(), 'nowhere'))).toBeNull();
  });

  it('zram as swap is the tier', () => {
    machine({ swaps: '/dev/zram0 partition 1048572 0 100\n' });
    const t = read();
    expect([t.kind, t.howTo]).toEqual(['zram', null]);
    expect(t.zram).toEqual([{ name: 'zram0', disksizeBytes: 1024 ** 3, algorithm: 'lzo-rle', swapOn: true }]);
    expect(t.summary).toBe('zram: zram0 swap, 1.0GiB, lzo-rle');
    expect(t.anonReclaim).toMatch(/^anon reclaim compresses pages into zram/);
  });

  it('zswap in front of a swap file is the tier, with the pool\'s RAM and what it holds', () => {
    machine({ swaps: '/var/swapfile file 2097148 0 -2\n', zswap: 'Y', zram: false });
    const t = read();
    expect([t.kind, t.zswapPoolBytes, t.zswappedBytes, t.howTo]).toEqual(['zswap', 80 * 1024 * 1024, 300 * 1024 * 1024, null]);
    expect(t.diskSwap.map((s) => s.name)).toEqual(['/var/swapfile']);
    expect(t.summary).toBe('zswap: zswap on (lzo, pool ≤ 20 % of RAM) in front of /var/swapfile (file, 2.0GiB); no zram devices');
    expect(t.anonReclaim).toBe("anon reclaim compresses pages into zswap's pool, in RAM; only when the pool is full do they go to /var/swapfile");
  });

  it('none: disk swap without zswap is written uncompressed, and doctor is told how to get zswap', () => {
    machine({ swaps: '/dev/vda2 partition 4194300 0 -2\n', zram: false });
    const t = read();
    expect(t.kind).toBe('none');
    expect(t.anonReclaim).toBe('anon reclaim writes pages to /dev/vda2 uncompressed: each swap-in is a disk read');
    expect(t.howTo).toMatch(/^echo Y > \/sys\/module\/zswap\/parameters\/enabled/);
  });

  it('none: no swap at all (zram0 present but not swap, zswap on alone) makes anon reclaim impossible, and says how to get a tier', () => {
    machine({ zswap: 'Y' });
    const t = read();
    expect(t.kind).toBe('none');
    expect(t.summary).toBe('none: zram0 not swap; zswap on (lzo, pool ≤ 20 % of RAM); no swap active');
    expect(t.anonReclaim).toBe('anon reclaim is impossible: no swap is active (zswap is on, but it only caches pages on their way to a swap area), so only file pages can be reclaimed');
    expect(t.howTo).toMatch(/^zram: modprobe zram; .* — or zswap in front of a swap file: fallocate/);
  });

  it('reads this machine\'s real /sys and /proc', () => {
    if (process.platform !== 'linux') return;
    const t = readCompressedTier();
    const swaps = readFileSync('/proc/swaps', 'utf8').trim().split('\n').slice(1);
    expect(t.diskSwap.length + t.zram.filter((z) => z.swapOn).length).toBe(swaps.length);
    const params = readZswapParameters();
    if (params) expect(t.zswap?.enabled).toBe(params.enabled === 'Y');
    const meminfo = readFileSync('/proc/meminfo', 'utf8');
    if (/^Zswap:/m.test(meminfo)) expect(t.zswapPoolBytes).toBe(Number(/^Zswap:\s+(\d+)/m.exec(meminfo)![1]) * 1024);
    expect(['zram', 'zswap', 'none']).toContain(t.kind);
    expect(t.kind === 'none').toBe(t.howTo !== null);
  });
});
