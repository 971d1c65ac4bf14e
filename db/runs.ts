import { createHash } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import type { Db } from './open';

export interface RunRecord {
  id: number;
  createdAt: number;
  scenario: string;
  scenarioHash: string;
  policy: string;
  params: unknown;
  seed: number;
  host: string;
  metrics: Record<string, unknown>;
}

/** A stable hash of what was replayed, so runs of the same scenario can be compared. */
export function scenarioHash(scenarioText: string): string {
  return createHash('sha256').update(scenarioText).digest('hex').slice(0, 16);
}

export function insertRun(db: Db, run: Omit<RunRecord, 'id'>): number {
  const info = db
    .prepare('INSERT INTO runs (created_at, scenario, scenario_hash, policy, params, seed, host, metrics) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
    .run(run.createdAt, run.scenario, run.scenarioHash, run.policy, JSON.stringify(run.params ?? {}), run.seed, run.host, JSON.stringify(run.metrics));
  return Number(info.lastInsertRowid);
}

export function updateRunMetrics(db: Db, id: number, metrics: Record<string, unknown>): void {
  db.prepare('UPDATE runs SET metrics = ? WHERE id = ?').run(JSON.stringify(metrics), id);
}

export function listRuns(db: Db, limit = 100): RunRecord[] {
  const rows = db.prepare('SELECT * FROM runs ORDER BY id DESC LIMIT ?').all(limit) as Record<string, unknown>[];
  return rows.map((r) => ({
    id: r.id as number,
    createdAt: r.created_at as number,
    scenario: r.scenario as string,
    scenarioHash: r.scenario_hash as string,
    policy: r.policy as string,
    params: JSON.parse(r.params as string),
    seed: r.seed as number,
    host: r.host as string,
    metrics: JSON.parse(r.metrics as string),
  }));
}

/** What decides a run: two runs alike in all of these replay the same (the simulator is deterministic). */
export type RunInputs = Pick<RunRecord, 'scenarioHash' | 'policy' | 'params' | 'seed' | 'host'>;

/** Metrics read off the wall clock: they differ between two replays of one run, so never compared. */
const WALL_CLOCK_METRICS = ['decisionLatencyUs'];

/**
 * A stored run other than `exceptId` with the same inputs and the same outcome, newest
 * first, or null. The outcome is compared too: after reclaimd itself changes, the same
 * inputs may give another result, and that is a run of its own.
 */
export function findSameRun(db: Db, run: RunInputs, metrics: Record<string, unknown>, exceptId = 0): number | null {
  const rows = db
    .prepare('SELECT id, params, metrics FROM runs WHERE scenario_hash = ? AND policy = ? AND seed = ? AND host = ? AND id <> ? ORDER BY id DESC')
    .all(run.scenarioHash, run.policy, run.seed, run.host, exceptId) as { id: number; params: string; metrics: string }[];
  const outcome = (m: Record<string, unknown>) => Object.fromEntries(Object.entries(m).filter(([k]) => !WALL_CLOCK_METRICS.includes(k)));
  // Through JSON, as stored: the fresh values compare as they would read back.
  const params = JSON.parse(JSON.stringify(run.params ?? {}));
  const fresh = outcome(JSON.parse(JSON.stringify(metrics)));
  const same = rows.find((r) => isDeepStrictEqual(JSON.parse(r.params), params) && isDeepStrictEqual(outcome(JSON.parse(r.metrics)), fresh));
  return same?.id ?? null;
}
