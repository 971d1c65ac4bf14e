// The decision record is derived from the Decision (policy-engine/decision-record.ts) and the
// table follows the record (db/decision-rows.ts): what the live agent sends to the UI is what
// history later returns from the real SQLite file, field for field.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DecisionLog } from '../db/decision-log';
import { INSERT_COLUMNS } from '../db/decision-rows';
import { getDecision } from '../db/history';
import { openDatabase, type Db } from '../db/open';
import { toDecisionRecord } from '../policy-engine/decision-record';
import { makeDecision } from './helpers/decisions';

describe('decision record', () => {
  let dir: string;
  let db: Db;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'reclaimd-record-'));
    db = openDatabase(join(dir, 'r.db'));
  });
  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('what the UI is sent live is what history returns once stored', () => {
    const log = new DecisionLog(db);
    const live = [0, 1, 2, 49].map((i) => toDecisionRecord(makeDecision(i), 1_700_000_000_000 + i, null));
    for (const r of live) log.appendRecord(r);
    log.flush();
    live.forEach((r, i) => expect(getDecision(db, i + 1)).toEqual({ ...r, id: i + 1 }));
  });

  test('every column of the decisions table is written', () => {
    const columns = (db.prepare('PRAGMA table_info(decisions)').all() as { name: string }[]).map((c) => c.name).filter((c) => c !== 'id');
    expect([...INSERT_COLUMNS].sort()).toEqual(columns.sort());
  });

  test('a kill has no kind or mode; a dry run says so', () => {
    const kill = toDecisionRecord(makeDecision(49), 0, 3);
    expect(kill).toMatchObject({ action: 'kill', kind: null, mode: null, runId: 3, dryRun: false });
    const d = makeDecision(1);
    expect(toDecisionRecord({ ...d, action: { ...d.action, dryRun: true } }, 0, null).dryRun).toBe(true);
  });
});
