import type { Db } from '../db';
import * as m0001 from './0001-initial';
import * as m0002 from './0002-kill-reason';
import * as m0003 from './0003-recordings';
import * as m0004 from './0004-demote';

export interface Migration {
  version: number;
  sql: string;
  /** Steps SQL text cannot say (a table rebuilt from its own current definition), run after `sql`. */
  up?: (db: Db) => void;
}

/**
 * Every migration in order; the last one's version is the schema this code writes. Numbers
 * may have gaps (a parallel branch's migration not merged yet): db/migrate.ts tracks each.
 */
export const MIGRATIONS: readonly Migration[] = [m0001, m0002, m0003, m0004];
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;
