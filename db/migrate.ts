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
  const pending = migrations.filter((m) => m.version > current);
  if (pending.length === 0) return current;
  db.transaction(() => {
    for (const m of pending) {
      db.exec(m.sql);
      db.pragma(`user_version = ${m.version}`);
    }
  }).immediate();
  return latest;
}

export { SCHEMA_VERSION };
