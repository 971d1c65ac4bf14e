import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { defaultDatabasePath } from '../../db/paths';
import { loadScenario } from '../../scenario/load';
import { createBuiltinRegistry } from '../../policy-engine/policies/index';
import type { Settings } from '../../common/api/contract';
import { startDaemon } from '../daemon/daemon';
import { intFlag, parseArgs, stringFlag, UsageError } from './args';
import type { CommandIO } from './io';
import { checkedParamsByPolicy } from './policy-args';
import { ApiFileError } from '../daemon/api-file';

export const DEFAULT_PORT = 7420;
const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

/** The built renderer, found from dist/main/cli (or the sources under ts-jest). */
export function rendererDir(): string {
  for (const candidate of [join(__dirname, '..', '..', 'renderer'), join(__dirname, '..', '..', 'dist', 'renderer')]) {
    if (existsSync(join(candidate, 'js', 'app.js'))) return candidate;
  }
  throw new UsageError('the UI is not built: run "npm run build" first');
}

/**
 * `reclaimd serve`: the agent, the API and the UI until Ctrl-C. Prints one line with the
 * URL (and its fresh token) on stdout; everything else goes to stderr.
 */
export async function serveCommand(argv: readonly string[], io: CommandIO, stop?: Promise<void>): Promise<number> {
  const args = parseArgs(argv, {
    host: { value: true, description: 'sim or linux (default: as set in Settings, else sim)' },
    scenario: { value: true, description: 'scenario the sim host plays, looping (default demo: game-call in 90 s)' },
    policy: { value: true, description: 'policy (default: the stored setting, else reclaim)' },
    params: { value: true, description: 'JSON parameters by policy name' },
    'dry-run': { value: false, description: 'decide and log, touch nothing' },
    port: { value: true, description: `port (default ${DEFAULT_PORT}; 0 for any free port)` },
    bind: { value: true, description: 'address to listen on (default 127.0.0.1; anything else exposes the API)' },
    db: { value: true, description: 'decision log (default $XDG_DATA_HOME/reclaimd/reclaimd.db)' },
    'no-db': { value: false, description: 'run without a database' },
    memcg: { value: true, description: 'linux host: only this memcg v1 directory' },
    'api-file': { value: true, description: 'write {url, port, token, pid} here (mode 0640: owner and group) for the desktop window' },
  });
  if (args.positionals.length > 0) throw new UsageError(`serve takes no arguments (got "${args.positionals[0]}")`);
  const hostFlag = stringFlag(args, 'host');
  if (hostFlag !== undefined && hostFlag !== 'sim' && hostFlag !== 'linux') throw new UsageError(`--host: expected sim or linux, got "${hostFlag}"`);
  const policy = stringFlag(args, 'policy');
  if (policy !== undefined) createBuiltinRegistry().get(policy);
  const overrides: Partial<Settings> = {};
  if (policy !== undefined) overrides.policy = policy;
  if (args.flags.has('params')) overrides.params = checkedParamsByPolicy(args, createBuiltinRegistry());
  if (args.flags.has('dry-run')) overrides.dryRun = true;
  const bindHost = stringFlag(args, 'bind') ?? '127.0.0.1';
  const port = intFlag(args, 'port', 0, 65535) ?? DEFAULT_PORT;
  const dbPath = args.flags.has('no-db') ? null : (stringFlag(args, 'db') ?? defaultDatabasePath());
  const scenario = loadScenario(stringFlag(args, 'scenario') ?? 'demo');
  const log = (line: string) => io.err(`reclaimd: ${line}`);
  if (!LOOPBACK.has(bindHost)) log(`warning: listening on ${bindHost}: the API is reachable from other machines (the token still guards it)`);

  // Listened for before anything is started or announced: a SIGTERM that came between the
  // API file being written (or the URL printed) and a listener added later killed the process
  // by default, leaving the file behind (seen once in CI: test/serve-start.test.ts).
  let requestStop = () => {};
  const stopRequested = new Promise<void>((resolve) => (requestStop = resolve));
  process.once('SIGINT', requestStop);
  process.once('SIGTERM', requestStop);
  void stop?.then(requestStop);
  let daemon;
  try {
    daemon = await startDaemon({ host: hostFlag, scenario, overrides, dbPath, port, bindHost, staticDir: rendererDir(), apiFile: stringFlag(args, 'api-file'), memcg: stringFlag(args, 'memcg'), log });
  } catch (err) {
    process.off('SIGINT', requestStop);
    process.off('SIGTERM', requestStop);
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new UsageError(`port ${port} is in use (another reclaimd?): choose one with --port N, or --port 0 for any free port`);
    if (code === 'EACCES' || code === 'EADDRNOTAVAIL') throw new UsageError(`cannot listen on ${bindHost}:${port}: ${(err as Error).message}`);
    if (err instanceof ApiFileError) throw new UsageError(err.message);
    throw err;
  }
  const agent = daemon.agent;
  log(`${agent.host.detail}; policy ${agent.policyName}, ${agent.mode}`);
  for (const limit of agent.host.limits) log(limit);
  io.out(`reclaimd: UI at ${daemon.url}`);

  await stopRequested;
  const status = await daemon.stop();
  const logged = dbPath === null ? 'none logged (--no-db)' : `${status.written} logged${status.lastError ? `; logging failed: ${status.lastError}` : ''}`;
  log(`stopped; ${agent.counters.decisions} decisions, ${logged}`);
  return 0;
}
