// The api file: { url, port, token, pid } for the desktop window to find the daemon. It
// often lives in a shared folder (/run/reclaimd), so it is written without ever opening or
// following what is already at its name: a link planted there is replaced, not written through.
import { randomBytes } from 'node:crypto';
import { closeSync, fchmodSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/**
 * Owner read-write, group read: the token in it is the key to the API, and the systemd
 * unit's group `reclaimd` is how a desktop user's window gets to read it.
 */
export const API_FILE_MODE = 0o640;
/** Its folder when reclaimd creates it: the group may enter, others may not. */
const API_DIR_MODE = 0o750;

export class ApiFileError extends Error {
  constructor(readonly file: string, cause: Error) {
    super(`--api-file ${file}: ${cause.message}`);
    this.name = 'ApiFileError';
  }
}

/** Write the file whole under a fresh name beside it, with its final mode, then rename it into place. */
export function writeApiFile(file: string, info: { url: string; port: number; token: string; pid: number }): void {
  const dir = dirname(file);
  const tmp = join(dir, `.${basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    mkdirSync(dir, { recursive: true, mode: API_DIR_MODE });
    // 'wx' is O_CREAT|O_EXCL: it creates a new file or fails; it never follows a link.
    const fd = openSync(tmp, 'wx', API_FILE_MODE);
    try {
      fchmodSync(fd, API_FILE_MODE); // the umask may have removed the group's read bit
      writeSync(fd, JSON.stringify(info) + '\n');
    } finally {
      closeSync(fd);
    }
    // rename replaces whatever is at the name (a link included) without following it.
    renameSync(tmp, file);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw new ApiFileError(file, err as Error);
  }
}

/**
 * Remove the api file if it is still ours (its pid is this process): a newer daemon's file,
 * written over ours, is left alone. Called first when the daemon stops, and again at process
 * exit, so no exit path but SIGKILL leaves a file naming a daemon that is gone.
 */
export function removeApiFile(file: string): void {
  try {
    const info = JSON.parse(readFileSync(file, 'utf8')) as { pid?: unknown };
    if (info.pid === process.pid) rmSync(file, { force: true });
  } catch {
    // Gone already, or not ours to judge: nothing to remove.
  }
}
