import type { Decision } from '../policy-engine/types';
import type { RowValues } from './batched-writer';
import { toDecisionRecord, type DecisionRecord } from '../policy-engine/decision-record';

/** One decision as stored and as history returns it (the record shared with the API). */
export type DecisionRow = DecisionRecord;

/** Column values for INSERT, in the order of INSERT_COLUMNS. */
export type DecisionInsert = RowValues;

/** Each stored column and the record field it holds: the table follows the record, not the other way. */
const COLUMNS: readonly (readonly [string, (r: DecisionRecord) => string | number | null])[] = [
  ['ts', (r) => r.ts],
  ['run_id', (r) => r.runId],
  ['host', (r) => r.host],
  ['policy', (r) => r.policy],
  ['level', (r) => r.level],
  ['source', (r) => r.source],
  ['psi_some_avg10', (r) => r.psiSomeAvg10],
  ['psi_full_avg10', (r) => r.psiFullAvg10],
  ['psi_some_window_ms', (r) => r.psiSomeWindowMs],
  ['psi_full_window_ms', (r) => r.psiFullWindowMs],
  ['vmpressure_pct', (r) => r.vmpressurePct],
  ['mem_total_bytes', (r) => r.memTotalBytes],
  ['mem_available_bytes', (r) => r.memAvailableBytes],
  ['swap_free_bytes', (r) => r.swapFreeBytes],
  ['candidates', (r) => JSON.stringify(r.candidates)],
  ['action', (r) => r.action],
  ['kind', (r) => r.kind],
  ['mode', (r) => r.mode],
  ['tier', (r) => r.tier],
  ['app', (r) => r.app],
  ['pid', (r) => r.pid],
  ['start_time', (r) => r.startTime],
  ['reason', (r) => r.reason],
  ['kill_reason', (r) => r.killReason],
  ['requested_bytes', (r) => r.requestedBytes],
  ['reclaimed_anon_bytes', (r) => r.reclaimedAnonBytes],
  ['reclaimed_file_bytes', (r) => r.reclaimedFileBytes],
  ['duration_ms', (r) => r.durationMs],
  ['result', (r) => r.result],
  ['message', (r) => r.message],
  ['dry_run', (r) => (r.dryRun ? 1 : 0)],
  ['latency_us', (r) => r.latencyUs],
];

export const INSERT_COLUMNS = COLUMNS.map(([column]) => column);

export const INSERT_SQL = `INSERT INTO decisions (${INSERT_COLUMNS.join(', ')}) VALUES (${INSERT_COLUMNS.map(() => '?').join(', ')})`;

/** A decision record as table values for INSERT_SQL. */
export function recordToInsert(r: DecisionRecord): DecisionInsert {
  return COLUMNS.map(([, value]) => value(r));
}

/** A decision as table values. `ts` is wall-clock ms; a replay maps scenario time onto its start. */
export function decisionToInsert(d: Decision, ts: number, runId: number | null): DecisionInsert {
  return recordToInsert(toDecisionRecord(d, ts, runId));
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
    level: r.level as DecisionRow['level'],
    source: r.source as DecisionRow['source'],
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
    mode: r.mode as DecisionRow['mode'],
    tier: (r.tier as string | null) ?? null,
    app: r.app as string,
    pid: r.pid as number,
    startTime: r.start_time as number,
    reason: r.reason as string,
    killReason: (r.kill_reason as DecisionRow['killReason']) ?? null,
    requestedBytes: r.requested_bytes as number,
    reclaimedAnonBytes: anon,
    reclaimedFileBytes: file,
    reclaimedBytes: anon + file,
    durationMs: r.duration_ms as number,
    result: r.result as DecisionRow['result'],
    message: r.message as string,
    dryRun: r.dry_run === 1,
    latencyUs: r.latency_us as number | null,
  };
}
