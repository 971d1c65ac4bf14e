import Database from 'better-sqlite3';
import { accessSync, closeSync, constants, existsSync, mkdirSync, openSync, readFileSync, readSync, statfsSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseError, errorText, isStorageFailure } from './errors';
import { damagedMessage, isDamage, rememberIdentity } from './health';
import { migrate } from './migrate';
import type { Db } from './db';

export type { Db } from './db';

const SQLITE_HEADER = 'SQLite format 3\0';

/**
 * A read-only command on a read-only filesystem reads a copy of the file in memory (SQLite
 * cannot open a WAL database there: it needs to create the -shm file). Beyond this size the
 * copy would cost too much memory; the message says to copy the file somewhere writable.
 * 512 MiB is well above the ~310 MB of a log at the default retention (1,000,000 rows).
 */
export const MAX_READONLY_COPY_BYTES = 512 * 1024 * 1024;

export interface OpenOptions {
  readonly?: boolean;
  /** How long a writer waits for another's lock before SQLITE_BUSY. */
  busyTimeoutMs?: number;
}

/**
 * Open (creating if needed) a reclaimd database and bring its schema up to date. A file
 * that is not SQLite, is damaged (PRAGMA quick_check), or comes from a newer reclaimd is
 * refused with a clear error before anything is written to it. A read-only open skips the
 * check (it writes nothing; ~1 s at a million rows is too much for every `history`): a
 * damaged page it reads is reported the same way.
 */
export function openDatabase(file: string, options: OpenOptions = {}): Db {
  const readonly = options.readonly ?? false;
  const existed = file !== ':memory:' && existsSync(file) && sizeOf(file) > 0;
  if (existed) checkHeader(file);
  if (file !== ':memory:' && !readonly) {
    try {
      mkdirSync(dirname(file), { recursive: true });
    } catch (err) {
      throw new DatabaseError(file, `cannot create its folder: ${errorText(err)}`, 'storage');
    }
  }

  let db: Db;
  try {
    db = new Database(file, { readonly, fileMustExist: readonly, timeout: options.busyTimeoutMs ?? 5000 });
  } catch (err) {
    throw new DatabaseError(file, `cannot open: ${errorText(err)}${whyNotWritable(file, readonly)}`, isStorageFailure(err) ? 'storage' : 'other');
  }
  try {
    if (existed) {
      // Read before writing: a damaged schema or a newer version must not be touched.
      db.pragma('schema_version');
    }
    if (!readonly) {
      if (existed) quickCheck(db, file);
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma('foreign_keys = ON');
      migrate(db, file);
      rememberIdentity(db, file);
    }
    return db;
  } catch (err) {
    db.close();
    if (readonly && (err as { code?: string }).code === 'SQLITE_CANTOPEN' && whyNotWritable(file, false)) return openCopy(file);
    throw databaseError(file, err, readonly);
  }
}

/** Any error from using a database, as the DatabaseError to show (damage says what to do). */
export function databaseError(file: string, err: unknown, readonly = false): DatabaseError {
  if (err instanceof DatabaseError) return err;
  if (isDamage(err)) return new DatabaseError(file, damagedMessage(errorText(err), file, 'nothing was written to it'), 'damaged');
  return new DatabaseError(file, `cannot use the database: ${errorText(err)}${whyNotWritable(file, readonly)}`, isStorageFailure(err) ? 'storage' : 'other');
}

/**
 * PRAGMA quick_check before the first write: it reads every page (what a damaged 8 KB in the
 * middle needs), skipping only the index-vs-table cross-check of integrity_check — about
 * 1.0–1.3 s at a million rows against 1.5–2.6 s (bench:db), paid once per writing open.
 */
function quickCheck(db: Db, file: string): void {
  const problems = (db.pragma('quick_check(3)') as { quick_check: string }[]).map((r) => r.quick_check);
  if (problems.length === 1 && problems[0] === 'ok') return;
  throw new DatabaseError(file, damagedMessage(`quick_check: ${problems.join('; ')}`, file, 'nothing was written to it'), 'damaged');
}

/** A read-only filesystem: read a copy of the file in memory, in rollback mode (no -shm needed). */
function openCopy(file: string): Db {
  if (existsSync(`${file}-wal`) && sizeOf(`${file}-wal`) > 0) {
    throw new DatabaseError(file, `is on a read-only filesystem with unfinished writes in ${file}-wal that SQLite cannot read there; copy both files to a writable folder and pass that --db`, 'storage');
  }
  const size = sizeOf(file);
  if (size > MAX_READONLY_COPY_BYTES) {
    throw new DatabaseError(file, `is on a read-only filesystem and too large (${Math.round(size / 1048576)} MiB) to read through a copy in memory; copy it to a writable folder and pass that --db`, 'storage');
  }
  const bytes = readFileSync(file);
  // Bytes 18 and 19: the file's write and read format; 2 is WAL, 1 is the rollback journal.
  bytes[18] = 1;
  bytes[19] = 1;
  try {
    const db = new Database(bytes, { readonly: true });
    db.pragma('schema_version');
    return db;
  } catch (err) {
    throw databaseError(file, err, true);
  }
}

function sizeOf(file: string): number {
  const st = statSync(file);
  if (st.isDirectory()) throw new DatabaseError(file, 'is a folder, not a database file; pass the path of a file (it is created if missing) with --db', 'other');
  return st.size;
}

/** SQLite says only "unable to open database file": say what is in the way (read-only, permissions, full). */
function whyNotWritable(file: string, readonly: boolean): string {
  if (readonly || file === ':memory:') return '';
  for (const [path, what] of [[file, 'file'], [dirname(file), 'folder']] as const) {
    if (what === 'file' && !existsSync(path)) continue;
    try {
      accessSync(path, constants.W_OK);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EROFS') return ` (the filesystem of ${dirname(file)} is read-only)`;
      if (code === 'EACCES') return ` (no permission to write ${what === 'file' ? file : `in ${path}`})`;
    }
  }
  try {
    // SQLite reports a full disk at open as an I/O error on its -shm file: name it.
    if (statfsSync(dirname(file)).bavail === 0) return ` (disk full at ${dirname(file)})`;
  } catch {
    /* no answer: say nothing more */
  }
  return '';
}

function checkHeader(file: string): void {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(16);
    readSync(fd, buf, 0, 16, 0);
    if (buf.toString('latin1') !== SQLITE_HEADER) {
      throw new DatabaseError(file, 'not an SQLite database (wrong header); it was left as it is — pass another --db file or move it aside', 'damaged');
    }
  } finally {
    closeSync(fd);
  }
}
