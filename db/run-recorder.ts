import type { Decision } from '../policy-engine/types';
import { DecisionLog, type DecisionLogStatus } from './decision-log';
import { noteWriteFailure } from './health';
import type { Db } from './open';
import { findSameRun, insertRun, updateRunMetrics, type RunInputs } from './runs';

export interface RecordedRun {
  /** null when the run was not stored (read-only, full or damaged file): see `notStored`. */
  runId: number | null;
  log: DecisionLogStatus;
  /** Why the run is not in the database, or null when it and every decision are. */
  notStored: string | null;
  /** The same run (inputs and outcome) was stored already: `runId` is that one, this one was not stored again. */
  reused?: boolean;
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
    private readonly run: RunInputs & { scenario: string },
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

  /**
   * As finish(), unless the same run (inputs and outcome) is stored already: then this one is
   * rolled back and that one's id returned, so replaying a run again never lists it twice.
   * Looked up inside this run's write transaction: two identical replays at once store one.
   */
  finishUnlessStored(metrics: Record<string, unknown>): RecordedRun {
    if (this.failure === null && this.runId !== null) {
      let same: number | null = null;
      try {
        same = findSameRun(this.db, this.run, metrics, this.runId);
      } catch (err) {
        this.failure = noteWriteFailure(this.db, err);
      }
      if (same !== null) {
        this.rollback();
        return { runId: same, log: { ...this.log.status, written: 0, buffered: 0 }, notStored: null, reused: true };
      }
    }
    return this.finish(metrics);
  }

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
    this.rollback();
    return { runId: null, log: { ...this.log.status, written: 0, buffered: 0, lastError: this.failure }, notStored: this.failure };
  }

  private rollback(): void {
    if (!this.db.inTransaction) return;
    try {
      this.db.exec('ROLLBACK');
    } catch {
      /* already rolled back by SQLite */
    }
  }
}
