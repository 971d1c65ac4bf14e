import Database from 'better-sqlite3';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseError } from '../db/errors';
import { migrate } from '../db/migrate';
import { MIGRATIONS, SCHEMA_VERSION } from '../db/migrations/index';
import { openDatabase } from '../db/open';
import { defaultDatabasePath } from '../db/paths';

let dir: string;
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'reclaimd-db-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const tables = (db: Database.Database) =>
  (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]).map((r) => r.name);

describe('database file and migrations', () => {
  it('creates a fresh database with WAL, the schema and its version', () => {
    const file = join(dir, 'sub', 'fresh.db');
    const db = openDatabase(file);
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(tables(db)).toEqual(['decisions', 'pressure_samples', 'priorities', 'recording_rows', 'recordings', 'runs', 'schema_migrations', 'settings']);
    db.close();
    // Reopening applies nothing new.
    const again = openDatabase(file);
    expect(again.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    again.close();
  });

  it('upgrades step by step and keeps the data', () => {
    const file = join(dir, 'old.db');
    const v1 = new Database(file);
    migrate(v1, file, MIGRATIONS.slice(0, 1));
    v1.prepare("INSERT INTO priorities (app_key, priority, note, updated_at) VALUES ('game', 'high', '', 1)").run();
    v1.close();
    const next = [...MIGRATIONS, { version: SCHEMA_VERSION + 1, sql: "ALTER TABLE priorities ADD COLUMN source TEXT NOT NULL DEFAULT 'user';" }];
    const v2 = new Database(file);
    expect(migrate(v2, file, next)).toBe(SCHEMA_VERSION + 1);
    expect(v2.prepare('SELECT app_key, priority, source FROM priorities').all()).toEqual([{ app_key: 'game', priority: 'high', source: 'user' }]);
    v2.close();
  });

  it('runs the pending migrations in one transaction: a failure leaves the old version whole', () => {
    const file = join(dir, 'partial.db');
    const db = new Database(file);
    migrate(db, file, MIGRATIONS);
    const broken = [...MIGRATIONS, { version: SCHEMA_VERSION + 1, sql: 'CREATE TABLE extra (x INTEGER); CREATE TABLE decisions (dup INTEGER);' }];
    expect(() => migrate(db, file, broken)).toThrow(/already exists/);
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(tables(db)).not.toContain('extra');
    db.close();
  });

  it('refuses a database written by a newer reclaimd and leaves it untouched', () => {
    const file = join(dir, 'newer.db');
    const db = openDatabase(file);
    db.pragma(`user_version = ${SCHEMA_VERSION + 5}`);
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.close();
    const before = readFileSync(file);
    expect(() => openDatabase(file)).toThrow(DatabaseError);
    expect(() => openDatabase(file)).toThrow(`newer reclaimd (schema ${SCHEMA_VERSION + 5}; this one knows up to ${SCHEMA_VERSION})`);
    expect(readFileSync(file).equals(before)).toBe(true);
  });

  it('refuses a file that is not SQLite, or is damaged, and leaves it byte for byte as it was', () => {
    const garbage = join(dir, 'garbage.db');
    writeFileSync(garbage, 'this is not a database\n'.repeat(200));
    const before = readFileSync(garbage);
    expect(() => openDatabase(garbage)).toThrow(/not an SQLite database \(wrong header\); it was left as it is/);
    expect(readFileSync(garbage).equals(before)).toBe(true);

    const damaged = join(dir, 'damaged.db');
    const good = openDatabase(damaged);
    good.pragma('wal_checkpoint(TRUNCATE)');
    good.close();
    const bytes = readFileSync(damaged);
    bytes.fill(0xa5, 100, bytes.length); // keep the header, wreck the schema pages
    writeFileSync(damaged, bytes);
    for (const f of [damaged + '-wal', damaged + '-shm']) if (existsSync(f)) rmSync(f);
    const wrecked = readFileSync(damaged);
    let error: unknown;
    try {
      openDatabase(damaged);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(DatabaseError);
    expect((error as DatabaseError).kind).toBe('damaged');
    expect((error as Error).message).toMatch(/damaged .*nothing was written to it/);
    expect(readFileSync(damaged).equals(wrecked)).toBe(true);
  });

  it('defaults to $XDG_DATA_HOME/reclaimd/reclaimd.db, else ~/.local/share', () => {
    expect(defaultDatabasePath({ XDG_DATA_HOME: '/data', HOME: '/home/u' })).toBe('/data/reclaimd/reclaimd.db');
    expect(defaultDatabasePath({ HOME: '/home/u' })).toBe('/home/u/.local/share/reclaimd/reclaimd.db');
    expect(defaultDatabasePath({ XDG_DATA_HOME: 'relative', HOME: '/home/u' })).toBe('/home/u/.local/share/reclaimd/reclaimd.db');
  });
});
