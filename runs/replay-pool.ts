import { Worker } from 'node:worker_threads';
import { compiledScript } from '../host/worker-script';
import { ApiError } from '../common/api/api-error';
import type { ReplayReportInfo } from '../common/api/contract';
import type { ReplayJob, ReplayJobResult } from './replay-worker';

/** Replays at once beyond which a request is told to come back (each holds a core). */
const MAX_RUNNING = 2;

/**
 * Runs each replay on a worker thread of its own, at most two at a time in the daemon;
 * `reclaimd bench` allows one per core, since it has no live agent to keep a core for.
 */
export class ReplayRunner {
  private running = 0;

  constructor(private readonly maxRunning = MAX_RUNNING) {}

  run(job: ReplayJob): Promise<ReplayReportInfo> {
    if (this.running >= this.maxRunning) return Promise.reject(new ApiError(503, `busy: ${this.running} replays are running; retry when one is done`));
    this.running++;
    return new Promise<ReplayReportInfo>((resolve, reject) => {
      const worker = new Worker(compiledScript(__dirname, 'replay-worker.js'), { workerData: job });
      let settled = false;
      const done = (f: () => void) => {
        if (settled) return;
        settled = true;
        this.running--;
        f();
      };
      worker.once('message', (r: ReplayJobResult) => done(() => (r.ok ? resolve(r.report) : reject(new ApiError(500, `replay failed: ${r.error}`)))));
      worker.once('error', (err) => done(() => reject(new ApiError(500, `replay failed: ${err.message}`))));
      worker.once('exit', (code) => done(() => reject(new ApiError(500, `the replay's thread ended (code ${code}) before its report`))));
    });
  }
}
