import * as m0001 from './0001-initial';
import * as m0002 from './0002-kill-reason';

export interface Migration {
  version: number;
  sql: string;
}

/** Every migration in order; the last one's version is the schema this code writes. */
export const MIGRATIONS: readonly Migration[] = [m0001, m0002];
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;
