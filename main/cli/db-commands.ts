import { ACTION_RESULTS, ACTION_TYPES, KILL_REASONS, PRESSURE_LEVELS, RECLAIM_KINDS } from '../../common/vocabulary';
import { existsSync } from 'node:fs';
import { csvHeader, csvLine } from '../../db/export';
import { appTotals, queryHistory, reclaimedPerHour, type HistoryFilter } from '../../db/history';
import { databaseError, openDatabase, type Db } from '../../db/open';
import { defaultDatabasePath } from '../../db/paths';
import { clearPriority, listPriorities, setPriority } from '../../db/priorities';
import { listRuns } from '../../db/runs';
import { formatBytes } from '../../common/format';
import { parseDuration } from '../../scenario/units';
import { intFlag, parseArgs, stringFlag, UsageError, type ParsedArgs } from './args';
import type { CommandIO } from './io';
import { termSafe } from './terminal-text';

export const DB_FLAG = { db: { value: true, description: 'database file (default $XDG_DATA_HOME/reclaimd/reclaimd.db)' } };

/**
 * Open the log for reading commands, read-only (they work on a read-only mount and cannot
 * change the file): a missing file is a clear error, not a new empty log.
 */
export function openExisting(args: ParsedArgs): Db {
  const file = dbFile(args);
  if (!existsSync(file)) throw new UsageError(`no database at ${file} (create one with "reclaimd replay <scenario> --db ${file}", or pass --db)`);
  return openDatabase(file, { readonly: true });
}

/** Run f on the open log and close it; an SQLite error (a damaged page…) says which file and what to do. */
export function using<T>(db: Db, file: string, f: (db: Db) => T): T {
  try {
    return f(db);
  } catch (err) {
    if (/^SQLITE_/.test((err as { code?: string } | null)?.code ?? '')) throw databaseError(file, err, db.readonly);
    throw err;
  } finally {
    db.close();
  }
}

export function dbFile(args: ParsedArgs): string {
  return stringFlag(args, 'db') ?? defaultDatabasePath();
}

function oneOf<T extends string>(args: ParsedArgs, name: string, allowed: readonly T[]): T | undefined {
  const v = stringFlag(args, name);
  if (v === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(v)) throw new UsageError(`--${name}: expected one of ${allowed.join(', ')}, got "${v}"`);
  return v as T;
}

/** `reclaimd history`: the decision log, newest first, filtered; text, --json or --csv. */
export function historyCommand(argv: readonly string[], io: CommandIO, now = Date.now()): number {
  const args = parseArgs(argv, {
    ...DB_FLAG,
    app: { value: true, description: 'only this app key' },
    since: { value: true, description: 'only decisions newer than this, e.g. 1h' },
    kind: { value: true, description: 'file, anon or all' },
    action: { value: true, description: 'reclaim or kill' },
    level: { value: true, description: 'low, medium or critical' },
    result: { value: true, description: 'ok, gone, denied, refused, error, unsupported, dry-run' },
    'kill-reason': { value: true, description: `kills for this reason only: ${KILL_REASONS.join(', ')}` },
    run: { value: true, description: 'only the decisions of this replay run (see "reclaimd runs")' },
    live: { value: false, description: "only the live agent's decisions" },
    limit: { value: true, description: 'rows (default 50, at most 10000)' },
    after: { value: true, description: 'cursor printed by the previous page' },
    totals: { value: false, description: 'per-app totals instead of rows' },
    hourly: { value: false, description: 'reclaimed bytes per hour instead of rows' },
    json: { value: false, description: 'print one JSON array' },
    csv: { value: false, description: 'print CSV' },
  });
  if (args.positionals.length) throw new UsageError(`history takes no arguments, got "${args.positionals[0]}"`);
  const filter: HistoryFilter = {
    app: stringFlag(args, 'app'),
    kind: oneOf(args, 'kind', RECLAIM_KINDS),
    action: oneOf(args, 'action', ACTION_TYPES),
    level: oneOf(args, 'level', PRESSURE_LEVELS),
    result: oneOf(args, 'result', ACTION_RESULTS),
    killReason: oneOf(args, 'kill-reason', KILL_REASONS),
    limit: intFlag(args, 'limit', 1, 10_000) ?? 50,
    after: stringFlag(args, 'after'),
  };
  const since = stringFlag(args, 'since');
  if (since !== undefined) {
    const ms = parseDuration(since);
    if (ms === null) throw new UsageError(`--since: expected a duration like "1h" or "30m", got "${since}"`);
    filter.since = now - ms;
  }
  const run = intFlag(args, 'run', 1, Number.MAX_SAFE_INTEGER);
  if (run !== undefined) filter.runId = run;
  if (args.flags.has('live')) filter.runId = null;

  return using(openExisting(args), dbFile(args), (db) => {
    if (args.flags.has('totals')) {
      const totals = appTotals(db, filter);
      if (args.flags.has('json')) io.out(JSON.stringify(totals));
      else for (const t of totals) io.out(`${termSafe(t.app).padEnd(24)} ${String(t.reclaims).padStart(6)} reclaims ${String(t.kills).padStart(4)} kills ${String(t.notDone).padStart(5)} not done  anon ${formatBytes(t.reclaimedAnonBytes).padStart(8)}  file ${formatBytes(t.reclaimedFileBytes).padStart(8)}`);
      return 0;
    }
    if (args.flags.has('hourly')) {
      const hours = reclaimedPerHour(db, filter);
      if (args.flags.has('json')) io.out(JSON.stringify(hours));
      else for (const h of hours) io.out(`${new Date(h.hour).toISOString().slice(0, 13)}:00  anon ${formatBytes(h.reclaimedAnonBytes).padStart(8)}  file ${formatBytes(h.reclaimedFileBytes).padStart(8)}  kills ${h.kills}`);
      return 0;
    }
    const page = queryHistory(db, filter);
    if (args.flags.has('json')) {
      io.out(JSON.stringify(page.rows));
    } else if (args.flags.has('csv')) {
      io.out(csvHeader());
      for (const r of page.rows) io.out(csvLine(r));
    } else {
      for (const r of page.rows) {
        const what = r.action === 'kill' ? 'kill' : `reclaim ${r.kind}`;
        io.out(
          `${new Date(r.ts).toISOString().replace('T', ' ').slice(0, 19)}  ${termSafe(r.policy).padEnd(9)} ${termSafe(r.level).padEnd(8)} ${termSafe(`${r.app}[${r.pid}]`).padEnd(22)} ${what.padEnd(12)} ${formatBytes(r.reclaimedBytes).padStart(8)}  ${termSafe(r.result).padEnd(8)} ${termSafe(r.reason)}`,
        );
      }
      if (page.rows.length === 0) io.err('no decisions match');
      if (page.next) io.err(`more: --after ${page.next}`);
    }
    return 0;
  });
}

/** `reclaimd priorities list | set <app> <priority> [--note T] | clear <app>`. */
export function prioritiesCommand(argv: readonly string[], io: CommandIO): number {
  const [sub, ...rest] = argv;
  const args = parseArgs(rest, { ...DB_FLAG, note: { value: true, description: 'why (shown in the UI)' }, json: { value: false, description: 'print JSON' } });
  if (sub === 'list') {
    return using(openExisting(args), dbFile(args), (db) => {
      const rows = listPriorities(db);
      if (args.flags.has('json')) io.out(JSON.stringify(rows));
      else if (rows.length === 0) io.err('no priorities set');
      else for (const r of rows) io.out(`${termSafe(r.appKey).padEnd(32)} ${r.priority.padEnd(10)} ${termSafe(r.note)}`);
      return 0;
    });
  }
  if (sub === 'set' || sub === 'clear') {
    const want = sub === 'set' ? 2 : 1;
    if (args.positionals.length !== want) throw new UsageError(sub === 'set' ? 'usage: reclaimd priorities set <app> <protected|high|normal|low|expendable>' : 'usage: reclaimd priorities clear <app>');
    return using(openDatabase(dbFile(args)), dbFile(args), (db) => {
      if (sub === 'set') {
        const row = setPriority(db, args.positionals[0], args.positionals[1], stringFlag(args, 'note') ?? '');
        io.out(termSafe(`${row.appKey}: ${row.priority}`));
      } else {
        io.out(termSafe(clearPriority(db, args.positionals[0]) ? `${args.positionals[0]}: cleared` : `${args.positionals[0]}: had no priority`));
      }
      return 0;
    });
  }
  throw new UsageError('usage: reclaimd priorities list | set <app> <priority> | clear <app>');
}

/** `reclaimd runs`: stored replay runs, newest first. */
export function runsCommand(argv: readonly string[], io: CommandIO): number {
  const args = parseArgs(argv, { ...DB_FLAG, json: { value: false, description: 'print JSON' }, limit: { value: true, description: 'rows (default 100)' } });
  return using(openExisting(args), dbFile(args), (db) => {
    const runs = listRuns(db, intFlag(args, 'limit', 1, 100_000) ?? 100);
    if (args.flags.has('json')) io.out(JSON.stringify(runs));
    else {
      for (const r of runs) {
        const m = r.metrics as Record<string, number>;
        io.out(
          `#${r.id}  ${new Date(r.createdAt).toISOString().slice(0, 19)}  ${termSafe(r.scenario).padEnd(14)} ${termSafe(r.policy).padEnd(10)} seed ${r.seed}  kills ${(m.agentKills ?? 0) + (m.oomKills ?? 0)}  stateLoss ${m.stateLoss ?? 0}  userWaitMs ${m.userWaitMs ?? 0}  decisions ${m.decisions ?? 0}`,
        );
      }
      if (runs.length === 0) io.err('no stored runs');
    }
    return 0;
  });
}
