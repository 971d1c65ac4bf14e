import type { ProcessSnapshot } from './types';

/**
 * The one protection rule: what the agent never reclaims or kills, whoever asks (a policy,
 * the user's manual request, the host re-checking before a system call). Policies may
 * protect more (the system bands, lmkd's adj < 0), never less.
 *
 * 1. A process the host marked untouchable: pid 1, kernel threads, the agent itself and its
 *    UI (see untouchableReason; the host knows these facts, the engine does not).
 * 2. The foreground app: the user is looking at it; a stall there is the cost we exist to avoid.
 * 3. An app the user marked protected.
 */
export function protectionReason(p: Pick<ProcessSnapshot, 'untouchable' | 'isForeground' | 'priority'>): string | null {
  if (p.untouchable) return p.untouchable;
  if (p.isForeground) return 'foreground app';
  if (p.priority === 'protected') return 'protected by user priority';
  return null;
}

/** What the host knows about a process that makes it untouchable, whatever the policy. */
export interface UntouchableFacts {
  pid: number;
  /** The agent's own pid (process.pid where the host runs). */
  selfPid: number;
  /** The agent's UI and helpers: never reclaimed under the user's hands. */
  protectedPids?: readonly number[];
  /** PF_KTHREAD, kthreadd (pid 2) or one of its children: no user memory to reclaim, not ours to kill. */
  kernelThread?: boolean;
}

/** Rule 1 of protectionReason, as the host evaluates it; null when the process may be touched. */
export function untouchableReason(f: UntouchableFacts): string | null {
  if (f.pid === 1) return 'pid 1 (init)';
  if (f.pid === f.selfPid) return 'the agent itself';
  if (f.protectedPids?.includes(f.pid)) return "the agent's UI";
  if (f.kernelThread) return 'a kernel thread';
  return null;
}
