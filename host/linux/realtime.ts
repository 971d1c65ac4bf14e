// What keeps the agent itself from stalling under the pressure it answers: its reaction
// thread runs ahead of every normal task, and its code is never reclaimed. lmkd does the
// like at start: sched_setscheduler(SCHED_FIFO, 1) and mlockall(CURRENT|FUTURE|ONFAULT).
import { readFileSync } from 'node:fs';
import { errnoName, libc, MLOCK_ONFAULT, SCHED_FIFO } from './libc';
import { readVmas } from './procfs';
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
  return raisePriority(libc().gettid());
}

/** The same for any task (doctor probes it on a throwaway process). */
export function raisePriority(tid: number): ThreadPriority {
  const c = libc();
  const fifo = c.schedSetscheduler(tid, SCHED_FIFO, REACTION_RT_PRIORITY);
  if (fifo.ok) return { tid, policy: 'SCHED_FIFO', detail: `SCHED_FIFO priority ${REACTION_RT_PRIORITY}` };
  const nice = c.setNice(tid, REACTION_NICE);
  if (nice.ok) return { tid, policy: 'nice', detail: `nice ${REACTION_NICE} (SCHED_FIFO refused: ${errnoName(fifo.errno)})` };
  return { tid, policy: 'normal', detail: `normal priority (SCHED_FIFO refused: ${errnoName(fifo.errno)}, nice ${REACTION_NICE} refused: ${errnoName(nice.errno)} — grant CAP_SYS_NICE)` };
}

/**
 * The agent's main thread: it plans the reaction thread's next answers and answers the events
 * the plan had nothing for, and under a busy loop on every core at nice 0 it fell 1–2.5 s
 * behind the events (bench:linux, 2026-11-24). Nice −10 is CFS weight 9,548 against a nice-0
 * task's 1,024 (kernel/sched/core.c sched_prio_to_weight): about 90 % of a core against one
 * busy loop, while the reaction thread (SCHED_FIFO, or nice −20) stays ahead of it. lmkd runs
 * its whole daemon at SCHED_FIFO; a JavaScript event loop with a garbage collector is not
 * made real-time here. Threads the main thread starts afterwards inherit it.
 */
export const AGENT_MAIN_NICE = -10;

/** The calling thread's nice value, from /proc/thread-self/stat (field 19). */
function currentNice(): number {
  const text = readFileSync('/proc/thread-self/stat', 'utf8');
  return Number(text.slice(text.lastIndexOf(')') + 2).split(' ')[19 - 3]);
}

/** Raise the calling (main) thread to AGENT_MAIN_NICE; restore() puts back what it was. */
export function raiseMainThread(): { priority: ThreadPriority; restore(): void } {
  const c = libc();
  const tid = c.gettid();
  const before = currentNice();
  const r = c.setNice(tid, AGENT_MAIN_NICE);
  const priority: ThreadPriority = r.ok
    ? { tid, policy: 'nice', detail: `nice ${AGENT_MAIN_NICE}` }
    : { tid, policy: 'normal', detail: `nice ${before} (nice ${AGENT_MAIN_NICE} refused: ${errnoName(r.errno)} — grant CAP_SYS_NICE)` };
  return { priority, restore: () => void (r.ok && c.setNice(tid, before)) };
}

export interface MemoryLock {
  locked: boolean;
  /** Bytes of the ranges locked (their pages are locked as they are touched). */
  bytes: number;
  detail: string;
  /** The ranges, for unlockAgentMemory. */
  ranges: { start: bigint; end: bigint }[];
}

/** "Max locked memory" of /proc/self/limits in bytes, Infinity for unlimited. */
function memlockLimit(): number {
  const m = /^Max locked memory\s+(\S+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
  return !m || m[1] === 'unlimited' ? Infinity : Number(m[1]);
}

/**
 * Lock the agent's code — node, its libraries and addons: every file-backed mapping — with
 * mlock2(MLOCK_ONFAULT), so the code that answers pressure is never dropped from the page
 * cache by the reclaim it triggers (file pages go first), and locking costs no RSS: pages
 * are locked as they are touched. Not mlockall as lmkd does: V8 frees heap pages with
 * madvise(MADV_DONTNEED), which the kernel refuses on locked memory (EINVAL), and V8 aborts
 * on that — measured here with MCL_CURRENT alone. The heap is anonymous: under pressure it
 * goes to zram, and comes back in microseconds, not a disk read.
 * Without CAP_IPC_LOCK only what RLIMIT_MEMLOCK allows is locked, the rest is said.
 */
export function lockAgentMemory(): MemoryLock {
  const c = libc();
  const vmas = (readVmas(process.pid) ?? []).filter((v) => v.kind === 'file');
  const limit = hasCapability(CAP_IPC_LOCK) ? Infinity : memlockLimit();
  const ranges: MemoryLock['ranges'] = [];
  let bytes = 0;
  let failed: string | null = null;
  for (const v of vmas) {
    const length = Number(v.end - v.start);
    if (bytes + length > limit) {
      failed = `RLIMIT_MEMLOCK (${limit} bytes) reached without CAP_IPC_LOCK`;
      break;
    }
    const r = c.mlock2(v.start, v.end - v.start, MLOCK_ONFAULT);
    if (!r.ok) {
      failed = `mlock2: ${errnoName(r.errno)}`;
      break;
    }
    ranges.push(v);
    bytes += length;
  }
  const mib = (b: number) => (b / 1048576).toFixed(0);
  const what = `${ranges.length} of ${vmas.length} code and file mappings (${mib(bytes)} MiB) locked as touched (mlock2 MLOCK_ONFAULT)`;
  return { locked: ranges.length > 0 && failed === null, bytes, ranges, detail: failed ? `${what}; stopped: ${failed}` : what };
}

/** Undo lockAgentMemory (tests and the benchmark, which must leave the process as it was). */
export function unlockAgentMemory(lock: MemoryLock): void {
  for (const r of lock.ranges) libc().munlock(r.start, r.end - r.start);
}

/** VmLck and VmRSS of this process from /proc/self/status, in bytes. */
export function lockedAndResident(): { lockedBytes: number; rssBytes: number } {
  const status = readFileSync('/proc/self/status', 'utf8');
  const kib = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
  return { lockedBytes: kib('VmLck'), rssBytes: kib('VmRSS') };
}
