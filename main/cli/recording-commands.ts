import { closeSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { listRecordings } from '../../db/recordings';
import { formatDuration } from '../../common/format';
import { exportRecording, RecordingExportError } from '../../runs/recording-export';
import { parseArgs, stringFlag, UsageError } from './args';
import { DB_FLAG, dbFile, openExisting, using } from './db-commands';
import type { CommandIO } from './io';
import { termSafe } from './terminal-text';

const USAGE = 'usage: reclaimd recording list [--db FILE] [--json] | reclaimd recording export <id> --out FILE [--anonymize] [--force] [--db FILE]';

/** `reclaimd recording list|export`: what the live agent recorded (run --record, serve's setting). */
export function recordingCommand(argv: readonly string[], io: CommandIO): number {
  const [sub, ...rest] = argv;
  if (sub === 'list') {
    const args = parseArgs(rest, { ...DB_FLAG, json: { value: false, description: 'print one JSON array' } });
    if (args.positionals.length) throw new UsageError(`recording list takes no arguments, got "${args.positionals[0]}"`);
    const list = using(openExisting(args), dbFile(args), (db) => listRecordings(db, 1000));
    if (args.flags.has('json')) {
      io.out(JSON.stringify(list));
      return 0;
    }
    if (list.length === 0) io.out('no recordings (record with "reclaimd run --record" or the record setting of "serve --host linux")');
    for (const r of list) {
      const span = r.endedAt === null ? 'still recording (or stopped without its end)' : formatDuration(r.endedAt - r.startedAt);
      io.out(termSafe(`#${r.id}  ${new Date(r.startedAt).toISOString()}  ${span}  ${r.host}${r.scope ? ` ${r.scope}` : ''}  policy ${r.settings.policy}  ${r.processes} processes, ${r.rows} rows, ${r.decisions} decisions${r.stopReason ? `  stopped: ${r.stopReason}` : ''}`));
    }
    return 0;
  }
  if (sub === 'export') {
    const args = parseArgs(rest, {
      ...DB_FLAG,
      out: { value: true, description: 'the scenario file to write' },
      anonymize: { value: false, description: 'keep only app labels (app-1, …): no process name, command line or memcg path' },
      force: { value: false, description: 'overwrite --out if it exists' },
    });
    if (args.positionals.length !== 1 || !/^\d+$/.test(args.positionals[0])) throw new UsageError(`recording export needs one recording id (a number), got ${args.positionals.length ? `"${args.positionals.join(' ')}"` : 'none'}; ${USAGE}`);
    const out = stringFlag(args, 'out');
    if (out === undefined) throw new UsageError(`recording export: --out FILE is required; ${USAGE}`);
    const id = Number(args.positionals[0]);
    let scenario: Record<string, unknown>;
    try {
      scenario = using(openExisting(args), dbFile(args), (db) => exportRecording(db, id, { anonymize: args.flags.has('anonymize') }));
    } catch (err) {
      if (err instanceof RecordingExportError) throw new UsageError(`recording export ${id}: ${err.message}`);
      throw err;
    }
    writeNew(out, JSON.stringify(scenario, null, 2) + '\n', args.flags.has('force'));
    io.err(`wrote ${termSafe(out)}: recording #${id} as scenario "${scenario.name as string}" (${(scenario.apps as unknown[]).length} apps, ${(scenario.timeline as unknown[]).length} steps); replay it with: reclaimd replay ${termSafe(out)} --compare baselines`);
    return 0;
  }
  throw new UsageError(USAGE);
}

/**
 * Write a file that must not replace anything unasked: without --force an existing file is an
 * error (`wx`); with it, the text goes to a fresh name beside it and is renamed over, so a
 * failure half-way never leaves a truncated file, and a link at that name is replaced, not followed.
 */
function writeNew(file: string, text: string, force: boolean): void {
  const target = force ? join(dirname(file), `.${process.pid}-${Date.now()}.reclaimd-export`) : file;
  let fd: number;
  try {
    fd = openSync(target, 'wx', 0o644);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new UsageError(`--out ${file}: the file exists; choose another name, or add --force to overwrite it`);
    throw new UsageError(`--out ${file}: cannot write (${code ?? (err as Error).message})`);
  }
  try {
    writeSync(fd, text);
  } catch (err) {
    // A full disk: the file we made is ours to take back; nothing of the user's was touched.
    closeSync(fd);
    rmSync(target, { force: true });
    throw new UsageError(`--out ${file}: cannot write (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); nothing was written`);
  }
  closeSync(fd);
  if (force) renameSync(target, file);
}
