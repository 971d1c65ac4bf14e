import { DatabaseError } from './errors';
import { MIGRATIONS, SCHEMA_VERSION, type Migration } from './migrations/index';
import type { Db } from './db';

/**
 * The versions applied to this database. Since tracking began they are rows of
 * schema_migrations; a database from before has every version up to its user_version.
 * Tracked one by one so that migrations written on parallel branches (3 and 4, say) apply
 * whichever landed first: a database at 4 that lacks 3 gets 3 when it arrives.
 */
function appliedVersions(db: Db, current: number, migrations: readonly Migration[]): { applied: Set<number>; tracked: boolean } {
  const tracked = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get() !== undefined;
  if (tracked) return { applied: new Set((db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[]).map((r) => r.version)), tracked };
  return { applied: new Set(migrations.filter((m) => m.version <= current).map((m) => m.version)), tracked };
}

/**
 * Apply the pending migrations in one transaction and record each in schema_migrations and
 * the highest in PRAGMA user_version. A database newer than this code, or holding a migration
 * this code does not know, is refused, never downgraded.
 */
export function migrate(db: Db, file: string, migrations: readonly Migration[] = MIGRATIONS): number {
  const latest = migrations.length ? migrations[migrations.length - 1].version : 0;
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > latest) {
    throw new DatabaseError(file, `was written by a newer reclaimd (schema ${current}; this one knows up to ${latest}); upgrade reclaimd or use another --db file`, 'newer');
  }
  const { applied, tracked } = appliedVersions(db, current, migrations);
  const known = new Set(migrations.map((m) => m.version));
  const unknown = [...applied, ...(tracked || current === 0 ? [] : [current])].filter((v) => !known.has(v));
  if (unknown.length > 0) {
    throw new DatabaseError(file, `has schema migration ${unknown.join(', ')}, which this reclaimd does not know (written by another build); use that build or another --db file`, 'newer');
  }
  const pending = migrations.filter((m) => !applied.has(m.version));
  if (pending.length === 0) return Math.max(current, latest);
  db.transaction(() => {
    db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY)');
    const record = db.prepare('INSERT OR IGNORE INTO schema_migrations (version) VALUES (?)');
    for (const v of applied) record.run(v);
    for (const m of pending) {
      if (m.sql) db.exec(m.sql);
      m.up?.(db);
      record.run(m.version);
    }
    db.pragma(`user_version = ${Math.max(current, latest)}`);
  }).immediate();
  return Math.max(current, latest);
}

export { SCHEMA_VERSION };
