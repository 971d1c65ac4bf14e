import { readFileSync } from 'node:fs';

export const CAP_KILL = 5;
export const CAP_SYS_NICE = 23;

/** The effective capability set of this process (/proc/self/status CapEff). */
export function effectiveCapabilities(): bigint {
  try {
    const m = /^CapEff:\s+([0-9a-f]+)/m.exec(readFileSync('/proc/self/status', 'utf8'));
    return m ? BigInt('0x' + m[1]) : 0n;
  } catch {
    return 0n;
  }
}

export function hasCapability(bit: number, caps = effectiveCapabilities()): boolean {
  return (caps & (1n << BigInt(bit))) !== 0n;
}

/** Why this process cannot reclaim other processes' memory, or null if it can. */
export function reclaimImpossible(): string | null {
  if (process.platform !== 'linux') return `per-process reclaim needs Linux (this is ${process.platform})`;
  if (!hasCapability(CAP_SYS_NICE)) return 'no CAP_SYS_NICE (run as root, or: sudo setcap cap_sys_nice,cap_kill+ep "$(readlink -f "$(which node)")")';
  return null;
}
