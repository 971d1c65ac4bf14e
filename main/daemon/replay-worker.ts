// A replay on its own thread: the daemon is also the live agent, and a long replay must not
// hold its event loop (pressure events, the API, the UI's streams) for seconds.
import { parentPort, workerData } from 'node:worker_threads';
import { openDatabase } from '../../db/open';
import { parseScenarioText } from '../../host/scenario/validate';
import { createBuiltinRegistry } from '../../policy-engine/policies/index';
import { replayWithTimelines } from './replay-service';

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
  const db = job.dbPath ? openDatabase(job.dbPath) : null;
  try {
    const scenario = parseScenarioText(job.text, 'scenario');
    return { ok: true, report: replayWithTimelines({ scenario, text: job.text, policies: job.policies, seed: job.seed, params: job.params, db }, createBuiltinRegistry()) };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err) };
  } finally {
    db?.close();
  }
}

if (parentPort) parentPort.postMessage(run(workerData as ReplayJob));
