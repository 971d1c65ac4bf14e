import { bandForAdj } from '../../policy-engine/importance';
import type { ImportanceBand, ProcessSnapshot, UserPriority } from '../../policy-engine/types';
import { appKeyOf, listPids, readProc, readStartTime, type ProcIdentity, type ProcInfo } from './procfs';

export interface ScanOptions {
  /** Only processes in this memory cgroup (v1 path relative to the hierarchy, e.g. "/lab"). */
  scopeCgroup?: string;
  /** Pids never to touch besides pid 1 and the agent itself (its UI, say). */
  protectedPids?: readonly number[];
}

// Without a system that sets oom_score_adj per app (Android, ChromeOS), importance comes
// from recent activity: CPU time rising means the process is in use.
const ACTIVE_MS = 10_000;
const RECENT_MS = 60_000;

interface Seen {
  cpuTicks: number;
  lastActiveAt: number | null;
}



/** Scans /proc into snapshots, remembering activity between scans. */
export class ProcessScanner {
  private readonly seen = new Map<string, Seen>();
  private readonly identities = new Map<number, ProcIdentity>();

  constructor(private readonly options: ScanOptions = {}) {}

  scan(now: number, foreground: ReadonlySet<number>, priorities: ReadonlyMap<string, UserPriority>): ProcessSnapshot[] {
    const out: ProcessSnapshot[] = [];
    const alive = new Set<string>();
    const pids = listPids();
    const livePids = new Set(pids);
    const scope = this.options.scopeCgroup;
    for (const pid of pids) {
      const known = this.identities.get(pid);
      // A known process outside the scope costs one stat read (is it still the same one?).
      if (scope !== undefined && known && !inScope(known.cgroup, scope) && readStartTime(pid) === known.startTime) continue;
      const p = readProc(pid, known);
      if (!p) continue;
      this.identities.set(pid, { startTime: p.startTime, cmdline: p.cmdline, cgroup: p.cgroup });
      if (p.kernelThread) continue;
      if (scope !== undefined && !inScope(p.cgroup, scope)) continue;
      const key = `${p.pid}:${p.startTime}`;
      alive.add(key);
      const prev = this.seen.get(key);
      const active = prev === undefined ? false : p.cpuTicks > prev.cpuTicks;
      const lastActiveAt = foreground.has(pid) || active ? now : (prev?.lastActiveAt ?? null);
      this.seen.set(key, { cpuTicks: p.cpuTicks, lastActiveAt });
      out.push(this.snapshotOf(p, now, foreground.has(pid), lastActiveAt, priorities));
    }
    for (const key of this.seen.keys()) if (!alive.has(key)) this.seen.delete(key);
    for (const pid of this.identities.keys()) if (!livePids.has(pid)) this.identities.delete(pid);
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
    if (p.pid === 1) return 'pid 1 (init)';
    if (p.pid === process.pid) return 'the agent itself';
    if (this.options.protectedPids?.includes(p.pid)) return 'the agent\'s UI';
    return undefined;
  }
}

function inScope(cgroup: string, scope: string): boolean {
  const s = scope.endsWith('/') ? scope.slice(0, -1) : scope;
  return cgroup === s || cgroup.startsWith(s + '/');
}
