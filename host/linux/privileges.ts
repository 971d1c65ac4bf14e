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

export const CAP_SYS_PTRACE = 19;

/**
 * What the live agent will not be able to do with the capabilities it has (reclaim itself
 * is reclaimImpossible's question): said at start by `run` and `serve`, shown in the UI.
 */
export function capabilityLimits(caps = effectiveCapabilities()): string[] {
  const limits: string[] = [];
  if (!hasCapability(CAP_KILL, caps)) limits.push('no CAP_KILL: a last-resort kill of another user\'s process will be denied');
  if (!hasCapability(CAP_SYS_PTRACE, caps)) limits.push('no CAP_SYS_PTRACE: the memory maps of other users\' processes cannot be read, so they are not reclaimed');
  return limits;
}
