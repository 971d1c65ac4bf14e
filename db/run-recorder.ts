import type { Decision } from '../policy-engine/types';
import { DecisionLog, type DecisionLogStatus } from './decision-log';
import { noteWriteFailure } from './health';
import type { Db } from './open';
import { insertRun, updateRunMetrics } from './runs';

export interface RecordedRun {
  /** null when the run was not stored (read-only, full or damaged file): see `notStored`. */
  runId: number | null;
  log: DecisionLogStatus;
  /** Why the run is not in the database, or null when it and every decision are. */
  notStored: string | null;
}

/**
 * Stores one replay run, all or nothing: its row in `runs`, each decision as it is made
 * (scenario time mapped onto the wall-clock start) and its metrics at the end, in one
 * transaction. When any write fails (a full disk…) the transaction is rolled back, so no
 * run is left with only some of its decisions; the reason is in the result, never thrown
 * (the replay itself goes on). The transaction holds the write lock for the replay's
 * length (milliseconds for the bundled scenarios): other writers wait (busy timeout).
 */
export class RunRecorder {
  private readonly log: DecisionLog;
  private runId: number | null = null;
  private failure: string | null = null;

  constructor(
    private readonly db: Db,
    run: { scenario: string; scenarioHash: string; policy: string; params: unknown; seed: number; host: string },
    private readonly startedAt = Date.now(),
    /** Decision times are scenario ms from the start (a replay), or already wall-clock (a lab). */
    private readonly relativeTimes = true,
  ) {
    this.log = new DecisionLog(db);
    try {
      db.exec('BEGIN IMMEDIATE');
      this.runId = insertRun(db, { ...run, createdAt: startedAt, metrics: {} });
    } catch (err) {
      this.failure = noteWriteFailure(db, err);
    }
  }

  readonly onDecision = (d: Decision): void => {
    if (this.runId === null || this.failure !== null) return;
    this.log.appendDecision(d, this.relativeTimes ? this.startedAt + d.at : d.at, this.runId);
    // After a failed write SQLite may have rolled the transaction back itself: write no more.
    this.failure = this.log.status.lastError;
  };

  finish(metrics: Record<string, unknown>): RecordedRun {
    if (this.failure === null) {
      this.log.flush();
      this.failure = this.log.status.lastError;
    }
    if (this.failure === null) {
      try {
        updateRunMetrics(this.db, this.runId!, metrics);
        this.db.exec('COMMIT');
        return { runId: this.runId, log: { ...this.log.status }, notStored: null };
      } catch (err) {
        this.failure = noteWriteFailure(this.db, err);
      }
    }
    if (this.db.inTransaction) {
      try {
        this.db.exec('ROLLBACK');
      } catch {
        /* already rolled back by SQLite */
      }
    }
    return { runId: null, log: { ...this.log.status, written: 0, buffered: 0, lastError: this.failure }, notStored: this.failure };
  }
}
