import { Subject } from 'rxjs';
import type { DecisionLog } from '../../db/decision-log';
import { pushBounded } from '../../policy-engine/bounded';
import { toDecisionRecord, type DecisionRecord } from '../../policy-engine/decision-record';
import type { Decision } from '../../policy-engine/types';
import type { ProcessRow } from '../../common/api/contract';
import { AgentCounters } from './agent-counters';

const DECISIONS_KEPT = 500;

/**
 * Where every decision of the live agent goes, the policy's and the user's alike: the log,
 * the counters behind status and /metrics, the recent list, the last action per app, and
 * the stream the UI follows. Each is made into its record once, here.
 */
export class DecisionSink {
  readonly decisions$ = new Subject<DecisionRecord>();
  readonly counters = new AgentCounters();
  private readonly recent: DecisionRecord[] = [];
  private readonly lastActions = new Map<string, NonNullable<ProcessRow['lastAction']>>();
  /** Callers waiting for the decision that answers their manual request, by request id. */
  private readonly waiting = new Map<number, (record: DecisionRecord) => void>();

  constructor(private readonly log: DecisionLog | null) {}

  record(d: Decision): DecisionRecord {
    const record = toDecisionRecord(d, d.at, null);
    this.log?.appendRecord(record);
    this.counters.add(record);
    pushBounded(this.recent, record, DECISIONS_KEPT);
    this.lastActions.set(record.app, { ts: record.ts, action: record.action, kind: record.kind, result: record.result, reclaimedBytes: record.reclaimedBytes });
    this.decisions$.next(record);
    if (d.requestId !== undefined) {
      this.waiting.get(d.requestId)?.(record);
      this.waiting.delete(d.requestId);
    }
    return record;
  }

  /** Be called with the record of the decision answering request `id`; returns the cancel. */
  awaitRequest(id: number, answered: (record: DecisionRecord) => void): () => void {
    this.waiting.set(id, answered);
    return () => this.waiting.delete(id);
  }

  /** Write what is queued now (the user is about to look at the history). */
  flush(): void {
    this.log?.flush();
  }

  recentDecisions(limit: number): DecisionRecord[] {
    return this.recent.slice(-limit).reverse();
  }

  lastAction(appKey: string): ProcessRow['lastAction'] {
    return this.lastActions.get(appKey) ?? null;
  }

  complete(): void {
    this.decisions$.complete();
  }
}
