// A replay on its own thread: the daemon is also the live agent, and a long replay must not
// hold its event loop (pressure events, the API, the UI's streams) for seconds.
import { parentPort, workerData } from 'node:worker_threads';
import { DatabaseError } from '../db/errors';
import { openDatabase, type Db } from '../db/open';
import { parseScenarioText } from '../scenario/validate';
import { createBuiltinRegistry } from '../policy-engine/policies/index';
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

export type ReplayJobResult = { ok: true; report: ReturnType<typeof replayWithTimelines> } | { ok: false; error: string };

function run(job: ReplayJob): ReplayJobResult {
  let db: Db | null = null;
  let notStored: string | null = null;
  try {
    if (job.dbPath) db = openDatabase(job.dbPath);
  } catch (err) {
    // A disk that refuses the log: the replay still runs, and each run says why it was not stored.
    if (!(err instanceof DatabaseError && err.kind === 'storage')) return { ok: false, error: err instanceof Error ? err.message : String(err) };
    notStored = err.message;
  }
  try {
    const scenario = parseScenarioText(job.text, 'scenario');
    const report = replayWithTimelines({ scenario, text: job.text, policies: job.policies, seed: job.seed, params: job.params, db }, createBuiltinRegistry());
    if (notStored !== null) for (const run of report.runs) run.notStored = notStored;
    return { ok: true, report };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err) };
  } finally {
    db?.close();
  }
}

if (parentPort) parentPort.postMessage(run(workerData as ReplayJob));
