import type { Decision } from '../policy-engine/types';
import type { RowValues } from './batched-writer';
import type { DecisionRecord } from '../policy-engine/decision-record';

/** One decision as stored and as history returns it (the record shared with the API). */
export type DecisionRow = DecisionRecord;

/** Column values for INSERT, in the order of INSERT_COLUMNS. */
export type DecisionInsert = RowValues;

export const INSERT_COLUMNS = [
  'ts', 'run_id', 'host', 'policy', 'level', 'source', 'psi_some_avg10', 'psi_full_avg10', 'psi_some_window_ms', 'psi_full_window_ms',
  'vmpressure_pct', 'mem_total_bytes', 'mem_available_bytes', 'swap_free_bytes', 'candidates', 'action', 'kind', 'mode', 'app', 'pid',
  'start_time', 'reason', 'requested_bytes', 'reclaimed_anon_bytes', 'reclaimed_file_bytes', 'duration_ms', 'result', 'message', 'dry_run', 'latency_us',
] as const;

export const INSERT_SQL = `INSERT INTO decisions (${INSERT_COLUMNS.join(', ')}) VALUES (${INSERT_COLUMNS.map(() => '?').join(', ')})`;

/** A decision as table values. `ts` is wall-clock ms; a replay maps scenario time onto its start. */
export function decisionToInsert(d: Decision, ts: number, runId: number | null): DecisionInsert {
  const s = d.signal;
  const a = d.action;
  const o = d.outcome;
  const candidates = d.candidates.map((c) => ({
    app: c.process.appKey,
    pid: c.process.pid,
    score: Number.isFinite(c.score) ? Math.round(c.score * 100) / 100 : null,
    eligible: c.eligible,
    why: c.why,
    ...(c.skipped ? { skipped: c.skipped } : {}),
  }));
  return [
    Math.round(ts), runId, d.host, d.policy, s.level, s.source,
    s.psi?.someAvg10 ?? null, s.psi?.fullAvg10 ?? null, s.psi?.someWindowMs ?? null, s.psi?.fullWindowMs ?? null,
    s.vmpressure?.pressurePct ?? null, s.memory.totalBytes, Math.round(s.memory.availableBytes), Math.round(s.memory.swapFreeBytes),
    JSON.stringify(candidates), a.type, a.type === 'reclaim' ? a.kind : null, a.type === 'reclaim' ? a.mode : null, a.appKey, a.pid,
    a.startTime, a.reason, Math.round(a.requestedBytes), o.reclaimedAnonBytes, o.reclaimedFileBytes, o.durationMs, o.result, o.message,
    a.dryRun ? 1 : 0, d.latencyUs,
  ];
}

interface RawRow {
  [column: string]: unknown;
}

export function rowToDecision(r: RawRow): DecisionRow {
  const anon = r.reclaimed_anon_bytes as number;
  const file = r.reclaimed_file_bytes as number;
  return {
    id: r.id as number,
    ts: r.ts as number,
    runId: (r.run_id as number | null) ?? null,
    host: r.host as string,
    policy: r.policy as string,
    level: r.level as string,
    source: r.source as string,
    psiSomeAvg10: r.psi_some_avg10 as number | null,
    psiFullAvg10: r.psi_full_avg10 as number | null,
    psiSomeWindowMs: r.psi_some_window_ms as number | null,
    psiFullWindowMs: r.psi_full_window_ms as number | null,
    vmpressurePct: r.vmpressure_pct as number | null,
    memTotalBytes: r.mem_total_bytes as number,
    memAvailableBytes: r.mem_available_bytes as number,
    swapFreeBytes: r.swap_free_bytes as number,
    candidates: JSON.parse(r.candidates as string),
    action: r.action as DecisionRow['action'],
    kind: r.kind as DecisionRow['kind'],
    mode: r.mode as string | null,
    app: r.app as string,
    pid: r.pid as number,
    startTime: r.start_time as number,
    reason: r.reason as string,
    requestedBytes: r.requested_bytes as number,
    reclaimedAnonBytes: anon,
    reclaimedFileBytes: file,
    reclaimedBytes: anon + file,
    durationMs: r.duration_ms as number,
    result: r.result as string,
    message: r.message as string,
    dryRun: r.dry_run === 1,
    latencyUs: r.latency_us as number | null,
  };
}

/** The record history will return for these insert values once written (id 0 until then). */
export function insertToRecord(values: DecisionInsert): DecisionRow {
  const raw: RawRow = { id: 0 };
  INSERT_COLUMNS.forEach((column, i) => (raw[column] = values[i]));
  return rowToDecision(raw);
}
