import type { Db } from '../db';
import * as m0001 from './0001-initial';
import * as m0002 from './0002-kill-reason';
import * as m0003 from './0003-recordings';

export interface Migration {
  version: number;
  sql: string;
  /**
   * For a migration written beside a higher-numbered one on another branch: true when its
   * schema is present. A database already versioned past it without it (the other landed
   * first) gets it applied then (db/migrate.ts). Its SQL must then be idempotent.
   */
  isApplied?: (db: Db) => boolean;
}

/** Every migration, in version order (sorted: branches may add them in any order); the last one's version is the schema this code writes. */
export const MIGRATIONS: readonly Migration[] = [m0001, m0002, m0003].sort((a, b) => a.version - b.version);
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;
