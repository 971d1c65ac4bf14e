// Kill reasons are names in their own column (common/vocabulary.ts KILL_REASONS): the
// policies set them, history filters by them (the API, the CLI), and a database written
// before the column existed gets them back from the reason text on upgrade.
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DecisionLog } from '../db/decision-log';
import { appTotals, queryHistory } from '../db/history';
import { migrate } from '../db/migrate';
import { MIGRATIONS } from '../db/migrations/index';
import { openDatabase } from '../db/open';
import { toDecisionRecord } from '../policy-engine/decision-record';
import { createBuiltinRegistry } from '../policy-engine/policies/index';
import { MiB } from '../policy-engine/types';
import { makeDecision } from './helpers/decisions';
import { proc, signal } from './helpers/processes';

let dir: string;
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'reclaimd-kill-reasons-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('kill reasons', () => {
  test("reclaim's last resort names its trigger", () => {
    const policy = createBuiltinRegistry().create('reclaim');
    const procs = [proc({ pid: 10, appKey: 'big', rssAnonBytes: 300 * MiB, rssFileBytes: 0, idleAnonBytes: 0, idleFileBytes: 0 })];
    const s = signal('critical', { availableBytes: 10 * MiB, freeBytes: 1 * MiB, swapTotalBytes: 1024 * MiB, swapFreeBytes: 0, fileCacheBytes: 0, watermarks: { minBytes: 8 * MiB, lowBytes: 10 * MiB, highBytes: 12 * MiB } });
    const ctx = { now: 600_000, busy: new Set<string>() };
    const [kill] = policy.plan({ ...s, at: 600_000 }, policy.rank(procs, ctx), ctx).filter((a) => a.type === 'kill');
    expect(kill).toMatchObject({ type: 'kill', appKey: 'big', killReason: 'RECLAIM_EXHAUSTED_BELOW_MIN' });
  });

  test('history filters and totals by reason', () => {
    const db = openDatabase(join(dir, 'r.db'));
    const log = new DecisionLog(db);
    const lowMem = makeDecision(49); // a kill (see helpers/decisions.ts)
    const other = makeDecision(99);
    if (other.action.type !== 'kill') throw new Error('helper changed: decision 99 is no longer a kill');
    other.action = { ...other.action, killReason: 'LOW_MEM_AND_SWAP' };
    for (const d of [makeDecision(1), lowMem, other]) log.appendRecord(toDecisionRecord(d, d.at, null));
    log.flush();
    expect(queryHistory(db, { killReason: 'LOW_MEM' }).rows.map((r) => [r.action, r.killReason])).toEqual([['kill', 'LOW_MEM']]);
    expect(queryHistory(db, { killReason: 'LOW_MEM_AND_SWAP' }).rows).toHaveLength(1);
    expect(queryHistory(db, { action: 'reclaim' }).rows[0].killReason).toBeNull();
    const totals = appTotals(db, { killReason: 'LOW_MEM_AND_SWAP' });
    expect(totals.map((t) => t.decisions).reduce((a, b) => a + b, 0)).toBe(1);
    db.close();
  });

  test('upgrading a version 1 log names the reasons of the kills already in it', () => {
    const file = join(dir, 'v1.db');
    const v1 = new Database(file);
    migrate(v1, file, MIGRATIONS.slice(0, 1));
    const insert = v1.prepare(`INSERT INTO decisions (ts, host, policy, level, source, mem_total_bytes, mem_available_bytes, swap_free_bytes, candidates, action, kind, app, pid, start_time, reason, requested_bytes, reclaimed_anon_bytes, reclaimed_file_bytes, duration_ms, result, message, dry_run)
      VALUES (1, 'sim', ?, 'critical', 'psi', 1, 1, 1, '[]', ?, NULL, 'a', 1, 1, ?, 0, 0, 0, 0, 'ok', '', 0)`);
    insert.run('lmkd', 'kill', 'LOW_MEM_AND_THRASHING: low watermark is breached and thrashing (40%) (psi critical), min adj 201; cached (adj 900)');
    insert.run('lmkd', 'kill', 'vmpressure critical: legacy level table, min adj 0; cached');
    insert.run('reclaim', 'kill', 'last resort: swap exhausted (0B free) and 0B of page cache left, critical for 4s, reclaim can free only 0B; a holds 1MiB');
    insert.run('reclaim', 'kill', 'MADE_UP: not a reason we know');
    insert.run('reclaim', 'reclaim', 'LOW_MEM: a reclaim, not a kill');
    v1.close();
    const db = openDatabase(file);
    const names = (db.prepare('SELECT kill_reason FROM decisions ORDER BY id').all() as { kill_reason: string | null }[]).map((r) => r.kill_reason);
    expect(names).toEqual(['LOW_MEM_AND_THRASHING', 'VMPRESSURE_LEVEL', 'RECLAIM_EXHAUSTED_CRITICAL', null, null]);
    db.close();
  });
});
