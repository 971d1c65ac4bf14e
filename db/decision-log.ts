import type { Decision } from '../policy-engine/types';
import { BatchedWriter, type BatchedWriterOptions, type WriterStatus } from './batched-writer';
import type { DecisionRecord } from '../policy-engine/decision-record';
import { decisionToInsert, INSERT_SQL, recordToInsert } from './decision-rows';
import type { Db } from './open';

export type DecisionLogOptions = BatchedWriterOptions;
export type DecisionLogStatus = WriterStatus;

/** The decision log's writer: one row per decision, batched (see BatchedWriter). */
export class DecisionLog extends BatchedWriter {
  constructor(db: Db, options: DecisionLogOptions = {}) {
    super(db, INSERT_SQL, options);
  }

  /** Queue one decision; `ts` is its wall-clock time in ms, `runId` the replay run it belongs to. */
  appendDecision(decision: Decision, ts: number, runId: number | null = null): void {
    this.append(decisionToInsert(decision, ts, runId));
  }

  /** Queue a decision already made into its record (the live agent sends the same record to the UI). */
  appendRecord(record: DecisionRecord): void {
    this.append(recordToInsert(record));
  }
}
