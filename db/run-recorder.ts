import type { Decision } from '../policy-engine/types';
import { DecisionLog, type DecisionLogStatus } from './decision-log';
import { errorText } from './errors';
import type { Db } from './open';
import { insertRun, updateRunMetrics } from './runs';

export interface RecordedRun {
  /** null when the run could not even be registered (read-only or full disk). */
  runId: number | null;
  log: DecisionLogStatus;
}

/**
 * Stores one replay run: its row in `runs`, each decision as it is made (scenario time is
 * mapped onto the wall-clock start), and its metrics at the end. Storage failures are
 * reported in the result, never thrown: the replay itself goes on.
 */
export class RunRecorder {
  private readonly log: DecisionLog;
  private runId: number | null = null;
  private startError: string | null = null;

  constructor(
    private readonly db: Db,
    run: { scenario: string; scenarioHash: string; policy: string; params: unknown; seed: number; host: string },
    private readonly startedAt = Date.now(),
    /** Decision times are scenario ms from the start (a replay), or already wall-clock (a lab). */
    private readonly relativeTimes = true,
  ) {
    this.log = new DecisionLog(db);
    try {
      this.runId = insertRun(db, { ...run, createdAt: startedAt, metrics: {} });
    } catch (err) {
      this.startError = errorText(err);
    }
  }

  readonly onDecision = (d: Decision): void => {
    if (this.runId !== null) this.log.appendDecision(d, this.relativeTimes ? this.startedAt + d.at : d.at, this.runId);
  };

  finish(metrics: Record<string, unknown>): RecordedRun {
    const status = this.log.close();
    if (this.runId !== null) {
      try {
        updateRunMetrics(this.db, this.runId, metrics);
      } catch (err) {
        status.lastError ??= errorText(err);
      }
    } else status.lastError = this.startError;
    return { runId: this.runId, log: status };
  }
}
