// Migration 4: the reclaim kind `demote` (move cold pages to a slower memory tier) and the
// destination tier it names, in its own column. SQLite cannot alter a CHECK constraint, so
// the decisions table is rebuilt from its own current definition (whatever columns other
// migrations added to it), every row copied, its indexes and triggers re-created, all inside
// the migration's transaction (db/migrate.ts): a failure leaves the old table whole.
import type { Db } from '../db';

export const version = 4;
export const sql = '';

const OLD_CHECK = "kind TEXT CHECK (kind IN ('file', 'anon', 'all'))";
const NEW_CHECK = "kind TEXT CHECK (kind IN ('file', 'anon', 'all', 'demote'))";

export function up(db: Db): void {
  const table = db.prepare("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'decisions'").get() as { sql: string } | undefined;
  if (!table) throw new Error('migration 4: the decisions table is missing');
  if (!table.sql.includes(OLD_CHECK)) throw new Error(`migration 4: the decisions table's kind constraint is not the one expected (${OLD_CHECK}); nothing was changed`);
  // Dropping a table that others reference would delete (or cascade into) their rows: refuse instead.
  const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all() as { name: string }[]).map((r) => r.name);
  const referrers = tables.filter((t) => (db.prepare('SELECT "table" FROM pragma_foreign_key_list(?)').all(t) as { table: string }[]).some((fk) => fk.table === 'decisions'));
  if (referrers.length > 0) throw new Error(`migration 4: ${referrers.join(', ')} references decisions; rebuilding it would delete their rows; nothing was changed`);
  const dependents = db.prepare("SELECT sql FROM sqlite_master WHERE type IN ('index', 'trigger') AND tbl_name = 'decisions' AND sql IS NOT NULL").all() as { sql: string }[];
  const rows = (db.prepare('SELECT count(*) AS n FROM decisions').get() as { n: number }).n;
  db.exec(table.sql.replace(OLD_CHECK, NEW_CHECK).replace(/^CREATE TABLE "?decisions"?/, 'CREATE TABLE decisions_rebuilt'));
  db.exec('INSERT INTO decisions_rebuilt SELECT * FROM decisions');
  const copied = (db.prepare('SELECT count(*) AS n FROM decisions_rebuilt').get() as { n: number }).n;
  if (copied !== rows) throw new Error(`migration 4: copied ${copied} of ${rows} decisions; nothing was changed`);
  db.exec('DROP TABLE decisions');
  db.exec('ALTER TABLE decisions_rebuilt RENAME TO decisions');
  for (const d of dependents) db.exec(d.sql);
  db.exec('ALTER TABLE decisions ADD COLUMN tier TEXT');
}
