// Decision-log benchmarks, run with `npm run bench:db`: the batched writer against a raw
// better-sqlite3 insert loop in the same process, and history pages at a million rows.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { DecisionLog } from '../db/decision-log';
import { decisionToInsert, INSERT_SQL, type DecisionInsert } from '../db/decision-rows';
import { queryHistory, type HistoryFilter } from '../db/history';
import { openDatabase } from '../db/open';
import { percentiles } from '../runs/replay';
import { makeDecision } from '../test/helpers/decisions';
import { fillDecisionLog } from './decision-fill';

const dir = mkdtempSync(join(tmpdir(), 'reclaimd-bench-'));
const ROWS = 200_000;
const BATCH = 500;

function writerRate(): number {
  const db = openDatabase(join(dir, `writer-${Math.random()}.db`));
  const decisions = Array.from({ length: 1000 }, (_, i) => makeDecision(i));
  const log = new DecisionLog(db, { batchSize: BATCH });
  const t0 = performance.now();
  for (let i = 0; i < ROWS; i++) log.appendDecision(decisions[i % 1000], 1_700_000_000_000 + i);
  log.close();
  const s = (performance.now() - t0) / 1000;
  db.close();
  return ROWS / s;
}

function rawRate(): number {
  const db = openDatabase(join(dir, `raw-${Math.random()}.db`));
  const rows: DecisionInsert[] = Array.from({ length: 1000 }, (_, i) => decisionToInsert(makeDecision(i), 0, null));
  const insert = db.prepare(INSERT_SQL);
  const t0 = performance.now();
  for (let start = 0; start < ROWS; start += BATCH) {
    db.exec('BEGIN');
    for (let i = start; i < start + BATCH; i++) {
      const row = rows[i % 1000] as (string | number | null)[];
      row[0] = 1_700_000_000_000 + i;
      insert.run(row);
    }
    db.exec('COMMIT');
  }
  const s = (performance.now() - t0) / 1000;
  db.close();
  return ROWS / s;
}

function historyAtScale(total: number): Record<string, number> {
  const db = openDatabase(join(dir, 'million.db'));
  const t0 = 1_700_000_000_000;
  fillDecisionLog(db, total, t0);
  const filters: HistoryFilter[] = [{}, { app: 'game' }, { kind: 'anon', result: 'ok' }, { level: 'critical' }, { since: t0 + 500_000_000 }, { app: 'maps', since: t0 + 100_000_000, until: t0 + 900_000_000 }];
  const samples: number[] = [];
  for (let q = 0; q < 600; q++) {
    const filter: HistoryFilter = { ...filters[q % filters.length], limit: 100 };
    // Every third query jumps deep into the log, as scrolling a virtualised list does.
    if (q % 3 === 2) filter.after = `${t0 + Math.floor(((q * 7919) % total) * 1000)}:${(q * 7919) % total}`;
    const start = performance.now();
    queryHistory(db, filter);
    samples.push(performance.now() - start);
  }
  // What the damage check costs each writing open at this size (openDatabase runs quick_check).
  const check: Record<string, number> = {};
  for (const pragma of ['quick_check', 'integrity_check']) {
    const start = performance.now();
    db.pragma(pragma);
    check[`${pragma}Ms`] = Math.round(performance.now() - start);
  }
  db.close();
  const p = percentiles(samples);
  return { rows: total, pageRows: 100, queries: samples.length, p50Ms: Math.round(p.p50 * 100) / 100, p99Ms: Math.round(p.p99 * 100) / 100, ...check };
}

try {
  writerRate(); // warm-up
  rawRate();
  const writer: number[] = [];
  const raw: number[] = [];
  for (let i = 0; i < 3; i++) {
    raw.push(rawRate());
    writer.push(writerRate());
  }
  const best = (xs: number[]) => Math.max(...xs);
  const result = {
    inserts: {
      rows: ROWS,
      batch: BATCH,
      decisionLogRowsPerSec: Math.round(best(writer)),
      rawInsertRowsPerSec: Math.round(best(raw)),
      ratio: Math.round((best(writer) / best(raw)) * 100) / 100,
    },
    history: historyAtScale(1_000_000),
  };
  process.stdout.write(JSON.stringify(result, null, 2) + '\n');
} finally {
  rmSync(dir, { recursive: true, force: true });
}
