// Tier discovery from sysfs (host/linux/memory-tiers.ts) on a two-node tree written to a
// temporary folder, as a machine with a CXL expander shows it: node1 has memory and no CPUs,
// in a slower memory tier. (This machine has one node; test/linux/demote.test.ts reads it.)
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseNodeList, readMemoryTiering } from '../host/linux/memory-tiers';
import { useFakeTree } from './helpers/fake-tree';

const tree = useFakeTree('tiers');
const put = tree.put;

function twoNodes({ tiers = true, hmat = false } = {}): void {
  put('sys/devices/system/node/has_cpu', '0\n');
  put('sys/devices/system/node/node0/meminfo', 'Node 0 MemTotal:       16384000 kB\nNode 0 MemFree:         1024000 kB\n');
  put('sys/devices/system/node/node0/distance', '10 20\n');
  put('sys/devices/system/node/node1/meminfo', 'Node 1 MemTotal:       16777216 kB\nNode 1 MemFree:        16000000 kB\n');
  put('sys/devices/system/node/node1/distance', '20 10\n');
  if (hmat) put('sys/devices/system/node/node1/access0/initiators/read_latency', '265\n');
  if (tiers) {
    put('sys/devices/virtual/memory_tiering/memory_tier4/nodelist', '0\n');
    put('sys/devices/virtual/memory_tiering/memory_tier22/nodelist', '1\n');
  }
  put('sys/kernel/mm/numa/demotion_enabled', 'true\n');
  put('proc/sys/kernel/numa_balancing', '2\n');
}

describe('memory tier discovery', () => {
  it('reads node lists as the kernel writes them', () => {
    expect(parseNodeList('0-2,4,7-8')).toEqual([0, 1, 2, 4, 7, 8]);
    expect(parseNodeList('')).toEqual([]);
  });

  it('finds the CPU-less node in the slower tier, with its free memory and SLIT-estimated latency', () => {
    twoNodes();
    const t = readMemoryTiering(join(tree.root(), 'sys'), join(tree.root(), 'proc'));
    expect(t.tiers).toEqual([{ name: 'memory_tier4', nodes: [0] }, { name: 'memory_tier22', nodes: [1] }]);
    expect([t.demotionEnabled, t.numaBalancing, t.unavailable]).toEqual([true, 2, null]);
    // Distance 20 from the CPU node: twice local DRAM's ~100 ns.
    expect(t.slower).toEqual([{ name: 'node1', node: 1, totalBytes: 16777216 * 1024, freeBytes: 16000000 * 1024, accessLatencyNs: 200 }]);
  });

  it('prefers the firmware\'s HMAT latency; without memory tiers (before 6.1), CPU-less nodes are the slower ones', () => {
    twoNodes({ tiers: false, hmat: true });
    const t = readMemoryTiering(join(tree.root(), 'sys'), join(tree.root(), 'proc'));
    expect(t.tiers).toEqual([]);
    expect(t.slower.map((s) => [s.name, s.accessLatencyNs])).toEqual([['node1', 265]]);
  });

  it('says why demote has nowhere to go: two nodes in one tier (a two-socket server), or one node', () => {
    twoNodes();
    rmSync(join(tree.root(), 'sys/devices/virtual/memory_tiering/memory_tier22'), { recursive: true });
    put('sys/devices/virtual/memory_tiering/memory_tier4/nodelist', '0-1\n');
    put('sys/devices/system/node/has_cpu', '0-1\n');
    expect(readMemoryTiering(join(tree.root(), 'sys'), join(tree.root(), 'proc')).unavailable).toBe('its memory nodes (node0, node1) are all in memory_tier4, the fastest tier: none is slower to demote to');
    rmSync(join(tree.root(), 'sys/devices/system/node/node1'), { recursive: true });
    const one = readMemoryTiering(join(tree.root(), 'sys'), join(tree.root(), 'proc'));
    expect(one.unavailable).toBe('this machine has one NUMA node with memory (node0): there is no slower memory tier to demote to');
    rmSync(join(tree.root(), 'sys/kernel'), { recursive: true });
    expect(readMemoryTiering(join(tree.root(), 'sys'), join(tree.root(), 'proc')).demotionEnabled).toBeNull();
  });
});
