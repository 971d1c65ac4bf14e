// A replay on its own thread: the daemon is also the live agent, and a long replay must not
// hold its event loop (pressure events, the API, the UI's streams) for seconds.
import { DatabaseError } from '../db/errors';
import { openDatabase, type Db } from '../db/open';
import { parseScenarioText } from '../scenario/validate';
import { createBuiltinRegistry } from '../policy-engine/policies/index';
import { serveChannel } from '../host/worker-channel';
import { replayWithTimelines } from './replay-with-timelines';

export interface ReplayJob {
  /** The scenario file's text (validated by the caller already). */
  text: string;
  policies: string[];
  seed?: number;
  params: Record<string, unknown>;
  /** Store the runs and their decisions here, or not at all. */
  dbPath: string | null;
}

export interface ReplayProtocol {
  requests: { replay(job: ReplayJob): ReturnType<typeof replayWithTimelines> };
  commands: Record<never, never>;
  events: Record<never, never>;
}

/** One replay; what it throws goes back to the caller as the request's error. */
function run(job: ReplayJob): ReturnType<typeof replayWithTimelines> {
  let db: Db | null = null;
  let notStored: string | null = null;
  try {
    if (job.dbPath) db = openDatabase(job.dbPath);
  } catch (err) {
    // A disk that refuses the log: the replay still runs, and each run says why it was not stored.
    if (!(err instanceof DatabaseError && err.kind === 'storage')) throw err;
    notStored = err.message;
  }
  try {
    const scenario = parseScenarioText(job.text, 'scenario');
    const report = replayWithTimelines({ scenario, text: job.text, policies: job.policies, seed: job.seed, params: job.params, db }, createBuiltinRegistry());
    if (notStored !== null) for (const run of report.runs) run.notStored = notStored;
    return report;
  } finally {
    db?.close();
  }
}

serveChannel<ReplayProtocol>({ requests: { replay: run } });
