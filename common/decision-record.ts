// The decision as everyone outside the engine sees it: the log's rows, the API, the UI.
import type { ActionResult, ActionType, KillReason, PressureLevel, ReclaimKind, ReclaimMode, SignalSource } from './vocabulary';

/**
 * One decision flattened into plain fields: what the decision log stores, history returns,
 * the API sends and the UI shows (camelCase of the decisions table). `id` is 0 for a live
 * decision not yet written.
 */
export interface DecisionRecord {
  id: number;
  ts: number;
  runId: number | null;
  host: string;
  policy: string;
  level: PressureLevel;
  source: SignalSource;
  psiSomeAvg10: number | null;
  psiFullAvg10: number | null;
  psiSomeWindowMs: number | null;
  psiFullWindowMs: number | null;
  vmpressurePct: number | null;
  memTotalBytes: number;
  memAvailableBytes: number;
  swapFreeBytes: number;
  /** `skipped`: why the policy passed this one over (absent when it was chosen or not looked at). */
  candidates: { app: string; pid: number; score: number | null; eligible: boolean; why: string; skipped?: string }[];
  action: ActionType;
  kind: ReclaimKind | null;
  mode: ReclaimMode | null;
  /** A demote's destination tier (its name, e.g. `cxl` or `node1`); null for every other action. */
  tier: string | null;
  app: string;
  pid: number;
  startTime: number;
  reason: string;
  /** A kill's reason by name (KILL_REASONS); null for a reclaim, and for kills logged before it had one. */
  killReason: KillReason | null;
  requestedBytes: number;
  reclaimedAnonBytes: number;
  reclaimedFileBytes: number;
  reclaimedBytes: number;
  durationMs: number;
  result: ActionResult;
  message: string;
  dryRun: boolean;
  latencyUs: number | null;
}

/** What one app gave up over a range of decisions (history's per-app totals). */
export interface AppTotalsRecord {
  app: string;
  decisions: number;
  /** Reclaims and kills done (result ok). */
  reclaims: number;
  kills: number;
  /** Attempts not done: refused, denied, failed, gone, unsupported or a dry run. */
  notDone: number;
  /** Bytes moved by the reclaims done. */
  reclaimedAnonBytes: number;
  reclaimedFileBytes: number;
  lastTs: number;
}

/** Bytes reclaimed and kills in one hour (history's reclaimed-over-time). */
export interface HourlyReclaimRecord {
  hour: number;
  reclaimedAnonBytes: number;
  reclaimedFileBytes: number;
  kills: number;
}
