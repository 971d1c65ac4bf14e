import Database from 'better-sqlite3';
import { accessSync, closeSync, constants, existsSync, mkdirSync, openSync, readSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseError, errorText, isStorageFailure } from './errors';
import { migrate } from './migrate';

export type Db = Database.Database;

const SQLITE_HEADER = 'SQLite format 3\0';

export interface OpenOptions {
  readonly?: boolean;
  /** How long a writer waits for another's lock before SQLITE_BUSY. */
  busyTimeoutMs?: number;
}

/**
 * Open (creating if needed) a reclaimd database and bring its schema up to date. A file
 * that is not SQLite, is damaged, or comes from a newer reclaimd is refused with a clear
 * error before anything is written to it.
 */
export function openDatabase(file: string, options: OpenOptions = {}): Db {
  const existed = file !== ':memory:' && existsSync(file) && statSync(file).size > 0;
  if (existed) checkHeader(file);
  if (file !== ':memory:' && !options.readonly) {
    try {
      mkdirSync(dirname(file), { recursive: true });
    } catch (err) {
      throw new DatabaseError(file, `cannot create its folder: ${errorText(err)}`, 'storage');
    }
  }

  let db: Db;
  try {
    db = new Database(file, { readonly: options.readonly ?? false, fileMustExist: options.readonly ?? false, timeout: options.busyTimeoutMs ?? 5000 });
  } catch (err) {
    throw new DatabaseError(file, `cannot open: ${errorText(err)}${whyNotWritable(file, options.readonly ?? false)}`, isStorageFailure(err) ? 'storage' : 'other');
  }
  try {
    if (existed) {
      // Read before writing: a damaged schema or a newer version must not be touched.
      db.pragma('schema_version');
    }
    if (!options.readonly) {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma('foreign_keys = ON');
      migrate(db, file);
    }
    return db;
  } catch (err) {
    db.close();
    if (err instanceof DatabaseError) throw err;
    const code = (err as { code?: string }).code ?? '';
    if (code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT')) {
      throw new DatabaseError(file, `the file is damaged (${errorText(err)}); it was left as it is — move it aside to start a new log`, 'damaged');
    }
    throw new DatabaseError(file, `cannot use the database: ${errorText(err)}`, isStorageFailure(err) ? 'storage' : 'other');
  }
}

/** SQLite says only "unable to open database file": say what is in the way, when it is the folder. */
function whyNotWritable(file: string, readonly: boolean): string {
  if (readonly || file === ':memory:') return '';
  try {
    accessSync(dirname(file), constants.W_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EROFS') return ` (the filesystem of ${dirname(file)} is read-only)`;
    if (code === 'EACCES') return ` (no permission to write in ${dirname(file)})`;
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
