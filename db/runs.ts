import { createHash } from 'node:crypto';
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
