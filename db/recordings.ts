import { BatchedWriter, type BatchedWriterOptions } from './batched-writer';
import type { Db } from './open';

/** The machine's facts a recording keeps, for the device profile of its export. */
export interface RecordedDevice {
  memTotalBytes: number;
  /** The memcg's limit when the recording is scoped to one, else null. */
  memcgLimitBytes: number | null;
  zram: { disksizeBytes: number; algorithm: string | null; origDataBytes: number; comprDataBytes: number } | null;
  /** Sum over zones of /proc/zoneinfo's min/low/high, in bytes; null when unreadable. */
  watermarks: { minBytes: number; lowBytes: number; highBytes: number } | null;
  cores: number;
  kernel: string;
}

/** The agent's settings while it recorded: the policy that ran is the recorded column's. */
export interface RecordedSettings {
  policy: string;
  params: Record<string, unknown>;
  dryRun: boolean;
  allowKill: boolean;
}

export interface RecordingHeader {
  id: number;
  startedAt: number;
  endedAt: number | null;
  host: string;
  /** The memcg it was limited to, or null for the whole machine. */
  scope: string | null;
  device: RecordedDevice;
  settings: RecordedSettings;
  /** Why it stopped before the agent did (full disk, read-only database, scope gone), or null. */
  stopReason: string | null;
}

export const RECORDING_ROW_KINDS = ['appear', 'exit', 'change', 'rss', 'pressure', 'kernel'] as const;
export type RecordingRowKind = (typeof RECORDING_ROW_KINDS)[number];

/** One row as stored; fields not used by its kind are null. */
export interface RecordingRow {
  ts: number;
  kind: RecordingRowKind;
  pid: number | null;
  startTime: number | null;
  appKey: string | null;
  name: string | null;
  cmdline: string | null;
  importance: string | null;
  adj: number | null;
  foreground: boolean | null;
  priority: string | null;
  rssAnonBytes: number | null;
  rssFileBytes: number | null;
  swapBytes: number | null;
  /** The process's cumulative major faults (/proc/PID/stat majflt), where the host has them. */
  majorFaults: number | null;
  level: string | null;
  source: string | null;
  psiSomeAvg10: number | null;
  psiFullAvg10: number | null;
  vmpressurePct: number | null;
  memTotalBytes: number | null;
  memAvailableBytes: number | null;
  memFreeBytes: number | null;
  swapTotalBytes: number | null;
  swapFreeBytes: number | null;
  fileCacheBytes: number | null;
  anonBytes: number | null;
  zramBytes: number | null;
  refaultFile: number | null;
}

const COLUMNS: readonly [keyof RecordingRow, string][] = [
  ['ts', 'ts'],
  ['kind', 'kind'],
  ['pid', 'pid'],
  ['startTime', 'start_time'],
  ['appKey', 'app_key'],
  ['name', 'name'],
  ['cmdline', 'cmdline'],
  ['importance', 'importance'],
  ['adj', 'adj'],
  ['foreground', 'foreground'],
  ['priority', 'priority'],
  ['rssAnonBytes', 'rss_anon_bytes'],
  ['rssFileBytes', 'rss_file_bytes'],
  ['swapBytes', 'swap_bytes'],
  ['majorFaults', 'major_faults'],
  ['level', 'level'],
  ['source', 'source'],
  ['psiSomeAvg10', 'psi_some_avg10'],
  ['psiFullAvg10', 'psi_full_avg10'],
  ['vmpressurePct', 'vmpressure_pct'],
  ['memTotalBytes', 'mem_total_bytes'],
  ['memAvailableBytes', 'mem_available_bytes'],
  ['memFreeBytes', 'mem_free_bytes'],
  ['swapTotalBytes', 'swap_total_bytes'],
  ['swapFreeBytes', 'swap_free_bytes'],
  ['fileCacheBytes', 'file_cache_bytes'],
  ['anonBytes', 'anon_bytes'],
  ['zramBytes', 'zram_bytes'],
  ['refaultFile', 'refault_file'],
];

const INSERT = `INSERT INTO recording_rows (recording_id, ${COLUMNS.map(([, c]) => c).join(', ')}) VALUES (?, ${COLUMNS.map(() => '?').join(', ')})`;

export type RecordingRowInput = Partial<RecordingRow> & Pick<RecordingRow, 'ts' | 'kind'>;

/** A recording's rows, through the same batched writer as the decision log (a full disk never stops the agent). */
export class RecordingLog extends BatchedWriter {
  constructor(db: Db, readonly recordingId: number, options: BatchedWriterOptions = {}) {
    super(db, INSERT, options);
  }

  appendRow(row: RecordingRowInput): void {
    this.append([
      this.recordingId,
      ...COLUMNS.map(([key]) => {
        const v = row[key];
        if (v === undefined || v === null) return null;
        if (typeof v === 'boolean') return v ? 1 : 0;
        return typeof v === 'number' ? (Number.isInteger(v) || key === 'psiSomeAvg10' || key === 'psiFullAvg10' ? v : Math.round(v)) : v;
      }),
    ]);
  }
}

/** Start a recording: its header row now (the rows follow through a RecordingLog). */
export function createRecording(db: Db, header: Omit<RecordingHeader, 'id' | 'endedAt' | 'stopReason'>): number {
  const info = db
    .prepare('INSERT INTO recordings (started_at, host, scope, device, settings) VALUES (?, ?, ?, ?, ?)')
    .run(header.startedAt, header.host, header.scope, JSON.stringify(header.device), JSON.stringify(header.settings));
  return Number(info.lastInsertRowid);
}

/** Close a recording: when it ended and, if it stopped early, why. */
export function endRecording(db: Db, id: number, endedAt: number, stopReason: string | null): void {
  db.prepare('UPDATE recordings SET ended_at = ?, stop_reason = ? WHERE id = ?').run(endedAt, stopReason, id);
}

function toHeader(r: Record<string, unknown>): RecordingHeader {
  return {
    id: r.id as number,
    startedAt: r.started_at as number,
    endedAt: (r.ended_at as number | null) ?? null,
    host: r.host as string,
    scope: (r.scope as string | null) ?? null,
    device: JSON.parse(r.device as string) as RecordedDevice,
    settings: JSON.parse(r.settings as string) as RecordedSettings,
    stopReason: (r.stop_reason as string | null) ?? null,
  };
}

export interface RecordingSummary extends RecordingHeader {
  /** Rows stored, processes seen, and the agent's decisions in its time range. */
  rows: number;
  processes: number;
  decisions: number;
}

/** Recordings, newest first, with their sizes. */
export function listRecordings(db: Db, limit = 100): RecordingSummary[] {
  const rows = db
    .prepare(
      `SELECT r.*,
         (SELECT COUNT(*) FROM recording_rows x WHERE x.recording_id = r.id) AS n_rows,
         (SELECT COUNT(*) FROM recording_rows x WHERE x.recording_id = r.id AND x.kind = 'appear') AS n_processes
       FROM recordings r ORDER BY r.id DESC LIMIT ?`,
    )
    .all(limit) as Record<string, unknown>[];
  return rows.map((r) => {
    const header = toHeader(r);
    return { ...header, rows: r.n_rows as number, processes: r.n_processes as number, decisions: recordingDecisions(db, header).length };
  });
}

export function getRecording(db: Db, id: number): RecordingHeader | null {
  const row = db.prepare('SELECT * FROM recordings WHERE id = ?').get(id) as Record<string, unknown> | undefined;
  return row ? toHeader(row) : null;
}

/** A recording's rows in time order (ties in insertion order). */
export function recordingRows(db: Db, id: number): RecordingRow[] {
  const rows = db
    .prepare(`SELECT ${COLUMNS.map(([k, c]) => `${c} AS ${k}`).join(', ')} FROM recording_rows WHERE recording_id = ? ORDER BY ts, id`)
    .all(id) as Record<string, unknown>[];
  return rows.map((r) => ({ ...(r as unknown as RecordingRow), foreground: r.foreground === null ? null : r.foreground === 1 }));
}

/** What the agent decided while recording: its decisions, referenced by host and time, not copied. */
export interface RecordedDecision {
  ts: number;
  action: string;
  result: string;
  app: string;
  pid: number;
  reclaimedBytes: number;
  dryRun: boolean;
  policy: string;
}

export function recordingDecisions(db: Db, header: Pick<RecordingHeader, 'host' | 'startedAt' | 'endedAt'>): RecordedDecision[] {
  const until = header.endedAt ?? Number.MAX_SAFE_INTEGER;
  return (
    db
      .prepare(
        `SELECT ts, action, result, app, pid, reclaimed_anon_bytes + reclaimed_file_bytes AS reclaimedBytes, dry_run AS dryRun, policy
         FROM decisions WHERE run_id IS NULL AND host = ? AND ts >= ? AND ts <= ? ORDER BY ts, id`,
      )
      .all(header.host, header.startedAt, until) as (Omit<RecordedDecision, 'dryRun'> & { dryRun: number })[]
  ).map((d) => ({ ...d, dryRun: d.dryRun === 1 }));
}
