import { performance } from 'node:perf_hooks';
import { untouchableReason } from '../../policy-engine/protection';
import type { ActionResult, ReclaimKind, ReclaimMode } from '../../policy-engine/types';
import { ERRNO, errnoName, IOV_MAX, libc, MADV_COLD, MADV_PAGEOUT, POLLIN, type Libc } from './libc';
import { procReclaimAvailable, reclaimThroughProcFile } from './kernel-reclaim-files';
import { filePages } from './pagemap';
import { PF_EXITING, PF_KTHREAD, readMemory, readMemoryAndExit, readStartTime, readStat, readTgid, readVmas } from './procfs';

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
  /**
   * Resident bytes left because other processes map them too (the kernel never pages
   * those out): page-cache pages found shared in file mode, RssShmem of the MAP_SHARED
   * anonymous mappings skipped in anon and all modes.
   */
  sharedSkippedBytes: number;
  /** File mode: bytes the process wrote into private file mappings (anonymous copies), kept out of file reclaim. */
  writtenSkippedBytes: number;
  durationMs: number;
  calls: number;
  /** Epoch ms (performance.timeOrigin + now) of the first process_madvise, or null if none was made. */
  firstCallAtMs: number | null;
  /** How long before this reclaim its ranges were read (the reaction thread reads ahead); null when the reclaim read them itself. */
  rangesReadAheadMs: number | null;
}

export const CAP_HINT = 'process_madvise needs CAP_SYS_NICE over the target (run as root, or grant the agent cap_sys_nice+ep)';

/**
 * pidfd_open, with its failures as results. A thread's id is a valid /proc entry but not a
 * process: pidfd_open refuses it (ENOENT, EINVAL before Linux 6.9), and the message says
 * which process the thread belongs to.
 */
function openPidfd(c: Libc, pid: number): { fd: number } | { result: 'gone' | 'refused' | 'error'; message: string; errno: number } {
  const { fd, errno } = c.pidfdOpen(pid);
  if (fd >= 0) return { fd };
  if (errno === ERRNO.ESRCH) return { result: 'gone', message: `process ${pid} is gone`, errno };
  const what = `pidfd_open(${pid}): ${errnoName(errno)}`;
  if (errno === ERRNO.ENOENT || errno === ERRNO.EINVAL) {
    const tgid = readTgid(pid);
    if (tgid !== null && tgid !== pid) {
      const comm = readStat(tgid)?.comm;
      return { result: 'refused', message: `${what} — ${pid} is a thread of process ${tgid}${comm ? ` (${comm})` : ''}, not a process; reclaim and kill act on whole processes: use ${tgid}`, errno };
    }
    if (tgid === null) return { result: 'gone', message: `${what} — process ${pid} is gone`, errno };
  }
  return { result: 'error', message: what, errno };
}

/** Why this process must not be touched, before any system call; null if it may be. */
export function refusal(pid: number, startTime: number, protectedPids: readonly number[] = []): { result: 'gone' | 'refused'; message: string } | null {
  const known = untouchableReason({ pid, selfPid: process.pid, protectedPids });
  if (known) return { result: 'refused', message: `${known} is never touched (pid ${pid})` };
  const stat = readStat(pid);
  if (!stat || stat.state === 'Z' || stat.state === 'X') return { result: 'gone', message: `process ${pid} is gone` };
  const kernel = untouchableReason({ pid, selfPid: process.pid, kernelThread: (stat.flags & PF_KTHREAD) !== 0 || pid === 2 || stat.ppid === 2 });
  if (kernel) return { result: 'refused', message: `${kernel} is never touched (pid ${pid}, ${stat.comm})` };
  if (stat.startTime !== startTime) return { result: 'refused', message: `pid ${pid} was reused (start time ${stat.startTime}, expected ${startTime})` };
  if ((stat.flags & PF_EXITING) !== 0) return { result: 'gone', message: `process ${pid} is exiting` };
  return null;
}

/**
 * Why the process behind `pidfd` is no longer there to reclaim, or null if it is. A killed
 * process keeps its pid, start time and a non-zombie state for as long as freeing its
 * memory takes, so each sign is checked: the pidfd readable (it exited), the stat gone or a
 * zombie, PF_EXITING, SIGKILL pending or its memory already released (`exiting` from
 * /proc/PID/status, read by the caller with the counters).
 */
function exitReason(c: Libc, pidfd: number, pid: number, startTime: number, exiting: string | null): string | null {
  if (c.pollNow(pidfd, POLLIN)) return 'exited';
  const stat = readStat(pid);
  if (!stat || stat.state === 'Z' || stat.state === 'X' || stat.startTime !== startTime) return 'exited';
  if ((stat.flags & PF_EXITING) !== 0) return 'is exiting';
  return exiting;
}

/** Ranges cut to the budget, as iovec chunks of at most IOV_MAX. */
function iovecChunks(all: readonly [bigint, bigint][], budgetBytes: number): Buffer[] {
  const ranges: [bigint, bigint][] = [];
  let left = budgetBytes > 0 ? BigInt(budgetBytes) : -1n;
  for (const [start, length] of all) {
    let len = length;
    if (left >= 0n) {
      if (left === 0n) break;
      if (len > left) len = (left + 4095n) & ~4095n;
      left -= len < left ? len : left;
    }
    ranges.push([start, len]);
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
 * What /proc says to advise for one process and kind, and what is left out: read just before a
 * reclaim, or ahead of it (the reaction thread reads its planned targets' ranges between
 * events, so the first system call after a wake-up is the process_madvise itself — reading
 * /proc/PID/maps and pagemap takes the target's mmap lock, and under thrashing that read was
 * measured at up to 46 ms, see README's reaction path).
 */
export interface ReclaimRanges {
  pid: number;
  startTime: number;
  kind: Exclude<ReclaimKind, 'demote'>;
  ranges: [bigint, bigint][];
  /** File mode: resident page-cache bytes also mapped by another process (pagemap). */
  sharedFileBytes: number;
  /** File mode: bytes written into private file mappings (anonymous copies). */
  writtenSkippedBytes: number;
  /** Anon and all modes: a MAP_SHARED anonymous mapping was left out (its RssShmem is reported as skipped). */
  sharedAnonSkipped: boolean;
  /** Anything the caller should know about how the ranges were found. */
  note: string;
  /** performance.timeOrigin + now() when /proc was read. */
  readAtMs: number;
}

/**
 * The ranges to advise for a kind, or null when /proc/PID/maps cannot be read (gone, or no
 * ptrace read access). MAP_SHARED anonymous mappings (shmem, memfd, SysV: a browser's shared
 * buffers) are skipped in anon and all modes — their pages are typically mapped by another
 * process as well, which the kernel's pageout skips, and are RssShmem, not RssAnon. File mode
 * looks at each page (see pagemap.ts): a MAP_SHARED file that only this process maps is still
 * paged out, as the kernel would.
 */
export function readReclaimRanges(pid: number, startTime: number, kind: ReclaimRanges['kind'], pageSize: number): ReclaimRanges | null {
  const vmas = readVmas(pid);
  if (!vmas) return null;
  const base = { pid, startTime, kind, sharedFileBytes: 0, writtenSkippedBytes: 0, sharedAnonSkipped: false, note: '', readAtMs: performance.timeOrigin + performance.now() };
  if (kind === 'file') {
    const files = vmas.filter((v) => v.kind === 'file');
    const pages = filePages(pid, files, pageSize);
    if (pages) return { ...base, ranges: pages.ranges, sharedFileBytes: pages.sharedBytes, writtenSkippedBytes: pages.writtenBytes };
    // Without pagemap the mappings go whole, as before: the kernel still skips shared pages.
    return { ...base, ranges: files.map((v) => [v.start, v.end - v.start]), note: `; /proc/${pid}/pagemap unreadable: shared and written pages not told apart` };
  }
  const ranges: [bigint, bigint][] = [];
  let sharedAnonSkipped = false;
  for (const v of vmas) {
    if (kind !== 'all' && v.kind !== kind) continue;
    if (v.kind === 'anon' && v.shared) sharedAnonSkipped = true;
    else ranges.push([v.start, v.end - v.start]);
  }
  return { ...base, ranges, sharedAnonSkipped };
}

/**
 * How old a reading of a process's ranges may be and still be sent in place of a new one. A
 * stale reading costs little: a mapping made since is not advised (it is new, so hot), one
 * unmapped since fails and the rest are sent one by one (below). Three calm scans (10 s each,
 * scan-rate.ts): the plan it serves is from a scan up to that old anyway.
 */
export const RANGES_MAX_AGE_MS = 30_000;

/**
 * Reclaim one process's pages: pidfd_open pins the process (and the start time is checked
 * again after, so a reused pid is refused), then process_madvise(MADV_PAGEOUT or
 * MADV_COLD) over its VMAs of the wanted kind. Every failure is a result, never a throw.
 * `ahead`: the ranges read ahead for this process and kind, used in place of a new read when
 * they are its own and no older than RANGES_MAX_AGE_MS.
 */
export function reclaimProcess(req: ReclaimRequest, ahead: ReclaimRanges | null = null): ReclaimResult {
  const t0 = performance.now();
  const done = (result: ReclaimResult['result'], message: string, extra: Partial<ReclaimResult> = {}): ReclaimResult => ({
    result,
    message,
    before: null,
    after: null,
    advisedBytes: 0,
    reclaimedAnonBytes: 0,
    reclaimedFileBytes: 0,
    sharedSkippedBytes: 0,
    writtenSkippedBytes: 0,
    calls: 0,
    firstCallAtMs: null,
    rangesReadAheadMs: null,
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

  // Demote is no process_madvise advice: host/linux/demote.ts moves pages between nodes.
  if (req.kind === 'demote') return done('unsupported', 'demote moves pages between NUMA nodes (host/linux/demote.ts), not through process_madvise');
  const early = refusal(req.pid, req.startTime, req.protectedPids);
  if (early) return done(early.result, early.message);
  let c;
  try {
    c = libc();
  } catch (err) {
    return viaProcFile((err as Error).message);
  }
  const opened = openPidfd(c, req.pid);
  if (!('fd' in opened)) {
    if (opened.errno === ERRNO.ENOSYS) return viaProcFile('pidfd_open is not available (Linux 5.3+ needed)');
    return done(opened.result, opened.message);
  }
  const fd = opened.fd;
  try {
    // The pidfd now refers to one process for good; if the pid was reused before we opened
    // it, the start time tells.
    const startNow = readStartTime(req.pid);
    if (startNow === null) return done('gone', `process ${req.pid} exited`);
    if (startNow !== req.startTime) return done('refused', `pid ${req.pid} was reused (start time ${startNow}, expected ${req.startTime})`);
    const first = readMemoryAndExit(req.pid);
    const readAtMs = performance.timeOrigin + performance.now();
    const usable = ahead && ahead.pid === req.pid && ahead.startTime === req.startTime && ahead.kind === req.kind && readAtMs - ahead.readAtMs <= RANGES_MAX_AGE_MS;
    const plan = usable ? ahead : first ? readReclaimRanges(req.pid, req.startTime, req.kind, c.pageSize) : null;
    if (!first || !plan) {
      // Still there but unreadable: /proc/PID/maps needs ptrace read access to the target.
      if (readStartTime(req.pid) === req.startTime) return done('denied', `cannot read /proc/${req.pid}/maps — ${CAP_HINT}, and ptrace read access to the target`);
      return done('gone', `process ${req.pid} exited`);
    }
    // A process being killed must not be reported as reclaimed (its counters read zero).
    const gone = exitReason(c, fd, req.pid, req.startTime, first.exiting);
    if (gone) return done('gone', `process ${req.pid} ${gone}`);
    const before = first.memory;
    const sharedSkippedBytes = plan.kind === 'file' ? plan.sharedFileBytes : plan.sharedAnonSkipped ? before.rssShmemBytes : 0;
    const skipped = { sharedSkippedBytes, writtenSkippedBytes: plan.writtenSkippedBytes, rangesReadAheadMs: usable ? Math.round((readAtMs - plan.readAtMs) * 1000) / 1000 : null };
    const advice = req.mode === 'cold' ? MADV_COLD : MADV_PAGEOUT;
    let advised = 0;
    let calls = 0;
    let firstCallAtMs: number | null = null;
    const exitedDuring = () => done('gone', `process ${req.pid} exited during reclaim`, { before, advisedBytes: advised, calls, firstCallAtMs, ...skipped });
    for (const chunk of iovecChunks(plan.ranges, req.budgetBytes)) {
      const count = chunk.length / 16;
      calls++;
      firstCallAtMs ??= performance.timeOrigin + performance.now();
      const r = c.processMadvise(fd, chunk, count, advice);
      if (r.bytes >= 0) {
        advised += r.bytes;
        continue;
      }
      if (r.errno === ERRNO.ESRCH) return exitedDuring();
      if (r.errno === ERRNO.EPERM) return done('denied', `process_madvise: EPERM — ${CAP_HINT}`, { before, calls });
      if (r.errno === ERRNO.ENOSYS) return viaProcFile('process_madvise is not available (Linux 5.10+ needed)');
      if (r.errno === ERRNO.EINVAL && advice === MADV_COLD && calls === 1) return done('unsupported', 'MADV_COLD is not supported by this kernel', { before, calls });
      // A range changed since /proc/PID/maps was read (unmapped, locked): go one by one.
      for (let i = 0; i < count; i++) {
        calls++;
        const one = c.processMadvise(fd, chunk.subarray(16 * i, 16 * i + 16), 1, advice);
        if (one.bytes > 0) advised += one.bytes;
        else if (one.errno === ERRNO.ESRCH) return exitedDuring();
      }
    }
    // process_madvise holds the target's memory while it runs: a process killed meanwhile
    // had its pages moved all the same, and its counters now read zero. Gone, not ok.
    const last = readMemoryAndExit(req.pid);
    if (!last || exitReason(c, fd, req.pid, req.startTime, last.exiting)) return exitedDuring();
    const after = last.memory;
    const anon = Math.max(0, before.rssAnonBytes - after.rssAnonBytes);
    const file = Math.max(0, before.rssFileBytes - after.rssFileBytes);
    const mib = (b: number) => (b / 1048576).toFixed(1);
    const left = [
      sharedSkippedBytes > 0 ? `left ${mib(sharedSkippedBytes)} MiB shared with other processes` : '',
      plan.writtenSkippedBytes > 0 ? `left ${mib(plan.writtenSkippedBytes)} MiB written into private file mappings (anonymous copies)` : '',
    ].filter(Boolean);
    const message = `${req.mode === 'cold' ? 'deactivated' : 'paged out'} ${req.kind} pages: advised ${mib(advised)} MiB; anon −${mib(anon)} MiB, file −${mib(file)} MiB, swap +${mib(Math.max(0, after.swapBytes - before.swapBytes))} MiB`;
    return done('ok', `${message}${left.length ? `; ${left.join(', ')}` : ''}${plan.note}`, {
      before,
      after,
      advisedBytes: advised,
      reclaimedAnonBytes: anon,
      reclaimedFileBytes: file,
      calls,
      firstCallAtMs,
      ...skipped,
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
  const opened = openPidfd(c, pid);
  if (!('fd' in opened)) return { result: opened.result, message: opened.message };
  const fd = opened.fd;
  try {
    if (readStartTime(pid) !== startTime) return { result: 'refused', message: `pid ${pid} was reused` };
    const r = c.pidfdSendSignal(fd, 9);
    if (r.ok) return { result: 'ok', message: `sent SIGKILL to ${pid}` };
    if (r.errno === ERRNO.ESRCH) return { result: 'gone', message: `process ${pid} is gone` };
    if (r.errno === ERRNO.EPERM) return { result: 'denied', message: 'pidfd_send_signal: EPERM — the agent may only kill processes it has permission to signal (root or same user)' };
    return { result: 'error', message: `pidfd_send_signal: ${errnoName(r.errno)}` };
  } finally {
    c.close(fd);
  }
}
