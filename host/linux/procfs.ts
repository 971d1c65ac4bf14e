import { readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';

/** What /proc says about one process; sizes in bytes. */
export interface ProcInfo {
  pid: number;
  ppid: number;
  /** Field 22 of /proc/PID/stat, in clock ticks since boot: with pid, a process's identity. */
  startTime: number;
  comm: string;
  cmdline: string[];
  uid: number;
  oomScoreAdj: number;
  cgroup: string;
  kernelThread: boolean;
  /** utime + stime in clock ticks: rising means the process is in use. */
  cpuTicks: number;
  rssAnonBytes: number;
  rssFileBytes: number;
  rssShmemBytes: number;
  swapBytes: number;
}

/** task->flags bits of /proc/PID/stat (include/linux/sched.h). */
export const PF_EXITING = 0x00000004;
export const PF_KTHREAD = 0x00200000;

function read(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null; // the process went away between listing and reading: normal on a live system
  }
}

/** pid, ppid, start time, comm and flags from /proc/PID/stat (comm may hold spaces and parens). */
export type Stat = { state: string; ppid: number; startTime: number; comm: string; flags: number; cpuTicks: number; rssPages: number; majorFaults: number };

export function readStat(pid: number): Stat | null {
  const text = read(`/proc/${pid}/stat`);
  if (!text) return null;
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  // Field N (1-based, as proc(5) numbers them) starts after the (N - 3)th space past the comm's
  // ')': walked, not split — a scan reads ~370 of these every 10 s, and splitting each into its
  // 52 fields made most of the scanner's garbage.
  const starts: number[] = [];
  for (let i = close + 2, field = 3; field <= 24 && i < text.length; field++) {
    starts[field] = i;
    const space = text.indexOf(' ', i);
    i = space < 0 ? text.length : space + 1;
  }
  const field = (n: number) => {
    const from = starts[n];
    if (from === undefined) return NaN;
    const to = text.indexOf(' ', from);
    return Number(text.slice(from, to < 0 ? undefined : to));
  };
  return {
    state: text.charAt(close + 2),
    comm: text.slice(open + 1, close),
    ppid: field(4),
    flags: field(9),
    cpuTicks: field(14) + field(15), // utime + stime
    startTime: field(22),
    rssPages: field(24), // resident pages, anon + file + shmem
    majorFaults: field(12), // majflt: pages read back (swap-ins from zram, file reads) — a recording's refaults
  };
}

/** The start time of a live process; null when it is gone or only a zombie is left. */
export function readStartTime(pid: number): number | null {
  const stat = readStat(pid);
  return stat && stat.state !== 'Z' && stat.state !== 'X' ? stat.startTime : null;
}

function kib(status: string, key: string): number {
  const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status);
  return m ? Number(m[1]) * 1024 : 0;
}

/** Memory of one process from /proc/PID/status (RssAnon, RssFile, RssShmem, VmSwap). */
export function readMemory(pid: number): { rssAnonBytes: number; rssFileBytes: number; rssShmemBytes: number; swapBytes: number } | null {
  const status = read(`/proc/${pid}/status`);
  if (!status) return null;
  return memoryOf(status);
}

function memoryOf(status: string): { rssAnonBytes: number; rssFileBytes: number; rssShmemBytes: number; swapBytes: number } {
  return { rssAnonBytes: kib(status, 'RssAnon'), rssFileBytes: kib(status, 'RssFile'), rssShmemBytes: kib(status, 'RssShmem'), swapBytes: kib(status, 'VmSwap') };
}

const SIGKILL_BIT = 1n << 8n; // signal 9 is bit 8 of the SigPnd/ShdPnd masks

/**
 * readMemory plus whether the process is on its way out, from the same read of
 * /proc/PID/status: a process being killed still shows state R/S/D and its start time
 * until it is a zombie, but SIGKILL is pending, or its memory is already detached (no
 * RssAnon line) while exit_mmap frees it — its counters then read as zero.
 */
export function readMemoryAndExit(pid: number): { memory: ReturnType<typeof memoryOf>; exiting: string | null } | null {
  const status = read(`/proc/${pid}/status`);
  if (!status) return null;
  const pending = (key: string) => {
    const m = new RegExp(`^${key}:\\s+([0-9a-f]+)$`, 'm').exec(status);
    return m ? (BigInt('0x' + m[1]) & SIGKILL_BIT) !== 0n : false;
  };
  const exiting = !/^RssAnon:/m.test(status) ? 'has released its memory (exiting)' : pending('ShdPnd') || pending('SigPnd') ? 'is being killed (SIGKILL pending)' : null;
  return { memory: memoryOf(status), exiting };
}

/** The thread group (process) a task id belongs to, from /proc/TID/status; null if unreadable. */
export function readTgid(tid: number): number | null {
  const m = /^Tgid:\s+(\d+)$/m.exec(read(`/proc/${tid}/status`) ?? '');
  return m ? Number(m[1]) : null;
}

/** Exact numbers from smaps_rollup (slower; on request). */
export function readSmapsRollup(pid: number): Record<string, number> | null {
  const text = read(`/proc/${pid}/smaps_rollup`);
  if (!text) return null;
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^(\w+):\s+(\d+) kB$/gm)) out[m[1]] = Number(m[2]) * 1024;
  return out;
}

/** The parts of a process that do not change while it lives: read once per identity. */
export interface ProcIdentity {
  startTime: number;
  /** /proc/PID/stat's comm when it was read: an exec changes it (and the cmdline, and often the cgroup just before). */
  comm: string;
  cmdline: string[];
  cgroup: string;
}

/**
 * Whether an identity read earlier still describes the process: the same start time (not a
 * reused pid) and the same comm (no exec since). A process that moves itself into a cgroup and
 * then execs — the lab's wrapper, systemd-run, a session manager's launcher — is read again.
 */
export function sameIdentity(known: ProcIdentity | undefined, stat: Stat): known is ProcIdentity {
  return known !== undefined && known.startTime === stat.startTime && known.comm === stat.comm;
}

function readIdentity(pid: number, startTime: number, comm: string): ProcIdentity {
  const cmdline = (read(`/proc/${pid}/cmdline`) ?? '').split('\0').filter(Boolean);
  return { startTime, comm, cmdline, cgroup: readCgroup(pid) ?? '' };
}

/** The memory controller's cgroup path (v1), else the unified one (v2); null when the process is gone. */
export function readCgroup(pid: number): string | null {
  const text = read(`/proc/${pid}/cgroup`);
  if (text === null) return null;
  const lines = text.split('\n');
  const line = lines.find((l) => /^\d+:memory:/.test(l)) ?? lines.find((l) => l.startsWith('0::')) ?? '';
  return line.slice(line.lastIndexOf(':') + 1);
}

/** /proc/PID/oom_score_adj (set from outside: Android's ActivityManager, systemd's OOMScoreAdjust=); null when gone. */
export function readOomScoreAdj(pid: number): number | null {
  const text = read(`/proc/${pid}/oom_score_adj`);
  return text === null ? null : Number(text.trim());
}

/** Fields of /proc/PID/status in one pass (kB values in bytes, Uid's first value). */
function parseStatus(status: string): { uid: number; rssAnon: number; rssFile: number; rssShmem: number; swap: number } {
  const out = { uid: -1, rssAnon: 0, rssFile: 0, rssShmem: 0, swap: 0 };
  for (const line of status.split('\n')) {
    const colon = line.indexOf(':');
    const key = line.slice(0, colon);
    if (key === 'Uid') out.uid = parseInt(line.slice(colon + 1), 10);
    else if (key === 'RssAnon') out.rssAnon = parseInt(line.slice(colon + 1), 10) * 1024;
    else if (key === 'RssFile') out.rssFile = parseInt(line.slice(colon + 1), 10) * 1024;
    else if (key === 'RssShmem') out.rssShmem = parseInt(line.slice(colon + 1), 10) * 1024;
    else if (key === 'VmSwap') out.swap = parseInt(line.slice(colon + 1), 10) * 1024;
  }
  return out;
}

/**
 * One process from /proc. `known` is its identity from an earlier scan: while it is the same
 * (sameIdentity), cmdline and cgroup are not read again (a scan reads 3 files, not 5).
 * `stat` is its /proc/PID/stat when the caller has just read it.
 */
export function readProc(pid: number, known?: ProcIdentity, stat: Stat | null = readStat(pid)): ProcInfo | null {
  const status = read(`/proc/${pid}/status`);
  if (!stat || !status) return null;
  const id = sameIdentity(known, stat) ? known : readIdentity(pid, stat.startTime, stat.comm);
  const st = parseStatus(status);
  return {
    pid,
    ppid: stat.ppid,
    startTime: stat.startTime,
    comm: stat.comm,
    cmdline: id.cmdline,
    uid: st.uid,
    oomScoreAdj: readOomScoreAdj(pid) ?? 0,
    cgroup: id.cgroup,
    kernelThread: (stat.flags & PF_KTHREAD) !== 0 || pid === 2 || stat.ppid === 2,
    cpuTicks: stat.cpuTicks,
    rssAnonBytes: st.rssAnon,
    rssFileBytes: st.rssFile,
    rssShmemBytes: st.rssShmem,
    swapBytes: st.swap,
  };
}

export function listPids(): number[] {
  return readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n))
    .map(Number);
}

/** A stable identity for priorities: the executable's name, or the cgroup scope for apps in one. */
export function appKeyOf(p: ProcInfo): string {
  const scope = /\/(app-[^/]+\.scope|[^/]+\.slice\/[^/]+\.scope)$/.exec(p.cgroup);
  if (scope) return scope[1].replace(/^.*\//, '');
  const exe = p.cmdline[0] ? p.cmdline[0].split('/').pop()! : p.comm;
  return exe || p.comm;
}

/** The executable path (for the agent to recognise itself and its UI). */
export function exePath(pid: number): string | null {
  try {
    return readlinkSync(`/proc/${pid}/exe`);
  } catch {
    return null;
  }
}

export interface Vma {
  start: bigint;
  end: bigint;
  kind: 'anon' | 'file';
  /** MAP_SHARED ('s' in the perms column): its pages may be mapped by other processes too. */
  shared: boolean;
}

/**
 * The VMAs of /proc/PID/maps that reclaim may touch, by kind. Special mappings ([vdso],
 * [vvar], [vsyscall]) are skipped; [heap] and [stack] and unnamed ones are anonymous.
 */
export function readVmas(pid: number): Vma[] | null {
  const text = read(`/proc/${pid}/maps`);
  if (text === null) return null;
  const out: Vma[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    const parts = line.split(/\s+/);
    const [range, perms, , , inode] = parts;
    const path = parts.slice(5).join(' ');
    if (path === '[vdso]' || path === '[vvar]' || path === '[vsyscall]' || path === '[vvar_vclock]') continue;
    if (perms[0] !== 'r' && perms[1] !== 'w' && perms[2] !== 'x') continue; // guard pages
    const dash = range.indexOf('-');
    const start = BigInt('0x' + range.slice(0, dash));
    const end = BigInt('0x' + range.slice(dash + 1));
    out.push({ start, end, kind: vmaKind(inode, path), shared: perms[3] === 's' });
  }
  return out;
}

/** A VMA's kind as reclaim filters by it: file-backed unless anonymous, memfd or a device. */
function vmaKind(inode: string, path: string): 'anon' | 'file' {
  return inode !== '0' && path.startsWith('/') && !path.startsWith('/memfd:') && !path.startsWith('/dev/') ? 'file' : 'anon';
}

/** Resident and referenced bytes of one process by VMA kind (the kinds reclaim asks for). */
export interface ReferencedReading {
  anonRssBytes: number;
  anonReferencedBytes: number;
  fileRssBytes: number;
  fileReferencedBytes: number;
}

/**
 * /proc/PID/smaps summed by VMA kind: Rss, and Referenced — the pages accessed since the last
 * clearReferenced() (fs/proc/task_mmu.c counts a page referenced when its PTE is young or the
 * folio is marked referenced). Rss minus Referenced is the idle part. Special mappings skipped.
 */
export function readReferenced(pid: number): ReferencedReading | null {
  const text = read(`/proc/${pid}/smaps`);
  if (text === null) return null;
  const out: ReferencedReading = { anonRssBytes: 0, anonReferencedBytes: 0, fileRssBytes: 0, fileReferencedBytes: 0 };
  let kind: 'anon' | 'file' | null = null;
  for (const line of text.split('\n')) {
    if (/^[0-9a-f]+-[0-9a-f]+ /.test(line)) {
      const parts = line.split(/\s+/);
      const path = parts.slice(5).join(' ');
      kind = path === '[vdso]' || path === '[vvar]' || path === '[vsyscall]' || path === '[vvar_vclock]' ? null : vmaKind(parts[4], path);
      continue;
    }
    if (kind === null) continue;
    if (line.startsWith('Rss:')) out[kind === 'anon' ? 'anonRssBytes' : 'fileRssBytes'] += parseInt(line.slice(4), 10) * 1024;
    else if (line.startsWith('Referenced:')) out[kind === 'anon' ? 'anonReferencedBytes' : 'fileReferencedBytes'] += parseInt(line.slice(11), 10) * 1024;
  }
  return out;
}

/**
 * Start a new idle window: clear the referenced bits of all the process's pages (writing 1 to
 * /proc/PID/clear_refs, Documentation/admin-guide/mm/soft-dirty.rst and proc.rst), then 4.
 * Clearing the accessed bits alone does not flush the process's TLB (fs/proc/task_mmu.c
 * flushes only for the soft-dirty type), so a page it keeps touching through a cached
 * translation never sets its accessed bit again: measured here, 128 MiB touched after a plain
 * clear showed 3 MiB referenced, 136 MiB after 1 then 4. The 4 (clear soft-dirty) flushes; its
 * cost is a minor write fault on each page's first write in the window, and soft-dirty
 * tracking (CRIU's) restarts. False if the process is gone or either write was refused (no
 * CONFIG_MEM_SOFT_DIRTY: then no trustworthy estimate).
 */
export function clearReferenced(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '1');
    writeFileSync(`/proc/${pid}/clear_refs`, '4');
    return true;
  } catch {
    return false;
  }
}
