import { existsSync } from 'node:fs';
import { recoverStaleZram, swapDevices, zramSwap } from '../../runs/lab/zram-swap';

/** Why a real-kernel test cannot run here, or null. Printed by the test that skips. */
export function kernelTestsUnavailable(): string | null {
  if (process.platform !== 'linux') return `not Linux (${process.platform})`;
  if (process.getuid?.() !== 0) return 'not root (process_madvise on other processes, cgroups and swap need it)';
  if (!existsSync('/proc/pressure/memory')) return 'no PSI (/proc/pressure/memory)';
  return null;
}

export function skipNote(what: string, reason: string): void {
  process.stdout.write(`SKIP ${what}: ${reason}\n`);
}

/**
 * zram swap for anon reclaim when none is active; undone afterwards (see runs/lab/zram-swap).
 * A swap left on by a run that died is first put back (its journal), so it is never
 * mistaken for the machine's own swap and kept on for good.
 */
export function ensureZramSwap(size = '1G'): (() => void) | string {
  const bytes = /^(\d+)G$/.test(size) ? Number(size.slice(0, -1)) * 1024 ** 3 : Number(size);
  const note = recoverStaleZram();
  if (note) process.stderr.write(`reclaimd tests: ${note}\n`);
  return swapDevices().length > 0 ? () => undefined : zramSwap(bytes);
}

export { Memcg } from '../../runs/lab/memcg';
