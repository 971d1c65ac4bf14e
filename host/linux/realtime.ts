// What keeps the agent itself from stalling under the pressure it answers: its reaction
// thread runs ahead of every normal task, and its own pages are never reclaimed. lmkd does
// the same at start: sched_setscheduler(SCHED_FIFO, 1) and mlockall(CURRENT|FUTURE|ONFAULT).
import { readFileSync } from 'node:fs';
import { errnoName, libc, MCL_CURRENT, MCL_FUTURE, MCL_ONFAULT, SCHED_FIFO } from './libc';
import { hasCapability } from './privileges';

/**
 * lmkd's priority: the lowest real-time one already runs before every SCHED_OTHER task (the
 * load that delays us), while the kernel's own real-time threads (irq threads at 50,
 * watchdogs at 99) and audio servers stay ahead of a reclaim.
 */
export const REACTION_RT_PRIORITY = 1;
/** The fallback without CAP_SYS_NICE or RLIMIT_RTPRIO: the best a normal thread gets. */
export const REACTION_NICE = -20;

export const CAP_IPC_LOCK = 14;

export interface ThreadPriority {
  tid: number;
  policy: 'SCHED_FIFO' | 'nice' | 'normal';
  /** For doctor and serve: what was asked, what the kernel answered. */
  detail: string;
}

/** Raise the calling thread: SCHED_FIFO, else nice −20, else say why it stays normal. */
export function raiseThreadPriority(): ThreadPriority {
  const c = libc();
  const tid = c.gettid();
  const fifo = c.schedSetscheduler(tid, SCHED_FIFO, REACTION_RT_PRIORITY);
  if (fifo.ok) return { tid, policy: 'SCHED_FIFO', detail: `SCHED_FIFO priority ${REACTION_RT_PRIORITY} (tid ${tid})` };
  const nice = c.setNice(tid, REACTION_NICE);
  if (nice.ok) return { tid, policy: 'nice', detail: `nice ${REACTION_NICE} (tid ${tid}; SCHED_FIFO refused: ${errnoName(fifo.errno)})` };
  return { tid, policy: 'normal', detail: `normal priority (tid ${tid}; SCHED_FIFO refused: ${errnoName(fifo.errno)}, nice ${REACTION_NICE} refused: ${errnoName(nice.errno)} — grant CAP_SYS_NICE)` };
}

export interface MemoryLock {
  locked: boolean;
  detail: string;
}

/** "Max locked memory" of /proc/self/limits in bytes, Infinity for unlimited. */
function memlockLimit(): number {
  const m = /^Max locked memory\s+(\S+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
  return !m || m[1] === 'unlimited' ? Infinity : Number(m[1]);
}

/**
 * mlockall(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT): the agent's pages are never reclaimed,
 * so it never faults on its own memory while answering pressure. MCL_ONFAULT locks pages as
 * they are touched instead of populating every mapping now: V8 and thread stacks reserve
 * far more than they use, and populating it all would cost the RSS the agent exists to save.
 * Only with CAP_IPC_LOCK or an unlimited RLIMIT_MEMLOCK: under a finite limit MCL_FUTURE
 * makes the heap's next mmap fail once the limit is reached, which would crash the agent.
 */
export function lockAgentMemory(): MemoryLock {
  if (!hasCapability(CAP_IPC_LOCK) && memlockLimit() !== Infinity) {
    return { locked: false, detail: `not locked: no CAP_IPC_LOCK and RLIMIT_MEMLOCK is ${memlockLimit()} bytes (a locked heap would fail to grow past it)` };
  }
  const r = libc().mlockall(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT);
  if (!r.ok) return { locked: false, detail: `mlockall(MCL_CURRENT|MCL_FUTURE|MCL_ONFAULT) failed: ${errnoName(r.errno)}` };
  return { locked: true, detail: 'mlockall(MCL_CURRENT|MCL_FUTURE|MCL_ONFAULT): pages locked as they are touched' };
}

/** Undo lockAgentMemory (tests and the benchmark, which must leave the process as it was). */
export function unlockAgentMemory(): void {
  libc().munlockall();
}

/** VmLck and VmRSS of this process from /proc/self/status, in bytes. */
export function lockedAndResident(): { lockedBytes: number; rssBytes: number } {
  const status = readFileSync('/proc/self/status', 'utf8');
  const kib = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
  return { lockedBytes: kib('VmLck'), rssBytes: kib('VmRSS') };
}
