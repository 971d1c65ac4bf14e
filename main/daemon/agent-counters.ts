import type { DecisionRecord } from '../../policy-engine/decision-record';
import type { PressureLevel } from '../../policy-engine/types';

/** Running totals for status and the Prometheus endpoint, by policy. */
export class AgentCounters {
  decisions = 0;
  kills = 0;
  reclaimedBytes = 0;
  level: PressureLevel = 'none';
  psiSome: number | null = null;
  psiFull: number | null = null;
  engineErrors = 0;
  lastEngineError: string | null = null;
  /** `${policy}\t${action}\t${result}` → count */
  readonly decisionsBy = new Map<string, number>();
  /** `${policy}\t${kind}` → bytes */
  readonly reclaimedBy = new Map<string, number>();
  /** policy → kills carried out */
  readonly killsBy = new Map<string, number>();

  add(d: DecisionRecord): void {
    this.decisions++;
    bump(this.decisionsBy, `${d.policy}\t${d.action}\t${d.result}`, 1);
    if (d.result !== 'ok') return;
    if (d.action === 'kill') {
      this.kills++;
      bump(this.killsBy, d.policy, 1);
    } else {
      this.reclaimedBytes += d.reclaimedBytes;
      bump(this.reclaimedBy, `${d.policy}\tanon`, d.reclaimedAnonBytes);
      bump(this.reclaimedBy, `${d.policy}\tfile`, d.reclaimedFileBytes);
    }
  }

  noteEngineError(err: unknown): void {
    this.engineErrors++;
    this.lastEngineError = err instanceof Error ? err.message : String(err);
  }
}

function bump(map: Map<string, number>, key: string, by: number): void {
  map.set(key, (map.get(key) ?? 0) + by);
}
