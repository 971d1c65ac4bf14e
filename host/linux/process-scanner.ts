import { bandForAdj } from '../../policy-engine/importance';
import { untouchableReason } from '../../policy-engine/protection';
import type { ImportanceBand, ProcessSnapshot, UserPriority } from '../../policy-engine/types';
import { IdleEstimator, IDLE_WINDOW_MS } from './idle-estimate';
import { appKeyOf, listPids, PF_KTHREAD, readCgroup, readOomScoreAdj, readProc, readStat, sameIdentity, type ProcIdentity, type ProcInfo } from './procfs';

export interface ScanOptions {
  /** Only processes in this memory cgroup (v1 path relative to the hierarchy, e.g. "/lab"). */
  scopeCgroup?: string;
  /** Pids never to touch besides pid 1 and the agent itself (its UI, say). */
  protectedPids?: readonly number[];
  /** The idle window of the idle estimate (default IDLE_WINDOW_MS); 0 gives no estimate. */
  idleWindowMs?: number;
}

// Without a system that sets oom_score_adj per app (Android, ChromeOS), importance comes
// from recent activity: CPU time rising means the process is in use.
const ACTIVE_MS = 10_000;
const RECENT_MS = 60_000;

/**
 * A process whose CPU time and resident pages (both in /proc/PID/stat) have not moved keeps
 * its last read for at most this long; then what can change from outside without either
 * moving is read again: oom_score_adj (set by a system that ranks its apps) and the cgroup (a
 * process can be moved without an exec). Its memory split and swap move only with its RSS
 * (a page swapped out or in is unmapped or mapped) or with it running (an munmap), so
 * /proc/PID/status is not read again for an idle process, nor cmdline without an exec.
 */
const FULL_READ_MAX_AGE_MS = 60_000;

interface Seen {
  cpuTicks: number;
  lastActiveAt: number | null;
}

/** How the last scan read /proc: for tests and the benchmark. */
export interface ScanCounts {
  pids: number;
  /** Processes that cost only their stat read (out of scope, kernel threads, unchanged). */
  statOnly: number;
  /** Processes read in full (stat, status, oom_score_adj, and cmdline and cgroup once). */
  full: number;
  /** Which pids those were. */
  fullPids: number[];
  /** Unchanged processes whose last read was FULL_READ_MAX_AGE_MS old: oom_score_adj and cgroup read again, nothing else. */
  refreshed: number;
}

/**
 * Scans /proc into snapshots, remembering activity between scans. Incremental: new pids are
 * read in full, exited ones forgotten, and a known process costs one stat read unless it
 * ran or its resident size changed. smaps is never read here (status has the split).
 */
export class ProcessScanner {
  private readonly seen = new Map<string, Seen>();
  /** Each process's identity and when it was read: re-read after an exec, or once it is FULL_READ_MAX_AGE_MS old (a cgroup move without an exec). */
  private readonly identities = new Map<number, ProcIdentity & { readAt: number }>();
  private readonly lastRead = new Map<number, { info: ProcInfo; rssPages: number; at: number }>();
  lastCounts: ScanCounts = { pids: 0, statOnly: 0, full: 0, fullPids: [], refreshed: 0 };
  private readonly idle: IdleEstimator | null;

  constructor(private readonly options: ScanOptions = {}) {
    const window = options.idleWindowMs ?? IDLE_WINDOW_MS;
    this.idle = window > 0 ? new IdleEstimator(window) : null;
  }

  scan(now: number, foreground: ReadonlySet<number>, priorities: ReadonlyMap<string, UserPriority>): ProcessSnapshot[] {
    const out: ProcessSnapshot[] = [];
    const alive = new Set<string>();
    const pids = listPids();
    const livePids = new Set(pids);
    const scope = this.options.scopeCgroup;
    const counts: ScanCounts = { pids: pids.length, statOnly: 0, full: 0, fullPids: [], refreshed: 0 };
    for (const pid of pids) {
      const stat = readStat(pid);
      if (!stat || stat.state === 'Z' || stat.state === 'X') continue;
      if ((stat.flags & PF_KTHREAD) !== 0 || pid === 2 || stat.ppid === 2) {
        counts.statOnly++;
        continue;
      }
      const entry = this.identities.get(pid);
      let known = sameIdentity(entry, stat) ? entry : undefined;
      let moved = false;
      if (known && now - known.readAt >= FULL_READ_MAX_AGE_MS) {
        const cgroup = readCgroup(pid);
        if (cgroup === null) continue; // gone
        moved = cgroup !== known.cgroup;
        known = { ...known, cgroup, readAt: now };
        this.identities.set(pid, known);
      }
      // A known process outside the scope costs one stat read (is it still the same one?).
      if (scope !== undefined && known && !inScope(known.cgroup, scope)) {
        counts.statOnly++;
        continue;
      }
      const last = known && !moved ? this.lastRead.get(pid) : undefined;
      let p: ProcInfo | null;
      if (last && last.info.cpuTicks === stat.cpuTicks && last.rssPages === stat.rssPages) {
        if (now - last.at < FULL_READ_MAX_AGE_MS) {
          p = last.info;
          counts.statOnly++;
        } else {
          const oomScoreAdj = readOomScoreAdj(pid);
          if (oomScoreAdj === null) continue; // gone
          p = { ...last.info, oomScoreAdj, cgroup: known!.cgroup };
          counts.refreshed++;
          this.lastRead.set(pid, { info: p, rssPages: stat.rssPages, at: now });
        }
      } else {
        p = readProc(pid, known, stat);
        if (!p) continue;
        counts.full++;
        counts.fullPids.push(pid);
        this.lastRead.set(pid, { info: p, rssPages: stat.rssPages, at: now });
      }
      if (!known) this.identities.set(pid, { startTime: p.startTime, comm: p.comm, cmdline: p.cmdline, cgroup: p.cgroup, readAt: now });
      if (p.kernelThread) continue;
      if (scope !== undefined && !inScope(p.cgroup, scope)) continue;
      const key = `${p.pid}:${p.startTime}`;
      alive.add(key);
      const prev = this.seen.get(key);
      const active = prev === undefined ? false : p.cpuTicks > prev.cpuTicks;
      const lastActiveAt = foreground.has(pid) || active ? now : (prev?.lastActiveAt ?? null);
      this.seen.set(key, { cpuTicks: p.cpuTicks, lastActiveAt });
      out.push(this.withIdle(this.snapshotOf(p, now, foreground.has(pid), lastActiveAt, priorities), now));
    }
    this.idle?.retain(alive);
    for (const key of this.seen.keys()) if (!alive.has(key)) this.seen.delete(key);
    for (const pid of this.identities.keys()) if (!livePids.has(pid)) this.identities.delete(pid);
    for (const pid of this.lastRead.keys()) if (!livePids.has(pid)) this.lastRead.delete(pid);
    this.lastCounts = counts;
    return out;
  }

  private snapshotOf(p: ProcInfo, now: number, isForeground: boolean, lastActiveAt: number | null, priorities: ReadonlyMap<string, UserPriority>): ProcessSnapshot {
    const appKey = appKeyOf(p);
    return {
      pid: p.pid,
      startTime: p.startTime,
      appKey,
      name: p.comm,
      importance: this.band(p, now, isForeground, lastActiveAt),
      oomScoreAdj: p.oomScoreAdj,
      priority: priorities.get(appKey) ?? 'normal',
      isForeground,
      lastForegroundAt: lastActiveAt,
      rssAnonBytes: p.rssAnonBytes,
      rssFileBytes: p.rssFileBytes,
      swapBytes: p.swapBytes,
      untouchable: this.untouchable(p),
    };
  }

  /**
   * The idle estimate, for the processes a policy may reclaim (previous and cached, not
   * untouchable): their pages' referenced bits are cleared once a window, nobody else's.
   */
  private withIdle(s: ProcessSnapshot, now: number): ProcessSnapshot {
    if (!this.idle || s.untouchable || (s.importance !== 'cached' && s.importance !== 'previous')) return s;
    const idle = this.idle.estimate(s.pid, s.startTime, now);
    if (!idle) return s;
    return { ...s, idleAnonBytes: Math.min(idle.idleAnonBytes, s.rssAnonBytes), idleFileBytes: Math.min(idle.idleFileBytes, s.rssFileBytes) };
  }

  private band(p: ProcInfo, now: number, isForeground: boolean, lastActiveAt: number | null): ImportanceBand {
    if (isForeground) return 'foreground';
    if (p.oomScoreAdj !== 0) return bandForAdj(p.oomScoreAdj); // the system ranks its apps
    // Outside a scope, system users' processes are the session and its services.
    if (this.options.scopeCgroup === undefined && p.uid >= 0 && p.uid < 1000) return 'persistent';
    if (lastActiveAt !== null && now - lastActiveAt < ACTIVE_MS) return 'perceptible';
    if (lastActiveAt !== null && now - lastActiveAt < RECENT_MS) return 'previous';
    return 'cached';
  }

  private untouchable(p: ProcInfo): string | undefined {
    return untouchableReason({ pid: p.pid, selfPid: process.pid, protectedPids: this.options.protectedPids, kernelThread: p.kernelThread }) ?? undefined;
  }
}

function inScope(cgroup: string, scope: string): boolean {
  const s = scope.endsWith('/') ? scope.slice(0, -1) : scope;
  return cgroup === s || cgroup.startsWith(s + '/');
}
