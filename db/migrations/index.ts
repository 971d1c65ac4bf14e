import * as m0001 from './0001-initial';

export interface Migration {
  version: number;
  sql: string;
}

/** Every migration in order; the last one's version is the schema this code writes. */
export const MIGRATIONS: readonly Migration[] = [m0001];
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;
