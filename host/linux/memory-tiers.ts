// The machine's memory tiers as the kernel describes them: NUMA nodes (which have CPUs, how
// much memory, how far), the kernel's memory tiers (memory_tierN: a lower N is faster), and
// whether reclaim demotes and NUMA balancing promotes. Where demote could send pages, and
// when it cannot, why.
import { readFileSync, readdirSync } from 'node:fs';
import type { TierReading } from '../../policy-engine/types';

export interface NumaNode {
  node: number;
  hasCpu: boolean;
  memTotalBytes: number;
  memFreeBytes: number;
  /** SLIT distances to every node, in node order (10 = local). */
  distance: number[];
  /** HMAT read latency from this node's nearest initiator, ns, where the firmware gives one. */
  readLatencyNs: number | null;
}

export interface MemoryTiering {
  nodes: NumaNode[];
  /** The kernel's memory tiers, fastest first (memory_tierN sorted by N), each with its nodes. */
  tiers: { name: string; nodes: number[] }[];
  /** /sys/kernel/mm/numa/demotion_enabled; null where the kernel has no such file. */
  demotionEnabled: boolean | null;
  /** kernel.numa_balancing: 0 off, 1 NUMA locality, 2 memory tiering (promotion), 3 both; null where absent. */
  numaBalancing: number | null;
  /** Nodes slower than the fastest tier, with memory: where a demote can send pages. */
  slower: TierReading[];
  /** Why demote has nowhere to go here, or null when it has. */
  unavailable: string | null;
}

/**
 * When HMAT gives no latency, a node's is estimated from its SLIT distance: ACPI defines the
 * distance as relative latency ×10 (local = 10; ACPI 6.5 §5.2.17), so DRAM's ~100 ns scaled.
 */
const LOCAL_DRAM_NS = 100;

function read(path: string): string | null {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return null;
  }
}

/** A kernel node list ("0-2,4") as numbers. */
export function parseNodeList(text: string): number[] {
  const out: number[] = [];
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const [a, b] = part.split('-').map(Number);
    for (let n = a; n <= (b ?? a); n++) out.push(n);
  }
  return out;
}

function nodeMemory(sys: string, node: number): { total: number; free: number } {
  const text = read(`${sys}/devices/system/node/node${node}/meminfo`) ?? '';
  const kb = (key: string) => Number(new RegExp(`Node ${node} ${key}:\\s+(\\d+) kB`).exec(text)?.[1] ?? 0) * 1024;
  return { total: kb('MemTotal'), free: kb('MemFree') };
}

/** Read the NUMA topology and tiering settings under `sys` (and `proc`): a test may point both at a copy. */
export function readMemoryTiering(sys = '/sys', proc = '/proc'): MemoryTiering {
  const nodeDir = `${sys}/devices/system/node`;
  let names: string[] = [];
  try {
    names = readdirSync(nodeDir).filter((n) => /^node\d+$/.test(n));
  } catch {
    // No NUMA sysfs (CONFIG_NUMA off): one node in all but name.
  }
  const withCpu = new Set(parseNodeList(read(`${nodeDir}/has_cpu`) ?? ''));
  const nodes: NumaNode[] = names
    .map((n) => Number(n.slice(4)))
    .sort((a, b) => a - b)
    .map((node) => {
      const mem = nodeMemory(sys, node);
      const latency = Number(read(`${nodeDir}/node${node}/access0/initiators/read_latency`));
      return {
        node,
        hasCpu: withCpu.has(node),
        memTotalBytes: mem.total,
        memFreeBytes: mem.free,
        distance: (read(`${nodeDir}/node${node}/distance`) ?? '').split(/\s+/).filter(Boolean).map(Number),
        readLatencyNs: Number.isFinite(latency) && latency > 0 ? latency : null,
      };
    });

  const tierDir = `${sys}/devices/virtual/memory_tiering`;
  let tierNames: string[] = [];
  try {
    tierNames = readdirSync(tierDir).filter((n) => /^memory_tier\d+$/.test(n));
  } catch {
    // Kernels before 6.1 have no memory tiers: CPU-less nodes stand for the slower ones.
  }
  const tiers = tierNames
    .sort((a, b) => Number(a.slice(11)) - Number(b.slice(11)))
    .map((name) => ({ name, nodes: parseNodeList(read(`${tierDir}/${name}/nodelist`) ?? '') }));

  const demotion = read(`${sys}/kernel/mm/numa/demotion_enabled`);
  const balancing = read(`${proc}/sys/kernel/numa_balancing`);
  const withMemory = nodes.filter((n) => n.memTotalBytes > 0);
  const fastest = new Set(tiers.length > 0 ? tiers[0].nodes : withMemory.filter((n) => n.hasCpu).map((n) => n.node));
  const local = withMemory.find((n) => n.hasCpu) ?? withMemory[0];
  const slower = withMemory
    .filter((n) => !fastest.has(n.node))
    .map((n): TierReading => ({
      name: `node${n.node}`,
      node: n.node,
      totalBytes: n.memTotalBytes,
      freeBytes: n.memFreeBytes,
      accessLatencyNs: n.readLatencyNs ?? Math.round((LOCAL_DRAM_NS * (local?.distance[n.node] ?? 20)) / 10),
    }));
  return {
    nodes,
    tiers,
    demotionEnabled: demotion === null ? null : demotion === 'true' || demotion === '1',
    numaBalancing: balancing === null ? null : Number(balancing),
    slower,
    unavailable: slower.length > 0 ? null : whyNoSlowerTier(withMemory, tiers),
  };
}

function whyNoSlowerTier(withMemory: NumaNode[], tiers: MemoryTiering['tiers']): string {
  if (withMemory.length <= 1) {
    return `this machine has one NUMA node with memory (${withMemory.map((n) => `node${n.node}`).join('') || 'none listed'}): there is no slower memory tier to demote to`;
  }
  const list = withMemory.map((n) => `node${n.node}`).join(', ');
  return tiers.length > 0
    ? `its memory nodes (${list}) are all in ${tiers[0].name}, the fastest tier: none is slower to demote to`
    : `its memory nodes (${list}) all have CPUs and the kernel lists no memory tiers: none is known to be slower`;
}

let topology: { at: number; tiering: MemoryTiering } | null = null;

/**
 * The slower tiers with their free memory now, for the memory reading a policy sees. The
 * topology is read once (nodes come and go only with hotplug); only a machine with slower
 * nodes reads their free memory again on each call.
 */
export function slowerTiersNow(): TierReading[] {
  if (!topology) topology = { at: Date.now(), tiering: readMemoryTiering() };
  const kernelDemotes = topology.tiering.demotionEnabled === true;
  return topology.tiering.slower.map((t) => ({ ...t, freeBytes: nodeMemory('/sys', t.node!).free, kernelDemotes }));
}
