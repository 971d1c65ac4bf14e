import { DatabaseError } from './errors';
import { MIGRATIONS, SCHEMA_VERSION, type Migration } from './migrations/index';
import type { Db } from './db';

/**
 * Apply the pending migrations in one transaction and record the version in
 * PRAGMA user_version. A database newer than this code is refused, never downgraded.
 */
export function migrate(db: Db, file: string, migrations: readonly Migration[] = MIGRATIONS): number {
  const latest = migrations.length ? migrations[migrations.length - 1].version : 0;
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > latest) {
    throw new DatabaseError(file, `was written by a newer reclaimd (schema ${current}; this one knows up to ${latest}); upgrade reclaimd or use another --db file`, 'newer');
  }
  // Versions above the database's, and any below it that says it is missing: two migrations
  // written on parallel branches (3 and 4) may land in either order, and a database that got
  // 4 first must still get 3 (see Migration.isApplied).
  const pending = migrations.filter((m) => m.version > current || (m.isApplied !== undefined && !m.isApplied(db)));
  if (pending.length === 0) return current;
  db.transaction(() => {
    for (const m of pending) {
      db.exec(m.sql);
      if (m.version > current) db.pragma(`user_version = ${m.version}`);
    }
  }).immediate();
  return Math.max(current, latest);
}

export { SCHEMA_VERSION };
