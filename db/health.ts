import { statSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseError, errorText } from './errors';
import type { Db } from './db';

/**
 * Whether a connection may still be written to. Two things stop writing for good (until
 * the file is opened again): SQLite reports the file damaged mid-run (writing on would
 * spread the damage), or the path no longer names the file that is open (it was moved or
 * replaced: rows written now would go to an unlinked file and be lost without a word).
 * We stop rather than reopen: the new file at the path may be anything, and the person
 * who moved the old one is told instead of having a fresh log appear behind their back.
 */
interface Identity {
  file: string;
  dev: number;
  ino: number;
}

const identities = new WeakMap<Db, Identity>();
const stopped = new WeakMap<Db, { file: string; reason: string }>();

/** Remember which file (device and inode) is open, right after opening it. */
export function rememberIdentity(db: Db, file: string): void {
  if (file === ':memory:') return;
  const st = statSync(file);
  identities.set(db, { file, dev: st.dev, ino: st.ino });
}

export function isDiskFull(err: unknown): boolean {
  return ((err as { code?: string } | null)?.code ?? '').startsWith('SQLITE_FULL');
}

/** Damage codes: the data is bad, not the disk. */
export function isDamage(err: unknown): boolean {
  const code = (err as { code?: string } | null)?.code ?? '';
  return code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT');
}

/** What to tell the user about a damaged file: what is wrong and what to do. */
export function damagedMessage(detail: string, file: string, written: 'nothing was written to it' | 'writing to it has stopped'): string {
  return `the file is damaged (${detail}); ${written}. Move it aside to start a new log (mv ${file} ${file}.damaged), and to save what can be read: sqlite3 ${file}.damaged .recover | sqlite3 ${file}.recovered`;
}

/** Why this connection must not be written to, or null (checks the path still names the open file). */
export function writeStopped(db: Db): string | null {
  const halt = stopped.get(db);
  if (halt !== undefined) return `${halt.file}: ${halt.reason}`;
  const id = identities.get(db);
  if (!id) return null;
  let now: { dev: number; ino: number } | null = null;
  try {
    now = statSync(id.file);
  } catch {
    now = null;
  }
  if (now && now.dev === id.dev && now.ino === id.ino) return null;
  const why = now ? 'was replaced by another file' : 'was moved or deleted';
  return stop(db, id.file, `${why} while open; writing stopped so that no row goes to a file nobody can see — restart to use the file now at that path`);
}

/** After a failed write: damage stops all writing to this connection. Returns what to tell the user. */
export function noteWriteFailure(db: Db, err: unknown): string {
  const file = identities.get(db)?.file ?? db.name;
  if (isDiskFull(err)) return `disk full at ${dirname(file)} (${errorText(err)})`;
  if (!isDamage(err)) return errorText(err);
  return stop(db, file, damagedMessage(errorText(err), file, 'writing to it has stopped'));
}

/** Throw when the connection must not be written to (for one-off writes: priorities, settings). */
export function assertWritable(db: Db): void {
  if (writeStopped(db) === null) return;
  const halt = stopped.get(db)!;
  throw new DatabaseError(halt.file, halt.reason, 'stopped');
}

function stop(db: Db, file: string, reason: string): string {
  if (!stopped.has(db)) stopped.set(db, { file, reason });
  const halt = stopped.get(db)!;
  return `${halt.file}: ${halt.reason}`;
}
