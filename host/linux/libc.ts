import koffi from 'koffi';

// New system calls share one number on every architecture since Linux 5.1 (the unified
// table), so x86_64, arm64, arm and riscv agree; older ABIs are refused explicitly.
// gettid and move_pages are older and differ per architecture (glibc only wraps gettid since
// 2.30; move_pages is libnuma's, not glibc's): arch/x86/entry/syscalls/syscall_64.tbl 186 and
// 279, include/uapi/asm-generic/unistd.h (arm64, riscv64) 178 and 239, arch/arm/tools/syscall.tbl
// 224 and 344, arch/x86/entry/syscalls/syscall_32.tbl 224 and 317.
const SYSCALLS: Readonly<Record<string, { pidfd_open: number; process_madvise: number; pidfd_send_signal: number; gettid: number; move_pages: number }>> = {
  x64: { pidfd_open: 434, process_madvise: 440, pidfd_send_signal: 424, gettid: 186, move_pages: 279 },
  arm64: { pidfd_open: 434, process_madvise: 440, pidfd_send_signal: 424, gettid: 178, move_pages: 239 },
  arm: { pidfd_open: 434, process_madvise: 440, pidfd_send_signal: 424, gettid: 224, move_pages: 344 },
  riscv64: { pidfd_open: 434, process_madvise: 440, pidfd_send_signal: 424, gettid: 178, move_pages: 239 },
  ia32: { pidfd_open: 434, process_madvise: 440, pidfd_send_signal: 424, gettid: 224, move_pages: 317 },
};

export const MADV_COLD = 20;
export const MADV_PAGEOUT = 21;
/** move_pages flags (include/uapi/linux/mempolicy.h): move the pages only this process maps / all (needs CAP_SYS_NICE). */
export const MPOL_MF_MOVE = 1 << 1;
export const MPOL_MF_MOVE_ALL = 1 << 2;
export const POLLIN = 0x1;
export const POLLPRI = 0x2;
export const POLLERR = 0x8;
export const SCHED_FIFO = 1;
export const PRIO_PROCESS = 0;
/** mlock2: lock pages as they are touched, not every page of the range now (Linux 4.4+). */
export const MLOCK_ONFAULT = 1;
export const EFD_NONBLOCK = 0o4000;
export const EFD_CLOEXEC = 0o2000000;
/** The kernel's UIO_MAXIOV: process_madvise takes at most this many ranges a call. */
export const IOV_MAX = 1024;

export const ERRNO = {
  EPERM: 1,
  ENOENT: 2,
  ESRCH: 3,
  EINTR: 4,
  EBADF: 9,
  EAGAIN: 11,
  ENOMEM: 12,
  EACCES: 13,
  EFAULT: 14,
  EBUSY: 16,
  ENODEV: 19,
  ENFILE: 23,
  EMFILE: 24,
  EINVAL: 22,
  ENOSYS: 38,
} as const;

/** "ENOENT (2)" for an errno this module knows, "errno 95" otherwise: the one place errnos get names. */
export function errnoName(errno: number): string {
  const name = Object.entries(ERRNO).find(([, v]) => v === errno)?.[0];
  return name ? `${name} (${errno})` : `errno ${errno}`;
}

export interface Libc {
  syscallNumbers: (typeof SYSCALLS)[string];
  pidfdOpen(pid: number): { fd: number; errno: number };
  /** process_madvise over `count` iovecs in `iovecs` (16 bytes each); bytes advised or -1 with errno. */
  processMadvise(pidfd: number, iovecs: Buffer, count: number, advice: number): { bytes: number; errno: number };
  pidfdSendSignal(pidfd: number, signal: number): { ok: boolean; errno: number };
  /**
   * move_pages(pid, count, pages, nodes, status, flags): `pages` holds `count` addresses (8
   * bytes each), `nodes` as many int32 target nodes or null to only ask where each page is;
   * `status` gets an int32 per page (its node, or -errno). 0, or -1 with errno.
   */
  movePages(pid: number, count: number, pages: Buffer, nodes: Buffer | null, status: Buffer, flags: number): { result: number; errno: number };
  eventfd(flags: number): { fd: number; errno: number };
  /** poll() on a worker thread: never blocks the event loop. */
  pollAsync(fds: Buffer, count: number, timeoutMs: number): Promise<number>;
  /** poll() in the calling thread: for a worker that does nothing but wait on kernel events. */
  poll(fds: Buffer, count: number, timeoutMs: number): { n: number; errno: number };
  /** The calling thread's kernel task id (what sched_setscheduler and setpriority take for one thread). */
  gettid(): number;
  /** sched_setscheduler(tid, policy, { priority }): 0 or -1 with errno. */
  schedSetscheduler(tid: number, policy: number, priority: number): { ok: boolean; errno: number };
  /** setpriority(PRIO_PROCESS, tid, nice): on Linux a tid sets that one thread's nice value. */
  setNice(tid: number, nice: number): { ok: boolean; errno: number };
  mlock2(start: bigint, length: bigint, flags: number): { ok: boolean; errno: number };
  munlock(start: bigint, length: bigint): void;
  /** poll() with a zero timeout: whether `fd` has any of `events` now (a pidfd is readable once its process exited). */
  pollNow(fd: number, events: number): boolean;
  /** The kernel's page size (4 KiB on x86, 4/16/64 KiB on arm64): /proc/PID/pagemap has one entry per page. */
  pageSize: number;
  close(fd: number): void;
}

let cached: Libc | null = null;

/** libc through koffi; throws a clear error where there is no Linux libc or no syscall table. */
export function libc(): Libc {
  if (cached) return cached;
  if (process.platform !== 'linux') throw new Error(`per-process reclaim needs Linux (this is ${process.platform})`);
  const numbers = SYSCALLS[process.arch];
  if (!numbers) throw new Error(`no system call table for architecture ${process.arch}`);
  const lib = koffi.load('libc.so.6');
  // syscall() is variadic; integer arguments travel in the same registers either way on
  // the 64-bit Linux ABIs, so fixed prototypes are safe and callable from any thread.
  const sys1 = lib.func('syscall', 'long', ['long', 'int', 'uint']);
  const sysMadvise = lib.func('syscall', 'long', ['long', 'int', 'void *', 'size_t', 'int', 'uint']);
  const sysSignal = lib.func('syscall', 'long', ['long', 'int', 'int', 'void *', 'uint']);
  const sysMovePages = lib.func('syscall', 'long', ['long', 'int', 'unsigned long', 'void *', 'void *', 'void *', 'int']);
  const eventfd = lib.func('int eventfd(unsigned int initval, int flags)');
  const poll = lib.func('int poll(void *fds, unsigned long nfds, int timeout)');
  const close = lib.func('int close(int fd)');
  const sys0 = lib.func('syscall', 'long', ['long']);
  const schedSetscheduler = lib.func('int sched_setscheduler(int pid, int policy, void *param)');
  const setpriority = lib.func('int setpriority(int which, uint32_t who, int prio)');
  // Addresses as integers: the same register as a pointer on the 64-bit ABIs.
  const mlock2 = lib.func('int mlock2(uint64_t addr, size_t len, unsigned int flags)');
  const munlock = lib.func('int munlock(uint64_t addr, size_t len)');
  const sysconf = lib.func('long sysconf(int name)');
  const SC_PAGESIZE = 30; // the same value in glibc and musl on every Linux architecture
  const pollBuf = Buffer.alloc(8); // struct pollfd { int fd; short events; short revents; }
  cached = {
    syscallNumbers: numbers,
    pidfdOpen(pid) {
      const fd = Number(sys1(numbers.pidfd_open, pid, 0));
      return { fd, errno: fd < 0 ? koffi.errno() : 0 };
    },
    processMadvise(pidfd, iovecs, count, advice) {
      const bytes = Number(sysMadvise(numbers.process_madvise, pidfd, iovecs, count, advice, 0));
      return { bytes, errno: bytes < 0 ? koffi.errno() : 0 };
    },
    pidfdSendSignal(pidfd, signal) {
      const r = Number(sysSignal(numbers.pidfd_send_signal, pidfd, signal, null, 0));
      return { ok: r === 0, errno: r < 0 ? koffi.errno() : 0 };
    },
    movePages(pid, count, pages, nodes, status, flags) {
      const result = Number(sysMovePages(numbers.move_pages, pid, count, pages, nodes, status, flags));
      return { result, errno: result < 0 ? koffi.errno() : 0 };
    },
    eventfd(flags) {
      const fd = eventfd(0, flags) as number;
      return { fd, errno: fd < 0 ? koffi.errno() : 0 };
    },
    pollAsync(fds, count, timeoutMs) {
      return new Promise((resolve, reject) => poll.async(fds, count, timeoutMs, (err: unknown, n: number) => (err ? reject(err) : resolve(n))));
    },
    poll(fds, count, timeoutMs) {
      const n = poll(fds, count, timeoutMs) as number;
      return { n, errno: n < 0 ? koffi.errno() : 0 };
    },
    gettid: () => Number(sys0(numbers.gettid)),
    schedSetscheduler(tid, policy, priority) {
      const param = Buffer.alloc(4); // struct sched_param { int sched_priority; }
      param.writeInt32LE(priority, 0);
      const r = schedSetscheduler(tid, policy, param) as number;
      return { ok: r === 0, errno: r < 0 ? koffi.errno() : 0 };
    },
    setNice(tid, nice) {
      const r = setpriority(PRIO_PROCESS, tid, nice) as number;
      return { ok: r === 0, errno: r < 0 ? koffi.errno() : 0 };
    },
    mlock2(start, length, flags) {
      const r = mlock2(start, length, flags) as number;
      return { ok: r === 0, errno: r < 0 ? koffi.errno() : 0 };
    },
    munlock(start, length) {
      munlock(start, length);
    },
    pollNow(fd, events) {
      pollBuf.writeInt32LE(fd, 0);
      pollBuf.writeInt16LE(events, 4);
      pollBuf.writeInt16LE(0, 6);
      return (poll(pollBuf, 1, 0) as number) > 0 && (pollBuf.readInt16LE(6) & events) !== 0;
    },
    pageSize: Number(sysconf(SC_PAGESIZE)),
    close(fd) {
      close(fd);
    },
  };
  return cached;
}
