import { performance } from 'node:perf_hooks';
import type { ActionResult, ReclaimKind, ReclaimMode } from '../../policy-engine/types';
import { ERRNO, IOV_MAX, libc, MADV_COLD, MADV_PAGEOUT } from './libc';
import { procReclaimAvailable, reclaimThroughProcFile } from './kernel-reclaim-files';
import { readMemory, readStartTime, readStat, readVmas, type Vma } from './procfs';

export interface ReclaimRequest {
  pid: number;
  startTime: number;
  kind: ReclaimKind;
  mode: ReclaimMode;
  /** Stop after advising this many bytes; 0 means every matching VMA. */
  budgetBytes: number;
  /** Processes that must never be touched besides pid 1 and kernel threads (the agent, its UI). */
  protectedPids?: readonly number[];
}

export interface MemoryCounters {
  rssAnonBytes: number;
  rssFileBytes: number;
  swapBytes: number;
}

export interface ReclaimResult {
  result: Exclude<ActionResult, 'dry-run'>;
  message: string;
  before: MemoryCounters | null;
  after: MemoryCounters | null;
  /** What process_madvise reported it advised. */
  advisedBytes: number;
  reclaimedAnonBytes: number;
  reclaimedFileBytes: number;
  durationMs: number;
  calls: number;
  /** Epoch ms (performance.timeOrigin + now) of the first process_madvise, or null if none was made. */
  firstCallAtMs: number | null;
}

export const CAP_HINT = 'process_madvise needs CAP_SYS_NICE over the target (run as root, or grant the agent cap_sys_nice+ep)';

function errnoText(errno: number): string {
  const name = Object.entries(ERRNO).find(([, v]) => v === errno)?.[0];
  return name ? `${name} (${errno})` : `errno ${errno}`;
}

/** Why this process must not be touched, before any system call; null if it may be. */
export function refusal(pid: number, startTime: number, protectedPids: readonly number[] = []): { result: 'gone' | 'refused'; message: string } | null {
  if (pid === 1) return { result: 'refused', message: 'pid 1 (init) is never touched' };
  if (pid === process.pid) return { result: 'refused', message: 'the agent never reclaims itself' };
  if (protectedPids.includes(pid)) return { result: 'refused', message: `pid ${pid} is protected (the agent or its UI)` };
  const stat = readStat(pid);
  if (!stat || stat.state === 'Z' || stat.state === 'X') return { result: 'gone', message: `process ${pid} is gone` };
  if ((stat.flags & 0x00200000) !== 0 || pid === 2 || stat.ppid === 2) return { result: 'refused', message: `pid ${pid} (${stat.comm}) is a kernel thread` };
  if (stat.startTime !== startTime) return { result: 'refused', message: `pid ${pid} was reused (start time ${stat.startTime}, expected ${startTime})` };
  return null;
}

/** Ranges of the wanted kind, cut to the budget, as iovec chunks of at most IOV_MAX. */
function iovecChunks(vmas: readonly Vma[], kind: ReclaimKind, budgetBytes: number): Buffer[] {
  const ranges: [bigint, bigint][] = [];
  let left = budgetBytes > 0 ? BigInt(budgetBytes) : -1n;
  for (const v of vmas) {
    if (kind !== 'all' && v.kind !== kind) continue;
    let len = v.end - v.start;
    if (left >= 0n) {
      if (left === 0n) break;
      if (len > left) len = (left + 4095n) & ~4095n;
      left -= len < left ? len : left;
    }
    ranges.push([v.start, len]);
  }
  const chunks: Buffer[] = [];
  for (let i = 0; i < ranges.length; i += IOV_MAX) {
    const slice = ranges.slice(i, i + IOV_MAX);
    const buf = Buffer.alloc(16 * slice.length);
    slice.forEach(([base, len], j) => {
      buf.writeBigUInt64LE(base, 16 * j);
      buf.writeBigUInt64LE(len, 16 * j + 8);
    });
    chunks.push(buf);
  }
  return chunks;
}

/**
 * Reclaim one process's pages: pidfd_open pins the process (and the start time is checked
 * again after, so a reused pid is refused), then process_madvise(MADV_PAGEOUT or
 * MADV_COLD) over its VMAs of the wanted kind. Every failure is a result, never a throw.
 */
export function reclaimProcess(req: ReclaimRequest): ReclaimResult {
  const t0 = performance.now();
  const done = (result: ReclaimResult['result'], message: string, extra: Partial<ReclaimResult> = {}): ReclaimResult => ({
    result,
    message,
    before: null,
    after: null,
    advisedBytes: 0,
    reclaimedAnonBytes: 0,
    reclaimedFileBytes: 0,
    calls: 0,
    firstCallAtMs: null,
    ...extra,
    durationMs: Math.round((performance.now() - t0) * 1000) / 1000,
  });

  // Older Android kernels have /proc/PID/reclaim instead of process_madvise.
  const viaProcFile = (why: string): ReclaimResult => {
    if (req.mode === 'cold' || req.budgetBytes > 0 || !procReclaimAvailable(req.pid)) return done('unsupported', why);
    const before = readMemory(req.pid);
    const r = reclaimThroughProcFile(req.pid, req.kind);
    const after = readMemory(req.pid);
    return done(r.result, `${why}; ${r.message}`, {
      before,
      after,
      reclaimedAnonBytes: before && after ? Math.max(0, before.rssAnonBytes - after.rssAnonBytes) : 0,
      reclaimedFileBytes: before && after ? Math.max(0, before.rssFileBytes - after.rssFileBytes) : 0,
    });
  };

  const early = refusal(req.pid, req.startTime, req.protectedPids);
  if (early) return done(early.result, early.message);
  let c;
  try {
    c = libc();
  } catch (err) {
    return viaProcFile((err as Error).message);
  }
  const { fd, errno } = c.pidfdOpen(req.pid);
  if (fd < 0) {
    if (errno === ERRNO.ESRCH) return done('gone', `process ${req.pid} is gone`);
    if (errno === ERRNO.ENOSYS) return viaProcFile('pidfd_open is not available (Linux 5.3+ needed)');
    return done('error', `pidfd_open: ${errnoText(errno)}`);
  }
  try {
    // The pidfd now refers to one process for good; if the pid was reused before we opened
    // it, the start time tells.
    const startNow = readStartTime(req.pid);
    if (startNow === null) return done('gone', `process ${req.pid} exited`);
    if (startNow !== req.startTime) return done('refused', `pid ${req.pid} was reused (start time ${startNow}, expected ${req.startTime})`);
    const before = readMemory(req.pid);
    const vmas = readVmas(req.pid);
    if (!before || !vmas) {
      // Still there but unreadable: /proc/PID/maps needs ptrace read access to the target.
      if (readStartTime(req.pid) === req.startTime) return done('denied', `cannot read /proc/${req.pid}/maps — ${CAP_HINT}, and ptrace read access to the target`);
      return done('gone', `process ${req.pid} exited`);
    }
    const advice = req.mode === 'cold' ? MADV_COLD : MADV_PAGEOUT;
    let advised = 0;
    let calls = 0;
    let firstCallAtMs: number | null = null;
    for (const chunk of iovecChunks(vmas, req.kind, req.budgetBytes)) {
      const count = chunk.length / 16;
      calls++;
      firstCallAtMs ??= performance.timeOrigin + performance.now();
      const r = c.processMadvise(fd, chunk, count, advice);
      if (r.bytes >= 0) {
        advised += r.bytes;
        continue;
      }
      if (r.errno === ERRNO.ESRCH) return done('gone', `process ${req.pid} exited during reclaim`, { before, advisedBytes: advised, calls });
      if (r.errno === ERRNO.EPERM) return done('denied', `process_madvise: EPERM — ${CAP_HINT}`, { before, calls });
      if (r.errno === ERRNO.ENOSYS) return viaProcFile('process_madvise is not available (Linux 5.10+ needed)');
      if (r.errno === ERRNO.EINVAL && advice === MADV_COLD && calls === 1) return done('unsupported', 'MADV_COLD is not supported by this kernel', { before, calls });
      // A range changed since /proc/PID/maps was read (unmapped, locked): go one by one.
      for (let i = 0; i < count; i++) {
        calls++;
        const one = c.processMadvise(fd, chunk.subarray(16 * i, 16 * i + 16), 1, advice);
        if (one.bytes > 0) advised += one.bytes;
        else if (one.errno === ERRNO.ESRCH) return done('gone', `process ${req.pid} exited during reclaim`, { before, advisedBytes: advised, calls });
      }
    }
    const after = readMemory(req.pid);
    if (!after || readStartTime(req.pid) !== req.startTime) return done('gone', `process ${req.pid} exited during reclaim`, { before, advisedBytes: advised, calls, firstCallAtMs });
    const anon = Math.max(0, before.rssAnonBytes - after.rssAnonBytes);
    const file = Math.max(0, before.rssFileBytes - after.rssFileBytes);
    const mib = (b: number) => (b / 1048576).toFixed(1);
    return done('ok', `${req.mode === 'cold' ? 'deactivated' : 'paged out'} ${req.kind} pages: advised ${mib(advised)} MiB; anon −${mib(anon)} MiB, file −${mib(file)} MiB, swap +${mib(Math.max(0, after.swapBytes - before.swapBytes))} MiB`, {
      before,
      after,
      advisedBytes: advised,
      reclaimedAnonBytes: anon,
      reclaimedFileBytes: file,
      calls,
      firstCallAtMs,
    });
  } finally {
    c.close(fd);
  }
}

/** SIGKILL through a pidfd, so a reused pid can never be hit. */
export function killProcess(pid: number, startTime: number, protectedPids: readonly number[] = []): { result: ReclaimResult['result']; message: string } {
  const early = refusal(pid, startTime, protectedPids);
  if (early) return early;
  const c = libc();
  const { fd, errno } = c.pidfdOpen(pid);
  if (fd < 0) return errno === ERRNO.ESRCH ? { result: 'gone', message: `process ${pid} is gone` } : { result: 'error', message: `pidfd_open: ${errnoText(errno)}` };
  try {
    if (readStartTime(pid) !== startTime) return { result: 'refused', message: `pid ${pid} was reused` };
    const r = c.pidfdSendSignal(fd, 9);
    if (r.ok) return { result: 'ok', message: `sent SIGKILL to ${pid}` };
    if (r.errno === ERRNO.ESRCH) return { result: 'gone', message: `process ${pid} is gone` };
    if (r.errno === ERRNO.EPERM) return { result: 'denied', message: 'pidfd_send_signal: EPERM — the agent may only kill processes it has permission to signal (root or same user)' };
    return { result: 'error', message: `pidfd_send_signal: ${errnoText(r.errno)}` };
  } finally {
    c.close(fd);
  }
}
