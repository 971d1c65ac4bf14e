import { memcgPath } from '../../host/linux/linux-host';
import { IDLE_WINDOW_MS } from '../../host/linux/idle-estimate';
import { ProcessScanner } from '../../host/linux/process-scanner';
import { kernelTestsUnavailable, skipNote } from '../helpers/kernel';
import { useKernelFixture } from '../helpers/kernel-fixture';

// The live agent's snapshots carry the Linux idle estimate (issue 12), so the default policy asks
// for the idle part of a process rather than deactivating its whole RSS.

const unavailable = kernelTestsUnavailable();
const d = unavailable ? describe.skip : describe;
if (unavailable) skipNote('idle estimate scan tests', unavailable);

const MiB = 1024 * 1024;

d('the scanner on the real kernel: idle estimate', () => {
  const k = useKernelFixture('idle-scan');

  it('reports no idle part before one window, then the untouched memory of a cached process as idle', async () => {
    const memcg = k.memcg(`reclaimd-idle-${process.pid}`, 512 * MiB);
    const hog = await k.hogs.start(48, 0, memcg.wrap()); // 48 MiB anon, resident, then left alone
    const scanner = new ProcessScanner({ scopeCgroup: memcgPath(memcg.path) });
    const first = scanner.scan(1_000, new Set(), new Map()).find((p) => p.pid === hog.pid)!;
    expect(first.importance).toBe('cached');
    expect(first.idleAnonBytes).toBeUndefined();
    const later = scanner.scan(1_000 + IDLE_WINDOW_MS, new Set(), new Map()).find((p) => p.pid === hog.pid)!;
    expect(later.idleAnonBytes).toBeGreaterThanOrEqual(44 * MiB);
    expect(later.idleAnonBytes).toBeLessThanOrEqual(later.rssAnonBytes);
    expect(later.idleFileBytes).toBeLessThanOrEqual(later.rssFileBytes);
  });

  it('gives none with the estimate off (idleWindowMs 0)', async () => {
    const memcg = k.memcg(`reclaimd-idle-off-${process.pid}`, 512 * MiB);
    const hog = await k.hogs.start(16, 0, memcg.wrap());
    const scanner = new ProcessScanner({ scopeCgroup: memcgPath(memcg.path), idleWindowMs: 0 });
    scanner.scan(1_000, new Set(), new Map());
    expect(scanner.scan(1_000 + IDLE_WINDOW_MS, new Set(), new Map()).find((p) => p.pid === hog.pid)!.idleAnonBytes).toBeUndefined();
  });
});
