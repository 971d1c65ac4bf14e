import { compiledScript } from '../host/worker-script';
import { Channel } from '../host/worker-channel';
import { ApiError } from '../common/api/api-error';
import type { ReplayReportInfo } from '../common/api/contract';
import type { ReplayJob, ReplayProtocol } from './replay-worker';

/** Replays at once beyond which a request is told to come back (each holds a core). */
const MAX_RUNNING = 2;

/**
 * Runs each replay on a worker thread of its own, at most two at a time in the daemon;
 * `reclaimd bench` allows one per core, since it has no live agent to keep a core for.
 */
export class ReplayRunner {
  private running = 0;

  constructor(private readonly maxRunning = MAX_RUNNING) {}

  async run(job: ReplayJob): Promise<ReplayReportInfo> {
    if (this.running >= this.maxRunning) throw new ApiError(503, `busy: ${this.running} replays are running; retry when one is done`);
    this.running++;
    const worker = Channel.thread<ReplayProtocol>('replay worker', compiledScript(__dirname, 'replay-worker.js'));
    try {
      return await worker.request('replay', job);
    } catch (err) {
      // The replay's own error, or the thread's end (its exit code, or what it threw) if it died first.
      throw new ApiError(500, `replay failed: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      this.running--;
      await worker.close();
    }
  }
}
