import { USER_PRIORITIES, type UserPriority } from '../policy-engine/types';
import type { Db } from './open';

export interface PriorityRow {
  appKey: string;
  priority: UserPriority;
  note: string;
  updatedAt: number;
}

export class PriorityError extends Error {}

export function listPriorities(db: Db): PriorityRow[] {
  return db.prepare('SELECT app_key AS appKey, priority, note, updated_at AS updatedAt FROM priorities ORDER BY app_key').all() as PriorityRow[];
}

/** Priorities as a map for the host to apply to snapshots (app key → priority). */
export function priorityMap(db: Db): Map<string, UserPriority> {
  return new Map(listPriorities(db).map((r) => [r.appKey, r.priority]));
}

export function setPriority(db: Db, appKey: string, priority: string, note = '', now = Date.now()): PriorityRow {
  if (!appKey.trim()) throw new PriorityError('the app key must not be empty');
  if (!(USER_PRIORITIES as readonly string[]).includes(priority)) {
    throw new PriorityError(`priority must be one of ${USER_PRIORITIES.join(', ')}, got "${priority}"`);
  }
  db.prepare(
    `INSERT INTO priorities (app_key, priority, note, updated_at) VALUES (?, ?, ?, ?)
     ON CONFLICT(app_key) DO UPDATE SET priority = excluded.priority, note = excluded.note, updated_at = excluded.updated_at`,
  ).run(appKey, priority, note, now);
  return { appKey, priority: priority as UserPriority, note, updatedAt: now };
}

/** Returns whether there was a priority to clear. */
export function clearPriority(db: Db, appKey: string): boolean {
  return db.prepare('DELETE FROM priorities WHERE app_key = ?').run(appKey).changes > 0;
}
