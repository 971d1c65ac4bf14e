import type { DecisionRecord } from '../common/decision-record';
import type { Decision } from './types';

export type { AppTotalsRecord, DecisionRecord, HourlyReclaimRecord } from '../common/decision-record';

/**
 * The record of a decision, derived from the Decision itself: the log stores it (db/decision-rows
 * maps it onto columns), the API and the UI get it as it is. `ts` is wall-clock ms (a replay maps
 * scenario time onto its start); `id` is 0 until the log has written it.
 */
export function toDecisionRecord(d: Decision, ts: number, runId: number | null, id = 0): DecisionRecord {
  const s = d.signal;
  const a = d.action;
  const o = d.outcome;
  return {
    id,
    ts: Math.round(ts),
    runId,
    host: d.host,
    policy: d.policy,
    level: s.level,
    source: s.source,
    psiSomeAvg10: s.psi?.someAvg10 ?? null,
    psiFullAvg10: s.psi?.fullAvg10 ?? null,
    psiSomeWindowMs: s.psi?.someWindowMs ?? null,
    psiFullWindowMs: s.psi?.fullWindowMs ?? null,
    vmpressurePct: s.vmpressure?.pressurePct ?? null,
    memTotalBytes: s.memory.totalBytes,
    memAvailableBytes: Math.round(s.memory.availableBytes),
    swapFreeBytes: Math.round(s.memory.swapFreeBytes),
    candidates: d.candidates.map((c) => ({
      app: c.process.appKey,
      pid: c.process.pid,
      score: Number.isFinite(c.score) ? Math.round(c.score * 100) / 100 : null,
      eligible: c.eligible,
      why: c.why,
      ...(c.skipped ? { skipped: c.skipped } : {}),
    })),
    action: a.type,
    kind: a.type === 'reclaim' ? a.kind : null,
    mode: a.type === 'reclaim' ? a.mode : null,
    // A manual demote names no tier: the host's outcome says where the pages went.
    tier: a.type === 'reclaim' ? (a.tier ?? (o.action.type === 'reclaim' ? o.action.tier : undefined) ?? null) : null,
    app: a.appKey,
    pid: a.pid,
    startTime: a.startTime,
    reason: a.reason,
    killReason: a.type === 'kill' ? a.killReason : null,
    requestedBytes: Math.round(a.requestedBytes),
    reclaimedAnonBytes: o.reclaimedAnonBytes,
    reclaimedFileBytes: o.reclaimedFileBytes,
    reclaimedBytes: o.reclaimedAnonBytes + o.reclaimedFileBytes,
    durationMs: o.durationMs,
    result: o.result,
    message: o.message,
    dryRun: a.dryRun,
    latencyUs: d.latencyUs,
  };
}
