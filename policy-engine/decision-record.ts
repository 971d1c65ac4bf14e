import type { Decision, PlannedAction, ReclaimKind } from './types';

/**
 * One decision flattened into plain fields: what the decision log stores, history returns,
 * the API sends and the UI shows (camelCase of the decisions table). `id` is 0 for a live
 * decision not yet written.
 */
export interface DecisionRecord {
  id: number;
  ts: number;
  runId: number | null;
  host: string;
  policy: string;
  level: string;
  source: string;
  psiSomeAvg10: number | null;
  psiFullAvg10: number | null;
  psiSomeWindowMs: number | null;
  psiFullWindowMs: number | null;
  vmpressurePct: number | null;
  memTotalBytes: number;
  memAvailableBytes: number;
  swapFreeBytes: number;
  /** `skipped`: why the policy passed this one over (absent when it was chosen or not looked at). */
  candidates: { app: string; pid: number; score: number | null; eligible: boolean; why: string; skipped?: string }[];
  action: PlannedAction['type'];
  kind: ReclaimKind | null;
  mode: string | null;
  app: string;
  pid: number;
  startTime: number;
  reason: string;
  requestedBytes: number;
  reclaimedAnonBytes: number;
  reclaimedFileBytes: number;
  reclaimedBytes: number;
  durationMs: number;
  result: string;
  message: string;
  dryRun: boolean;
  latencyUs: number | null;
}

/** What one app gave up over a range of decisions (history's per-app totals). */
export interface AppTotalsRecord {
  app: string;
  decisions: number;
  /** Reclaims and kills done (result ok). */
  reclaims: number;
  kills: number;
  /** Attempts not done: refused, denied, failed, gone, unsupported or a dry run. */
  notDone: number;
  /** Bytes moved by the reclaims done. */
  reclaimedAnonBytes: number;
  reclaimedFileBytes: number;
  lastTs: number;
}

/** Bytes reclaimed and kills in one hour (history's reclaimed-over-time). */
export interface HourlyReclaimRecord {
  hour: number;
  reclaimedAnonBytes: number;
  reclaimedFileBytes: number;
  kills: number;
}

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
    app: a.appKey,
    pid: a.pid,
    startTime: a.startTime,
    reason: a.reason,
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
