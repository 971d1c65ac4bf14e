import { noteWriteFailure, writeStopped } from './health';
import type { Db } from './open';

export interface RetentionPolicy {
  /** Delete rows older than this (ms); 0 keeps everything by age. */
  maxAgeMs: number;
  /** Keep at most this many decision rows (and as many recording rows); 0 means no limit. */
  maxRows: number;
}

export const DEFAULT_RETENTION: RetentionPolicy = { maxAgeMs: 30 * 24 * 3_600_000, maxRows: 1_000_000 };

/**
 * Delete one chunk of rows that retention no longer keeps; returns how many went. Small
 * chunks keep each write transaction short, so the agent's own writes never wait long.
 */
export function pruneChunk(db: Db, policy: RetentionPolicy, now: number, chunkRows = 2000): number {
  let deleted = 0;
  if (policy.maxAgeMs > 0) {
    const cutoff = now - policy.maxAgeMs;
    deleted += db.prepare('DELETE FROM decisions WHERE id IN (SELECT id FROM decisions WHERE ts < ? ORDER BY ts LIMIT ?)').run(cutoff, chunkRows).changes;
    deleted += db.prepare('DELETE FROM pressure_samples WHERE id IN (SELECT id FROM pressure_samples WHERE ts < ? ORDER BY ts LIMIT ?)').run(cutoff, chunkRows).changes;
    // Recordings age like the decisions they refer to: their rows by time, then a finished
    // recording whose end is past the cutoff (its few remaining rows go with it, by cascade).
    deleted += db.prepare('DELETE FROM recording_rows WHERE id IN (SELECT id FROM recording_rows WHERE ts < ? ORDER BY ts LIMIT ?)').run(cutoff, chunkRows).changes;
    deleted += db.prepare('DELETE FROM recordings WHERE ended_at IS NOT NULL AND ended_at < ?').run(cutoff).changes;
  }
  if (policy.maxRows > 0 && deleted < chunkRows) {
    const boundary = db.prepare('SELECT id FROM decisions ORDER BY id DESC LIMIT 1 OFFSET ?').get(policy.maxRows) as { id: number } | undefined;
    if (boundary) {
      deleted += db.prepare('DELETE FROM decisions WHERE id IN (SELECT id FROM decisions WHERE id <= ? ORDER BY id LIMIT ?)').run(boundary.id, chunkRows - deleted).changes;
    }
  }
  // The same row bound holds for recording rows on their own: a long recording of a busy
  // machine must not grow the file past what the decision log may.
  if (policy.maxRows > 0 && deleted < chunkRows) {
    const boundary = db.prepare('SELECT id FROM recording_rows ORDER BY id DESC LIMIT 1 OFFSET ?').get(policy.maxRows) as { id: number } | undefined;
    if (boundary) {
      deleted += db.prepare('DELETE FROM recording_rows WHERE id IN (SELECT id FROM recording_rows WHERE id <= ? ORDER BY id LIMIT ?)').run(boundary.id, chunkRows - deleted).changes;
    }
  }
  return deleted;
}

/**
 * Run retention to completion without blocking: one chunk per turn of the event loop.
 * Resolves with the rows deleted; a failure (full disk…) resolves with what was done.
 */
export function pruneInBackground(db: Db, policy: RetentionPolicy, now: number, chunkRows = 2000): Promise<{ deleted: number; error: string | null }> {
  return new Promise((resolve) => {
    let deleted = 0;
    const step = () => {
      // Never delete in a file found damaged or moved away (see health.ts).
      const halt = writeStopped(db);
      if (halt !== null) return resolve({ deleted, error: halt });
      try {
        const n = pruneChunk(db, policy, now, chunkRows);
        deleted += n;
        if (n > 0) setImmediate(step);
        else resolve({ deleted, error: null });
      } catch (err) {
        resolve({ deleted, error: noteWriteFailure(db, err) });
      }
    };
    setImmediate(step);
  });
}
