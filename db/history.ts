import type { Db } from './open';
import { rowToDecision, type DecisionRow } from './decision-rows';
import type { AppTotalsRecord, HourlyReclaimRecord } from '../common/decision-record';
import type { ActionResult, ActionType, KillReason, PressureLevel, ReclaimKind } from '../common/vocabulary';

export interface HistoryFilter {
  /** Inclusive lower bound, wall-clock ms. */
  since?: number;
  /** Exclusive upper bound, wall-clock ms. */
  until?: number;
  /** Exactly this app key. */
  app?: string;
  /** App keys containing this text, ASCII case ignored ("chro" finds org.chromium). */
  appContains?: string;
  kind?: ReclaimKind;
  action?: ActionType;
  level?: PressureLevel;
  result?: ActionResult;
  /** Kills for this reason only. */
  killReason?: KillReason;
  /** A replay run's decisions; `null` for the live agent's only. */
  runId?: number | null;
  /** Page size (1..10000, default 100). */
  limit?: number;
  /** Keyset cursor from the previous page's `next`. */
  after?: string;
}

export interface HistoryPage {
  rows: DecisionRow[];
  /** Pass as `after` for the next (older) page; null at the end. */
  next: string | null;
}

export const MAX_PAGE = 10_000;

/** SQL WHERE clause and parameters for a filter (without the cursor). */
function where(filter: HistoryFilter): { clause: string; params: (string | number)[] } {
  const parts: string[] = [];
  const params: (string | number)[] = [];
  if (filter.since !== undefined) parts.push('ts >= ?') && params.push(filter.since);
  if (filter.until !== undefined) parts.push('ts < ?') && params.push(filter.until);
  if (filter.app !== undefined) parts.push('app = ?') && params.push(filter.app);
  // LIKE ignores ASCII case; the user's own % _ and \ are escaped so they match themselves.
  if (filter.appContains !== undefined) parts.push("app LIKE ? ESCAPE '\\'") && params.push(`%${escapeLike(filter.appContains)}%`);
  if (filter.kind !== undefined) parts.push('kind = ?') && params.push(filter.kind);
  if (filter.action !== undefined) parts.push('action = ?') && params.push(filter.action);
  if (filter.level !== undefined) parts.push('level = ?') && params.push(filter.level);
  if (filter.result !== undefined) parts.push('result = ?') && params.push(filter.result);
  if (filter.killReason !== undefined) parts.push('kill_reason = ?') && params.push(filter.killReason);
  if (filter.runId === null) parts.push('run_id IS NULL');
  else if (filter.runId !== undefined) parts.push('run_id = ?') && params.push(filter.runId);
  return { clause: parts.length ? parts.join(' AND ') : '1', params };
}

/** Text for LIKE that matches only itself: its wildcards and the escape character escaped. */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

export function historySql(filter: HistoryFilter): { sql: string; params: (string | number)[] } {
  const w = where(filter);
  const params = [...w.params];
  let clause = w.clause;
  if (filter.after) {
    const cursor = parseCursor(filter.after);
    // A row value comparison lets SQLite walk the (ts, rowid) index from the cursor on.
    clause += ' AND (ts, id) < (?, ?)';
    params.push(cursor.ts, cursor.id);
  }
  const limit = Math.min(MAX_PAGE, Math.max(1, filter.limit ?? 100));
  params.push(limit);
  return { sql: `SELECT * FROM decisions WHERE ${clause} ORDER BY ts DESC, id DESC LIMIT ?`, params };
}

/** Newest first, a page at a time (keyset paging: cost does not grow with depth). */
export function queryHistory(db: Db, filter: HistoryFilter = {}): HistoryPage {
  const { sql, params } = historySql(filter);
  const rows = (db.prepare(sql).all(...params) as Record<string, unknown>[]).map(rowToDecision);
  const limit = params[params.length - 1] as number;
  const last = rows[rows.length - 1];
  return { rows, next: rows.length === limit && last ? `${last.ts}:${last.id}` : null };
}

export function getDecision(db: Db, id: number): DecisionRow | null {
  const row = db.prepare('SELECT * FROM decisions WHERE id = ?').get(id) as Record<string, unknown> | undefined;
  return row ? rowToDecision(row) : null;
}

export class CursorError extends Error {}

function parseCursor(text: string): { ts: number; id: number } {
  const m = /^(-?\d+):(\d+)$/.exec(text);
  if (!m) throw new CursorError(`bad cursor "${text}" (expected "ts:id" from a previous page)`);
  return { ts: Number(m[1]), id: Number(m[2]) };
}

export type AppTotals = AppTotalsRecord;

/** The filter of a whole range: everything but the page and its cursor. */
export type RangeFilter = Omit<HistoryFilter, 'limit' | 'after'>;

/**
 * What each app gave up under the same filter as the rows, most reclaimed first. Reclaims
 * and kills count only what was done (result ok); a refused, failed, dry-run or gone attempt
 * counts under `notDone`, and its bytes (none, from a real host) are not counted as reclaimed.
 */
export function appTotals(db: Db, filter: RangeFilter = {}): AppTotals[] {
  const w = where(filter);
  return db
    .prepare(
      `SELECT app, COUNT(*) AS decisions, SUM(action = 'reclaim' AND result = 'ok') AS reclaims, SUM(action = 'kill' AND result = 'ok') AS kills,
              SUM(result <> 'ok') AS notDone,
              SUM(reclaimed_anon_bytes * (result = 'ok')) AS reclaimedAnonBytes, SUM(reclaimed_file_bytes * (result = 'ok')) AS reclaimedFileBytes, MAX(ts) AS lastTs
       FROM decisions WHERE ${w.clause} GROUP BY app
       ORDER BY reclaimedAnonBytes + reclaimedFileBytes DESC, app`,
    )
    .all(...w.params) as AppTotals[];
}

export type HourlyReclaim = HourlyReclaimRecord;

/** Reclaimed bytes per wall-clock hour (hour = ms at the start of the hour), oldest first. */
export function reclaimedPerHour(db: Db, filter: RangeFilter = {}): HourlyReclaim[] {
  const w = where(filter);
  return db
    .prepare(
      `SELECT (ts / 3600000) * 3600000 AS hour, SUM(reclaimed_anon_bytes) AS reclaimedAnonBytes,
              SUM(reclaimed_file_bytes) AS reclaimedFileBytes, SUM(action = 'kill') AS kills
       FROM decisions WHERE ${w.clause} GROUP BY hour ORDER BY hour`,
    )
    .all(...w.params) as HourlyReclaim[];
}
