/** The database cannot be used; the message says why and what to do. Nothing was changed. */
export class DatabaseError extends Error {
  /**
   * storage: the disk refused (read-only, full, no permission) — the data may be fine.
   * stopped: writing to an open file stopped (found damaged mid-run, or moved away).
   */
  constructor(readonly file: string, message: string, readonly kind: 'damaged' | 'newer' | 'storage' | 'stopped' | 'other' = 'other') {
    super(`${file}: ${message}`);
    this.name = 'DatabaseError';
  }
}

/** SQLite error codes that mean "the disk, not the data": the agent goes on, logging is degraded. */
export function isStorageFailure(err: unknown): boolean {
  const code = (err as { code?: string } | null)?.code ?? '';
  return /^SQLITE_(FULL|READONLY|IOERR|CANTOPEN|BUSY|LOCKED|PERM)/.test(code);
}

export function errorText(err: unknown): string {
  const code = (err as { code?: string } | null)?.code;
  // Not instanceof Error: errors from a native module may come from another realm (jest).
  const raw = (err as { message?: unknown } | null)?.message;
  const message = typeof raw === 'string' ? raw : String(err);
  return code ? `${code}: ${message}` : message;
}
