import { homedir } from 'node:os';
import { join } from 'node:path';

/** $XDG_DATA_HOME/reclaimd/reclaimd.db, else ~/.local/share/reclaimd/reclaimd.db. */
export function defaultDatabasePath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_DATA_HOME && env.XDG_DATA_HOME.startsWith('/') ? env.XDG_DATA_HOME : join(env.HOME || homedir(), '.local', 'share');
  return join(base, 'reclaimd', 'reclaimd.db');
}
