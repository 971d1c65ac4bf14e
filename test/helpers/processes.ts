import { MiB, type ImportanceBand, type PressureLevel, type PressureSignal, type ProcessSnapshot } from '../../policy-engine/types';

let nextPid = 100;

/** A process as a host would report it; fields default to a cached, idle, mid-size app. */
export function proc(over: Partial<ProcessSnapshot> & { importance?: ImportanceBand } = {}): ProcessSnapshot {
  const pid = over.pid ?? nextPid++;
  return {
    pid,
    startTime: 1,
    appKey: over.appKey ?? `app-${pid}`,
    name: over.appKey ?? `app-${pid}`,
    importance: 'cached',
    oomScoreAdj: 900,
    priority: 'normal',
    isForeground: false,
    lastForegroundAt: 0,
    rssAnonBytes: 100 * MiB,
    rssFileBytes: 40 * MiB,
    swapBytes: 0,
    ...over,
  };
}

export function signal(level: PressureLevel, over: Partial<PressureSignal['memory']> = {}, source: PressureSignal['source'] = 'psi'): PressureSignal {
  return {
    at: 0,
    source,
    level,
    memory: {
      totalBytes: 4096 * MiB,
      availableBytes: 400 * MiB,
      freeBytes: 100 * MiB,
      swapTotalBytes: 2048 * MiB,
      swapFreeBytes: 1500 * MiB,
      ...over,
    },
  };
}
