import { spawn } from 'node:child_process';
import { closeSync, existsSync, readFileSync, readdirSync } from 'node:fs';
import { release } from 'node:os';
import { libc, MADV_COLD } from './libc';
import { openPsiTrigger, openVmpressure } from './pressure-sources';
import { LMKD_PSI_TRIGGERS } from '../../policy-engine/detectors/psi-triggers';
import { readStartTime } from './procfs';
import { procReclaimAvailable } from './kernel-reclaim-files';
import { reclaimProcess } from './process-reclaim';
import { CAP_KILL, CAP_SYS_NICE, effectiveCapabilities, hasCapability } from './privileges';
import { lockAgentMemory, raisePriority, unlockAgentMemory } from './realtime';
import { readMemoryTiering, type MemoryTiering } from './memory-tiers';
import { formatBytes } from '../../common/format';
import { readCompressedTier, type CompressedTier } from './compressed-tier';

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

export interface DoctorReport {
  kernel: string;
  arch: string;
  checks: Check[];
  /** What `reclaimd run` will use on this machine. */
  plan: { pressure: string[]; reclaim: string; kill: string; demote: string; mode: 'act' | 'observe-only' };
  /** NUMA nodes, memory tiers and the kernel's demotion and promotion settings. */
  tiering?: MemoryTiering;
  /** Where anon reclaim puts pages: zram, zswap in front of disk swap, or none. */
  compressedTier?: CompressedTier;
}

const hasCap = (caps: bigint, bit: number) => hasCapability(bit, caps);

/** Probe what this machine offers, for real: triggers are set, a throwaway process is advised. */
export async function runDoctor(memcg = '/sys/fs/cgroup/memory'): Promise<DoctorReport> {
  const checks: Check[] = [];
  const add = (name: string, ok: boolean, detail: string) => checks.push({ name, ok, detail });
  const plan: DoctorReport['plan'] = { pressure: [], reclaim: 'none', kill: 'none', demote: 'none', mode: 'observe-only' };

  if (process.platform !== 'linux') {
    add('linux', false, `${process.platform}: observe-only through systeminformation`);
    return { kernel: release(), arch: process.arch, checks, plan };
  }

  // PSI, with lmkd's 1 s window or the 2 s fallback.
  if (existsSync('/proc/pressure/memory')) {
    try {
      const t = openPsiTrigger('/proc/pressure/memory', 'some', LMKD_PSI_TRIGGERS.someMs, LMKD_PSI_TRIGGERS.windowMs);
      closeSync(t.fd);
      const fallback = t.windowUs !== LMKD_PSI_TRIGGERS.windowMs * 1000;
      add('psi', true, `/proc/pressure/memory trigger "${t.spec}"${fallback ? ' (the kernel refused a 1 s window — it grants those with CAP_SYS_RESOURCE — so 2 s with the same ratio)' : ' (lmkd 1 s window)'}`);
      plan.pressure.push(`psi ${t.spec}`);
    } catch (err) {
      add('psi', false, (err as Error).message);
    }
  } else add('psi', false, '/proc/pressure/memory missing (kernel without CONFIG_PSI, or psi=0)');

  if (existsSync(`${memcg}/memory.pressure_level`)) {
    try {
      const fd = openVmpressure(memcg, 'low');
      libc().close(fd);
      add('vmpressure', true, `memcg v1 ${memcg}: eventfd registered (deprecated kernel interface, kept for old lmkd parity)`);
      plan.pressure.push(`vmpressure ${memcg}`);
    } catch (err) {
      add('vmpressure', false, (err as Error).message);
    }
  } else add('vmpressure', false, `no memcg v1 memory.pressure_level at ${memcg}`);

  // process_madvise on a throwaway child (MADV_COLD: harmless).
  const caps = effectiveCapabilities();
  const child = spawn('sleep', ['30'], { stdio: 'ignore' });
  try {
    await new Promise((r) => setTimeout(r, 50));
    const start = readStartTime(child.pid!);
    const r = reclaimProcess({ pid: child.pid!, startTime: start ?? -1, kind: 'all', mode: 'cold', budgetBytes: 0 });
    const ok = r.result === 'ok';
    add('process_madvise', ok, ok ? `pidfd_open + process_madvise(MADV_COLD=${MADV_COLD}) on a test process: ${r.message}` : `${r.result}: ${r.message}`);
    if (ok) plan.reclaim = 'process_madvise (MADV_PAGEOUT; MADV_COLD with --cold) on a worker thread';
  } finally {
    child.kill('SIGKILL');
  }
  add('pidfd_send_signal', hasCap(caps, CAP_KILL) || process.getuid?.() === 0, hasCap(caps, CAP_KILL) ? 'CAP_KILL: kills go through pidfd_send_signal' : 'no CAP_KILL: only own processes can be killed');
  plan.kill = 'pidfd_send_signal(SIGKILL), only as a last resort';

  add('/proc/PID/reclaim', procReclaimAvailable(), procReclaimAvailable() ? 'present (Android kernel): used where process_madvise is missing' : 'absent (an Android kernel patch; process_madvise covers it)');
  const v2 = ['/sys/fs/cgroup/unified', '/sys/fs/cgroup'].find((d) => existsSync(`${d}/cgroup.controllers`));
  const hasReclaim = v2 !== undefined && existsSync(`${v2}/memory.reclaim`);
  add('memory.reclaim', hasReclaim, hasReclaim ? `${v2}/memory.reclaim (cgroup v2)` : `no cgroup v2 memory controller${v2 ? ` at ${v2}` : ''}: whole-cgroup reclaim unavailable`);

  const swaps = readFileSync('/proc/swaps', 'utf8').trim().split('\n').slice(1);
  const zram = readdirSync('/sys/block').filter((d) => d.startsWith('zram'));
  add('swap', swaps.length > 0, swaps.length ? `active: ${swaps.map((l) => l.split(/\s+/).slice(0, 3).join(' ')).join('; ')}` : `no swap active (anon reclaim needs swap; zram devices: ${zram.join(', ') || 'none'}; see "get a tier")`);

  // The compressed tier, one line each: what it is, what anon reclaim does, how to get one.
  const compressedTier = readCompressedTier();
  add('compressed tier', compressedTier.kind !== 'none', compressedTier.summary);
  add('anon reclaim', compressedTier.kind !== 'none', compressedTier.anonReclaim);
  if (compressedTier.howTo) add('get a tier', false, compressedTier.howTo);

  // The reaction thread's priority, probed on a throwaway process (the same calls on a tid).
  const probe = spawn('sleep', ['30'], { stdio: 'ignore' });
  try {
    const p = raisePriority(probe.pid!);
    add('reaction thread', p.policy === 'SCHED_FIFO', `${p.detail}: the thread that answers pressure events${p.policy === 'SCHED_FIFO' ? ' runs before any normal task' : ' can be delayed by CPU load'}`);
  } finally {
    probe.kill('SIGKILL');
  }
  const lock = lockAgentMemory();
  unlockAgentMemory(lock);
  add('memory lock', lock.locked, `agent code: ${lock.detail}`);

  const tiering = readMemoryTiering();
  add('memory tiers', tiering.unavailable === null, tieringDetail(tiering));
  plan.demote = tiering.unavailable === null ? `move_pages(2) to ${tiering.slower.map((t) => t.name).join(', ')}` : `unavailable: ${tiering.unavailable}`;

  const root = process.getuid?.() === 0;
  add('privileges', root || hasCap(caps, CAP_SYS_NICE), `${root ? 'root' : `uid ${process.getuid?.()}`}, CAP_SYS_NICE ${hasCap(caps, CAP_SYS_NICE) ? 'yes' : 'no (process_madvise on other users\' processes will be denied)'}`);
  plan.mode = plan.reclaim !== 'none' ? 'act' : 'observe-only';
  return { kernel: release(), arch: process.arch, checks, plan, tiering, compressedTier };
}

/** "node0 (CPUs, 22GiB) in memory_tier4; demotion_enabled false; numa_balancing 0; demote unavailable: …" */
function tieringDetail(t: MemoryTiering): string {
  const tierOf = (node: number) => t.tiers.find((x) => x.nodes.includes(node))?.name;
  const nodes = t.nodes.map((n) => `node${n.node} (${n.hasCpu ? 'CPUs' : 'no CPUs'}, ${formatBytes(n.memTotalBytes)}${tierOf(n.node) ? `, ${tierOf(n.node)}` : ''}; distances ${n.distance.join(' ')})`);
  const settings = `demotion_enabled ${t.demotionEnabled ?? 'absent'}, numa_balancing ${t.numaBalancing ?? 'absent'}`;
  const verdict = t.unavailable === null ? `demote moves pages to ${t.slower.map((s) => `${s.name} (~${s.accessLatencyNs} ns)`).join(', ')}` : `demote unavailable: ${t.unavailable}`;
  return `${nodes.join('; ') || 'no NUMA nodes listed'}; ${settings}; ${verdict}`;
}
