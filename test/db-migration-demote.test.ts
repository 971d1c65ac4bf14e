import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseError } from '../db/errors';
import { migrate } from '../db/migrate';
import { MIGRATIONS, SCHEMA_VERSION, type Migration } from '../db/migrations/index';
import { openDatabase } from '../db/open';
import { queryHistory } from '../db/history';
import { csvHeader, csvLine, CSV_COLUMNS } from '../db/export';

let dir: string;
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'reclaimd-demote-db-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const upTo = (v: number) => MIGRATIONS.filter((m) => m.version <= v);

const INSERT = `INSERT INTO decisions (ts, run_id, host, policy, level, source, mem_total_bytes, mem_available_bytes, swap_free_bytes, candidates, action, kind, mode, app, pid, start_time, reason, kill_reason, requested_bytes, reclaimed_anon_bytes, reclaimed_file_bytes, duration_ms, result, message, dry_run)
  VALUES (?, NULL, 'sim', 'reclaim', 'medium', 'psi', 1, 1, 1, '[]', ?, ?, 'pageout', ?, ?, 1, ?, ?, 10, 4, 6, 1.5, 'ok', '', 0)`;

describe('migration 4: the demote kind and its destination tier', () => {
  it('rebuilds a version 2 log with rows: every row and index kept, demote accepted with its tier', () => {
    const file = join(dir, 'v2.db');
    const v2 = new Database(file);
    migrate(v2, file, upTo(2));
    const insert = v2.prepare(INSERT);
    insert.run(1000, 'reclaim', 'anon', 'notes', 11, 'medium pressure: idle anon', null);
    insert.run(2000, 'kill', null, 'game', 12, 'LOW_MEM: killed', 'LOW_MEM');
    insert.run(3000, 'reclaim', 'all', 'mail', 13, 'critical pressure', null);
    // The old CHECK refuses the new kind: this is what the migration is for.
    expect(() => insert.run(4000, 'reclaim', 'demote', 'mail', 13, 'x', null)).toThrow(/CHECK constraint failed/);
    const before = v2.prepare('SELECT * FROM decisions ORDER BY id').all();
    v2.close();

    const db = openDatabase(file);
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    const after = db.prepare('SELECT * FROM decisions ORDER BY id').all() as Record<string, unknown>[];
    expect(after).toEqual((before as Record<string, unknown>[]).map((r) => ({ ...r, tier: null })));
    const indexes = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'decisions' AND sql IS NOT NULL ORDER BY name").all() as { name: string }[]).map((r) => r.name);
    expect(indexes).toEqual(['decisions_app_ts', 'decisions_kill_reason', 'decisions_run', 'decisions_ts']);
    db.prepare('UPDATE decisions SET kind = ?, tier = ? WHERE id = 3').run('demote', 'cxl');
    const row = queryHistory(db, { kind: 'demote' }).rows;
    expect(row.map((r) => [r.app, r.kind, r.tier])).toEqual([['mail', 'demote', 'cxl']]);
    // History's CSV carries the destination.
    expect(csvLine(row[0]).split(',')[CSV_COLUMNS.indexOf('tier')]).toBe('cxl');
    expect(csvHeader().split(',')).toContain('tier');
    // The new CHECK still refuses a kind nobody knows.
    expect(() => db.prepare('UPDATE decisions SET kind = ? WHERE id = 1').run('bogus')).toThrow(/CHECK constraint failed/);
    expect(db.pragma('foreign_key_check')).toEqual([]);
    db.close();
  });

  it('applies a parallel branch\'s lower-numbered migration that lands after this one', () => {
    const file = join(dir, 'gap.db');
    const db = new Database(file);
    // 3 (recordings) and 4 were written on parallel branches: a database that got 4 first
    // still gets 3 once both are merged, and each applied version is tracked.
    migrate(db, file, MIGRATIONS.filter((m) => m.version !== 3));
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'recordings'").get()).toBeUndefined();
    expect(migrate(db, file, MIGRATIONS)).toBe(SCHEMA_VERSION);
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'recordings'").get()).toEqual({ name: 'recordings' });
    expect((db.prepare('SELECT version FROM schema_migrations ORDER BY version').all() as { version: number }[]).map((r) => r.version)).toEqual(MIGRATIONS.map((m) => m.version));
    db.close();
  });

  it('rebuilds the decisions table whatever a lower migration added to it (its columns and rows kept)', () => {
    const file = join(dir, 'wider.db');
    const db = new Database(file);
    const three: Migration = { version: 3, sql: 'ALTER TABLE decisions ADD COLUMN recording_id INTEGER;' };
    migrate(db, file, [...upTo(2), three]);
    db.prepare(INSERT).run(1000, 'reclaim', 'file', 'notes', 11, 'low pressure', null);
    db.prepare('UPDATE decisions SET recording_id = 7').run();
    migrate(db, file, [...upTo(2), three, ...MIGRATIONS.filter((m) => m.version > 3)]);
    expect(db.prepare('SELECT app, kind, recording_id, tier FROM decisions').all()).toEqual([{ app: 'notes', kind: 'file', recording_id: 7, tier: null }]);
    db.close();
  });

  it('refuses a database holding a migration this build does not know, and changes nothing', () => {
    const file = join(dir, 'other-branch.db');
    const db = new Database(file);
    migrate(db, file, [...upTo(2), { version: 3, sql: 'CREATE TABLE other (x INTEGER);' }]);
    expect(() => migrate(db, file, upTo(2).concat(MIGRATIONS.filter((m) => m.version > 3)))).toThrow(DatabaseError);
    expect(() => migrate(db, file, upTo(2).concat(MIGRATIONS.filter((m) => m.version > 3)))).toThrow(/migration 3, which this reclaimd does not know/);
    expect(db.pragma('user_version', { simple: true })).toBe(3);
    expect(db.prepare("SELECT sql FROM sqlite_master WHERE name = 'decisions'").get()).toEqual({ sql: expect.stringContaining("IN ('file', 'anon', 'all'))") });
    db.close();
  });
});
