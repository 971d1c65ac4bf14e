import { ParamError } from '../../policy-engine/params';
import { UnknownPolicyError } from '../../policy-engine/registry';
import { ScenarioError } from '../../scenario/scenario';
import { DatabaseError } from '../../db/errors';
import { CursorError } from '../../db/history';
import { PriorityError } from '../../db/priorities';
import { UsageError } from './args';
import { historyCommand, prioritiesCommand, runsCommand } from './db-commands';
import { doctorCommand, reclaimCommand, runCommand } from './linux-commands';
import { calibrateCommand } from './calibrate-command';
import { labCommand } from './lab-command';
import { processIO, type CommandIO } from './io';
import { termSafe } from './terminal-text';
import { policiesCommand } from './policies-command';
import { benchCommand } from './bench-command';
import { replayCommand } from './replay-command';
import { scenarioCommand, scenariosCommand } from './scenario-commands';
import { serveCommand } from './serve-command';
import { recordingCommand } from './recording-commands';

const USAGE = `usage: reclaimd <command> [options]

commands:
  replay <scenario> [--policy reclaim] [--compare android,lmkd,none | baselines] [--seed N] [--params JSON] [--json]
                         replay a scenario on the simulated device and compare policies
  bench [<scenario>...] [--scenarios DIR] [--seeds 5] [--policies reclaim,lmkd,...] [--params JSON] [--jobs N] [--json]
                         every scenario × seed × policy on the simulator, on every core:
                         median and min–max per metric, the best marked; progress on stderr
  scenarios [--json]     list the bundled scenarios
  scenario validate <file>
  scenario generate [--apps 50] [--duration 1h] [--seed 1] [--device phone-4g] [--crowd] [--out FILE]
  policies [--json]      list the policies with their parameters and defaults
  history [--db FILE] [--app X] [--since 1h] [--kind anon] [--action kill] [--level critical]
          [--result ok] [--run N | --live] [--limit N] [--after CURSOR] [--totals | --hourly] [--json | --csv]
                         the decision log, newest first
  priorities list | set <app> <protected|high|normal|low|expendable> [--note T] | clear <app>  [--db FILE]
  runs [--db FILE] [--json]  stored replay runs
  recording list [--db FILE] [--json]
  recording export <id> --out FILE [--anonymize] [--force] [--db FILE]
                         a recording of the live agent (run --record) as a scenario file to replay;
                         --anonymize keeps only app labels; --out is never overwritten without --force

the app:
  serve [--host sim|linux] [--scenario FILE] [--policy P] [--dry-run] [--port N] [--db FILE | --no-db]
        [--bind ADDR] [--memcg PATH] [--api-file FILE]
                         the agent + the local API + the UI; prints "reclaimd: UI at http://127.0.0.1:<port>/?token=…"

live (Linux):
  run [--policy reclaim] [--dry-run] [--memcg PATH] [--db FILE | --no-db] [--foreground PID,...] [--duration 30s] [--record] [--json]
                         the live agent: kernel pressure events → per-process reclaim; Ctrl-C stops
  doctor [--json]        what this machine offers (PSI, vmpressure, process_madvise, swap, privileges)
  reclaim <pid> file|anon|all|demote [--cold] [--json]
                         reclaim one process now, printing before/after; exit 1 with the reason if refused
  reclaim --cgroup <dir> <size>   ask a cgroup v2 memory.reclaim for that much
  lab <scenario> [--policy reclaim] [--compare lmkd,none] [--params JSON] [--time-scale K] [--db FILE] [--json]
                         play the scenario with real processes in a memcg the size of its device,
                         beside the simulator's prediction (root)
  calibrate [scenario...] [--runs 3] [--policies reclaim,lmkd,none] [--time-scale K] [--json]
                         each lab scenario (default: the three bundled lab-*) --runs times per policy:
                         the simulator's prediction beside the lab's median and min–max, their ratio,
                         and whether the lab's verdict held in every run (root; RECLAIMD_KERNEL_LOCK=FILE
                         takes that flock around each run)

replay --db FILE stores each run and every decision. The default database is
$XDG_DATA_HOME/reclaimd/reclaimd.db (~/.local/share/reclaimd/reclaimd.db).

A scenario is a file path or the name of a bundled one (e.g. game-call).`;

/** Runs one CLI invocation; resolves to the exit code (2 for bad input, 1 for internal errors). */
export async function main(argv: readonly string[], io: CommandIO = processIO): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'replay':
        return replayCommand(rest, io);
      case 'bench':
        return await benchCommand(rest, io);
      case 'scenarios':
        return scenariosCommand(rest, io);
      case 'scenario':
        return scenarioCommand(rest, io);
      case 'policies':
        return policiesCommand(rest, io);
      case 'history':
        return historyCommand(rest, io);
      case 'priorities':
        return prioritiesCommand(rest, io);
      case 'runs':
        return runsCommand(rest, io);
      case 'recording':
        return recordingCommand(rest, io);
      case 'run':
        return await runCommand(rest, io);
      case 'doctor':
        return await doctorCommand(rest, io);
      case 'reclaim':
        return reclaimCommand(rest, io);
      case 'lab':
        return await labCommand(rest, io);
      case 'calibrate':
        return await calibrateCommand(rest, io);
      case 'serve':
        return await serveCommand(rest, io);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        io.out(USAGE);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (err) {
    return reportError(err, io);
  }
}

function reportError(err: unknown, io: CommandIO): number {
  if (err instanceof ScenarioError) {
    io.err(`reclaimd: invalid scenario ${termSafe(err.source)}:`);
    for (const issue of err.issues) io.err(`  ${termSafe(issue.path)}: ${termSafe(issue.message)}`);
    return 2;
  }
  if (err instanceof UsageError) {
    io.err(`reclaimd: ${termSafe(err.message)}`);
    io.err(`run "reclaimd help" for usage`);
    return 2;
  }
  if (err instanceof UnknownPolicyError || err instanceof ParamError || err instanceof DatabaseError || err instanceof PriorityError || err instanceof CursorError) {
    io.err(`reclaimd: ${termSafe(err.message)}`);
    return 2;
  }
  io.err(`reclaimd: internal error: ${termSafe(err instanceof Error ? err.message : String(err))}`);
  if (process.env.RECLAIMD_DEBUG && err instanceof Error) io.err(err.stack ?? '');
  return 1;
}

/** A reader that went away (`reclaimd history | head`) is not an error. */
export function quietOnClosedPipe(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw err;
    });
  }
}

if (require.main === module) {
  quietOnClosedPipe();
  void main(process.argv.slice(2)).then((code) => (process.exitCode = code));
}
