import type { Db } from '../db/open';
import { decisionToInsert, INSERT_SQL } from '../db/decision-rows';
import { makeDecision } from '../test/helpers/decisions';

/** Fill a decision log with `total` rows of 1,000 varied decisions, `stepMs` apart from `firstTs`. */
export function fillDecisionLog(db: Db, total: number, firstTs: number, stepMs = 1000): void {
  const insert = db.prepare(INSERT_SQL);
  const rows = Array.from({ length: 1000 }, (_, i) => decisionToInsert(makeDecision(i), 0, null) as (string | number | null)[]);
  const fill = db.transaction((from: number, to: number) => {
    for (let i = from; i < to; i++) {
      const row = rows[i % 1000];
      row[0] = firstTs + i * stepMs;
      insert.run(row);
    }
  });
  for (let i = 0; i < total; i += 50_000) fill(i, Math.min(total, i + 50_000));
  db.exec('ANALYZE');
}
