import { MiB, type Decision } from '../../policy-engine/types';

/** A decision as the engine emits it, varied by `i` (apps, kinds, results, times). */
export function makeDecision(i: number, at = i * 1000): Decision {
  const apps = ['game', 'chat', 'browser', 'maps', 'notes'];
  const kinds = ['file', 'anon', 'all'] as const;
  const results = ['ok', 'ok', 'ok', 'gone', 'refused'] as const;
  const app = apps[i % apps.length];
  const isKill = i % 50 === 49;
  const action = isKill
    ? { type: 'kill' as const, pid: 1000 + (i % 97), startTime: 7, appKey: app, requestedBytes: 200 * MiB, reason: 'last resort', killReason: 'LOW_MEM' as const, dryRun: false }
    : { type: 'reclaim' as const, pid: 1000 + (i % 97), startTime: 7, appKey: app, kind: kinds[i % 3], mode: 'pageout' as const, requestedBytes: 64 * MiB, reason: `medium pressure: ${app}, "quoted", comma`, dryRun: false };
  const process = { pid: action.pid, startTime: 7, appKey: app, name: app, importance: 'cached' as const, oomScoreAdj: 900, priority: 'normal' as const, isForeground: false, lastForegroundAt: 0, rssAnonBytes: MiB, rssFileBytes: MiB, swapBytes: 0 };
  return {
    seq: i + 1,
    batch: i + 1,
    at,
    policy: 'reclaim',
    host: 'sim',
    signal: { at, source: 'psi', level: (['low', 'medium', 'critical'] as const)[i % 3], memory: { totalBytes: 4096 * MiB, availableBytes: 300 * MiB, freeBytes: 90 * MiB, swapTotalBytes: 2048 * MiB, swapFreeBytes: 900 * MiB } },
    candidates: [{ process, score: 970.5, effectiveAdj: 900, eligible: true, why: 'cached (adj 900)' }],
    action,
    outcome: { action, result: results[i % results.length], message: 'done', reclaimedAnonBytes: 32 * MiB, reclaimedFileBytes: 8 * MiB, durationMs: 12.5, at: at + 12 },
    latencyUs: 40,
  };
}
