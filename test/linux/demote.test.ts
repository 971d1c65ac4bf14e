// Demote on the real kernel (issue 18). This machine has one NUMA node: demote must be
// refused as unsupported with the reason, by doctor, the Linux host and the CLI; and the
// mechanism (move_pages through koffi) is exercised for real on that node — asking where a
// child's pages are, and moving them to node 0, where they already are (a no-op that must
// succeed). The real move to a slower node is test/manual/demote-numa-guest.sh.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { firstValueFrom } from 'rxjs';
import { demoteProcess, movePagesTo, pageNodes } from '../../host/linux/demote';
import { runDoctor } from '../../host/linux/doctor';
import { ERRNO, libc } from '../../host/linux/libc';
import { LinuxHost } from '../../host/linux/linux-host';
import { readMemoryTiering } from '../../host/linux/memory-tiers';
import { readMemory, readStartTime, readVmas } from '../../host/linux/procfs';
import type { ReclaimAction } from '../../policy-engine/types';
import { kernelTestsUnavailable, skipNote } from '../helpers/kernel';
import { Memhogs } from '../helpers/memhog';

const unavailable = kernelTestsUnavailable();
const d = unavailable ? describe.skip : describe;
if (unavailable) skipNote('real-kernel demote tests', unavailable);

const BIN = join(__dirname, '..', '..', 'bin', 'reclaimd.js');
const MiB = 1024 * 1024;

/** Nodes with memory, read here without the code under test: what sysfs says. */
function memoryNodes(): string[] {
  const dir = '/sys/devices/system/node';
  return readdirSync(dir)
    .filter((n) => /^node\d+$/.test(n))
    .filter((n) => Number(/MemTotal:\s+(\d+)/.exec(readFileSync(`${dir}/${n}/meminfo`, 'utf8'))?.[1] ?? 0) > 0);
}
const ONE_NODE = `this machine has one NUMA node with memory (${memoryNodes()[0]}): there is no slower memory tier to demote to`;

/** Up to `max` page addresses of the child's largest private anon mapping (its memhog buffer). */
function anonPages(pid: number, max: number): bigint[] {
  const vma = readVmas(pid)!.filter((v) => v.kind === 'anon' && !v.shared).sort((a, b) => Number(b.end - b.start - (a.end - a.start)))[0];
  const size = BigInt(libc().pageSize);
  const out: bigint[] = [];
  for (let a = vma.start; a < vma.end && out.length < max; a += size) out.push(a);
  return out;
}

d('demote on this machine (one NUMA node)', () => {
  let hogs: Memhogs;
  beforeAll(() => (hogs = new Memhogs()));
  afterAll(() => hogs.dispose());

  it('this machine has one memory node: the tests below check the refusal it must get', () => {
    expect(memoryNodes()).toHaveLength(1);
    const t = readMemoryTiering();
    expect(t.nodes.map((n) => `node${n.node}`)).toEqual(readdirSync('/sys/devices/system/node').filter((n) => /^node\d+$/.test(n)));
    expect(t.slower).toEqual([]);
    expect(t.unavailable).toBe(ONE_NODE);
    expect(t.demotionEnabled).toBe(readFileSync('/sys/kernel/mm/numa/demotion_enabled', 'utf8').trim() === 'true');
  });

  it('doctor reports the tiers and why demote is unavailable', async () => {
    const report = await runDoctor();
    const check = report.checks.find((c) => c.name === 'memory tiers')!;
    expect(check.ok).toBe(false);
    expect(check.detail).toMatch(/^node0 \(CPUs, [\d.]+GiB, memory_tier\d+; distances 10\); demotion_enabled (true|false), numa_balancing \d; demote unavailable: /);
    expect(check.detail).toContain(ONE_NODE);
    expect(report.plan.demote).toBe(`unavailable: ${ONE_NODE}`);
  });

  it('a demote through the Linux host is unsupported, says why, and leaves the process as it was', async () => {
    const c = await hogs.start(64, 16);
    const before = readMemory(c.pid)!;
    const host = new LinuxHost({ memcg: undefined, scanMaxAgeMs: 100 });
    try {
      const action: ReclaimAction = { type: 'reclaim', pid: c.pid, startTime: readStartTime(c.pid)!, appKey: 'memhog', kind: 'demote', mode: 'pageout', tier: 'node1', requestedBytes: 32 * MiB, reason: 'test', dryRun: false };
      const o = await firstValueFrom(host.execute(action));
      expect([o.result, o.message, o.reclaimedAnonBytes, o.reclaimedFileBytes]).toEqual(['unsupported', `demote unavailable: ${ONE_NODE}`, 0, 0]);
    } finally {
      await host.close();
    }
    const after = readMemory(c.pid)!;
    expect(after.rssAnonBytes).toBeGreaterThanOrEqual(before.rssAnonBytes - MiB);
    expect(after.swapBytes).toBe(before.swapBytes);
  });

  it('the CLI refuses `reclaim PID demote` with the reason and exit 1', async () => {
    const c = await hogs.start(16, 0);
    const r = spawnSync(process.execPath, [BIN, 'reclaim', String(c.pid), 'demote', '--json'], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ pid: c.pid, kind: 'demote', result: 'unsupported', message: `demote unavailable: ${ONE_NODE}` });
  });

  it('move_pages through koffi: a real child\'s pages are on node 0, and moving them to node 0 succeeds and changes nothing', async () => {
    const c = await hogs.start(32, 0);
    const addrs = anonPages(c.pid, 4096);
    const where = pageNodes(c.pid, addrs);
    expect(where.errno).toBe(0);
    const present = where.nodes.filter((n) => n >= 0);
    expect(present.length).toBeGreaterThan(4000); // memhog touched its whole buffer
    expect(new Set(present)).toEqual(new Set([0]));
    const before = readMemory(c.pid)!;
    const moved = movePagesTo(c.pid, addrs, 0);
    expect(moved.errno).toBe(0);
    expect(moved.nodes.filter((n, i) => where.nodes[i] >= 0 && n !== 0)).toEqual([]);
    expect(pageNodes(c.pid, addrs).nodes).toEqual(where.nodes);
    expect(readMemory(c.pid)!.rssAnonBytes).toBeGreaterThanOrEqual(before.rssAnonBytes - MiB);
    // A node that has no memory is refused by the kernel, not silently ignored.
    expect(movePagesTo(c.pid, addrs.slice(0, 16), 1).errno).toBe(ERRNO.ENODEV);
  });

  it('the mechanism end to end, given a tier at node 0 (as a two-node machine has one at node 1): ok, nothing to move', async () => {
    const c = await hogs.start(32, 8);
    const tiering = { ...readMemoryTiering(), unavailable: null, slower: [{ name: 'node0', node: 0, totalBytes: 1, freeBytes: 1, accessLatencyNs: 100 }] };
    const r = demoteProcess({ pid: c.pid, startTime: readStartTime(c.pid)!, budgetBytes: 0 }, tiering);
    expect([r.result, r.message, r.tier]).toEqual(['ok', 'moved 0 anon + 0 file pages to node0 (move_pages, MPOL_MF_MOVE)', 'node0']);
    // A reused pid is refused before anything is moved.
    expect(demoteProcess({ pid: c.pid, startTime: readStartTime(c.pid)! - 1, budgetBytes: 0 }, tiering)).toMatchObject({ result: 'refused' });
  });
});
