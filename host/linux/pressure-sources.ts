import { closeSync, constants, openSync, readSync, writeSync } from 'node:fs';
import { EVENT_LEVELS, type PressureLevel } from '../../common/vocabulary';
import { LMKD_PSI_TRIGGERS, type PsiTriggers } from '../../policy-engine/detectors/psi-triggers';
import { EFD_CLOEXEC, EFD_NONBLOCK, errnoName, libc, POLLERR, POLLIN, POLLPRI } from './libc';


export interface KernelEvent {
  source: 'psi' | 'vmpressure';
  level: Exclude<PressureLevel, 'none'>;
  /** performance.timeOrigin + performance.now() when poll() returned: for latency measurements. */
  wokeAtMs: number;
}

export interface PsiTriggerInfo {
  path: string;
  /** The window the kernel accepted (1 s, or 2 s where it refuses shorter ones). */
  windowUs: number;
  some: string;
  full: string;
}

export interface Watch {
  fd: number;
  events: number;
  source: KernelEvent['source'];
  level: KernelEvent['level'];
  eventfd: boolean;
}

/**
 * Register a PSI trigger. lmkd's 1 s window first; where the kernel answers EINVAL (it only
 * grants unprivileged-style windows that are multiples of 2 s), the same ratio over 2 s.
 */
export function openPsiTrigger(path: string, kind: 'some' | 'full', stallMs: number, windowMs: number): { fd: number; spec: string; windowUs: number } {
  const windows = [windowMs * 1000, 2_000_000].filter((w, i, all) => all.indexOf(w) === i);
  let lastError: unknown = null;
  for (const windowUs of windows) {
    const stallUs = Math.round((stallMs * 1000 * windowUs) / (windowMs * 1000));
    const spec = `${kind} ${stallUs} ${windowUs}`;
    const fd = openSync(path, constants.O_RDWR | constants.O_NONBLOCK);
    try {
      writeSync(fd, spec + '\0');
      return { fd, spec, windowUs };
    } catch (err) {
      closeSync(fd);
      lastError = err;
      if ((err as NodeJS.ErrnoException).code !== 'EINVAL') break;
    }
  }
  throw new Error(`cannot set a PSI trigger on ${path}: ${(lastError as Error)?.message ?? 'unknown error'}`);
}

/** Register a vmpressure listener on a memcg v1 through an eventfd. */
export function openVmpressure(memcg: string, level: Exclude<PressureLevel, 'none'>): number {
  const c = libc();
  const { fd: efd, errno } = c.eventfd(EFD_NONBLOCK | EFD_CLOEXEC);
  if (efd < 0) throw new Error(`eventfd failed: ${errnoName(errno)}`);
  const plfd = openSync(`${memcg}/memory.pressure_level`, constants.O_RDONLY);
  try {
    const ctl = openSync(`${memcg}/cgroup.event_control`, constants.O_WRONLY);
    try {
      writeSync(ctl, `${efd} ${plfd} ${level}`);
    } finally {
      closeSync(ctl);
    }
  } catch (err) {
    c.close(efd);
    throw new Error(`cannot listen to vmpressure on ${memcg}: ${(err as Error).message}`);
  } finally {
    // The kernel holds its own reference to the pressure_level file once registered.
    closeSync(plfd);
  }
  return efd;
}

export interface PressureSourceOptions {
  /** PSI file: /proc/pressure/memory, or a cgroup v2 memory.pressure. null disables PSI. */
  psiPath?: string | null;
  /** memcg v1 directory for vmpressure (the root memcg by default). null disables it. */
  memcg?: string | null;
  /** The PSI triggers to register (the detector's: lmkd's by default). */
  triggers?: PsiTriggers;
  /** poll() timeout, so a stop is noticed within this long. */
  pollTimeoutMs?: number;
  onInfo?: (info: { psi: PsiTriggerInfo | null; vmpressure: string | null; errors: string[] }) => void;
}

export interface Watches {
  list: Watch[];
  psi: PsiTriggerInfo | null;
  vmpressure: string | null;
  errors: string[];
}

/** Register every pressure source the options name; what failed is in `errors`. */
export function openWatches(options: PressureSourceOptions = {}): Watches {
  const watches: Watch[] = [];
  const errors: string[] = [];
  const triggers = options.triggers ?? LMKD_PSI_TRIGGERS;
  let psiInfo: PsiTriggerInfo | null = null;
  const psiPath = options.psiPath === undefined ? '/proc/pressure/memory' : options.psiPath;
  if (psiPath) {
    try {
      const some = openPsiTrigger(psiPath, 'some', triggers.someMs, triggers.windowMs);
      watches.push({ fd: some.fd, events: POLLPRI, source: 'psi', level: 'medium', eventfd: false });
      const full = openPsiTrigger(psiPath, 'full', triggers.fullMs, triggers.windowMs);
      watches.push({ fd: full.fd, events: POLLPRI, source: 'psi', level: 'critical', eventfd: false });
      psiInfo = { path: psiPath, windowUs: some.windowUs, some: some.spec, full: full.spec };
    } catch (err) {
      errors.push((err as Error).message);
    }
  }
  const memcg = options.memcg === undefined ? '/sys/fs/cgroup/memory' : options.memcg;
  if (memcg) {
    for (const level of EVENT_LEVELS) {
      try {
        watches.push({ fd: openVmpressure(memcg, level), events: POLLIN, source: 'vmpressure', level, eventfd: true });
      } catch (err) {
        errors.push((err as Error).message);
        break;
      }
    }
  }
  return { list: watches, psi: psiInfo, vmpressure: watches.some((w) => w.eventfd) ? memcg : null, errors };
}

/** struct pollfd[] for the watches (8 bytes each), then `extraFds` waited on for POLLIN. */
export function fillPollfds(watches: readonly Watch[], pollfds: Buffer, extraFds: readonly number[] = []): number {
  const fds = [...watches.map((w) => [w.fd, w.events]), ...extraFds.map((fd) => [fd, POLLIN])];
  fds.forEach(([fd, events], i) => {
    pollfds.writeInt32LE(fd, 8 * i);
    pollfds.writeInt16LE(events, 8 * i + 4);
    pollfds.writeInt16LE(0, 8 * i + 6);
  });
  return fds.length;
}

export const RANK = { low: 1, medium: 2, critical: 3 } as const;

/**
 * The highest level each source reported in one poll() return (PSI, then vmpressure). Eventfds are
 * read (reset); a PSI trigger whose cgroup went away (POLLERR) is no longer watched.
 */
export function readEvents(watches: readonly Watch[], pollfds: Buffer): { source: KernelEvent['source']; level: KernelEvent['level'] }[] {
  const counter = Buffer.alloc(8);
  let psiLevel: KernelEvent['level'] | null = null;
  let vmLevel: KernelEvent['level'] | null = null;
  watches.forEach((w, i) => {
    const revents = pollfds.readInt16LE(8 * i + 6);
    if (revents === 0) return;
    if (revents & POLLERR && !w.eventfd) {
      w.events = 0;
      return;
    }
    if (w.eventfd) {
      try {
        readSync(w.fd, counter, 0, 8, null);
      } catch {
        return; // EAGAIN: another wake consumed it
      }
      if (!vmLevel || RANK[w.level] > RANK[vmLevel]) vmLevel = w.level;
    } else if (!psiLevel || RANK[w.level] > RANK[psiLevel]) psiLevel = w.level;
  });
  const out: { source: KernelEvent['source']; level: KernelEvent['level'] }[] = [];
  if (psiLevel) out.push({ source: 'psi', level: psiLevel });
  if (vmLevel) out.push({ source: 'vmpressure', level: vmLevel });
  return out;
}

export function closeWatches(watches: readonly Watch[]): void {
  const c = libc();
  for (const w of watches) {
    try {
      if (w.eventfd) c.close(w.fd);
      else closeSync(w.fd);
    } catch {
      /* already closed */
    }
  }
}
