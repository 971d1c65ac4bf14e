// The one API between the daemon and its clients (the Electron window over IPC, a browser
// over HTTP + WebSocket). Each method has a request schema checked at runtime on every
// call, and a response type checked by the compiler on both ends. Pure TypeScript: the
// renderer imports this file too.
import type { AppTotalsRecord, DecisionRecord, HourlyReclaimRecord } from '../decision-record';
import { ACTION_RESULTS, ACTION_TYPES, KILL_REASONS, PRESSURE_LEVELS, RECLAIM_KINDS, USER_PRIORITIES, type ActionResult, type ActionType, type ReclaimKind, type ImportanceBand, type PressureLevel, type UserPriority } from '../vocabulary';
import type { ReplayMetrics } from '../../host/sim/sim-metrics';
import type { RecordedOutcome } from '../recorded';
import { arrayOf, bool, int, json, nullable, num, obj, oneOf, optional, str, type Infer, type Schema } from './schema';

export type { DecisionRecord, ReplayMetrics, RecordedOutcome };

export const HOST_KINDS = ['sim', 'linux', 'observe'] as const;
export type HostKind = (typeof HOST_KINDS)[number];
export type AgentMode = 'active' | 'dry-run' | 'observe-only';

// ---- data the API returns -----------------------------------------------------------------

export interface StatusInfo {
  version: string;
  host: HostKind;
  /** What the host is: "simulated phone-2g playing game-call (looping)", "this machine (memcg …)". */
  hostDetail: string;
  policy: string;
  params: unknown;
  mode: AgentMode;
  /** Why the agent is not active, or what it cannot do (missing capabilities…). */
  limits: string[];
  allowKill: boolean;
  /** Why dry run is on whatever Settings say ("the command line (--dry-run)"), or null. */
  dryRunForcedBy: string | null;
  startedAt: number;
  level: PressureLevel;
  decisions: number;
  kills: number;
  reclaimedBytes: number;
  db: { path: string | null; written: number; buffered: number; lastError: string | null };
  /** The recording in progress or the last one this daemon made (stopped, with why), or null. */
  recording: RecordingStatus | null;
}

/** A recording as the agent runs it: rows stored so far, and why it stopped early (full disk…). */
export interface RecordingStatus {
  id: number;
  active: boolean;
  startedAt: number;
  endedAt: number | null;
  rows: number;
  stopReason: string | null;
}

/** A stored recording, as History lists it. */
export interface RecordingInfo {
  id: number;
  startedAt: number;
  endedAt: number | null;
  host: string;
  scope: string | null;
  policy: string;
  rows: number;
  processes: number;
  decisions: number;
  stopReason: string | null;
}

/** A recording exported as scenario text (the Replay page loads it as a file). */
export interface RecordingExportInfo {
  id: number;
  name: string;
  text: string;
}

export interface ProcessRow {
  rank: number;
  pid: number;
  startTime: number;
  appKey: string;
  name: string;
  band: ImportanceBand;
  /** The process's own oom_score_adj. */
  adj: number;
  /** The adj ranking uses: the band's plus the user priority's shift. */
  effectiveAdj: number;
  priority: UserPriority;
  foreground: boolean;
  rssAnonBytes: number;
  rssFileBytes: number;
  swapBytes: number;
  eligible: boolean;
  score: number | null;
  why: string;
  lastAction: { ts: number; action: ActionType; kind: ReclaimKind | null; result: ActionResult; reclaimedBytes: number } | null;
}

export interface ProcessList {
  at: number;
  processes: ProcessRow[];
}

/** One point of the live charts. Bytes; PSI in percent (avg10). */
export interface PressureSample {
  ts: number;
  level: PressureLevel;
  psiSome: number | null;
  psiFull: number | null;
  totalBytes: number;
  anonBytes: number;
  fileBytes: number;
  zramBytes: number;
  /** RAM zswap's pool takes (the compressed tier where there is no zram); 0 without zswap. */
  zswapBytes: number;
  freeBytes: number;
  availableBytes: number;
}

export interface PriorityInfo {
  appKey: string;
  priority: UserPriority;
  note: string;
  updatedAt: number;
}

export interface HistoryPageInfo {
  rows: DecisionRecord[];
  next: string | null;
}

export type AppTotalsInfo = AppTotalsRecord;

export type HourlyInfo = HourlyReclaimRecord;

export interface ScenarioInfo {
  name: string;
  description: string;
  device: string;
  durationMs: number;
  apps: number;
}

export interface ScenarioIssueInfo {
  path: string;
  message: string;
}

export type ValidationInfo = { ok: true; scenario: ScenarioInfo } | { ok: false; issues: ScenarioIssueInfo[] };

export interface PolicyInfo {
  name: string;
  description: string;
  params: Record<string, { type: string; default: number | boolean; min?: number; max?: number; unit?: string; description: string }>;
}

/** Per-second series of one replay, for charts on a shared time axis (ms from the start). */
export interface ReplayTimeline {
  t: number[];
  level: number[];
  psiSome: number[];
  psiFull: number[];
  anonBytes: number[];
  fileBytes: number[];
  zramBytes: number[];
  freeBytes: number[];
  /** Foreground stall accumulated in each second, ms. */
  stallMs: number[];
}

export interface ReplayEventInfo {
  at: number;
  type: string;
  app: string;
}

export interface ReplayRunInfo {
  policy: string;
  seed: number;
  runId: number | null;
  /** Why the run was not stored when it was asked to be (a full disk…); null otherwise. */
  notStored?: string | null;
  /** The same run (scenario, policy, parameters, seed and outcome) was stored already as `runId`: not stored again. */
  reused?: boolean;
  metrics: ReplayMetrics;
  timeline: ReplayTimeline;
  events: ReplayEventInfo[];
}

export interface ReplayReportInfo {
  scenario: string;
  description: string;
  device: string;
  durationMs: number;
  runs: ReplayRunInfo[];
  /** How the first policy did against the others, the line `reclaimd replay` prints. */
  verdict: string;
  /** What really happened, when the scenario was exported from a recording (its "recorded" column); else null. */
  recorded: RecordedOutcome | null;
}

export interface RunInfo {
  id: number;
  createdAt: number;
  scenario: string;
  policy: string;
  seed: number;
  host: string;
  metrics: Record<string, unknown>;
}

export interface Settings {
  policy: string;
  params: Record<string, unknown>;
  dryRun: boolean;
  allowKill: boolean;
  retention: { maxAgeDays: number; maxRows: number };
  /** The host the daemon uses at its next start ("sim" or "linux"); the running one is in status. */
  host: HostKind;
  /** Record what the live agent sees (the linux host only; refused on sim and observe-only). */
  record: boolean;
}

export interface CsvExport {
  csv: string;
  rows: number;
  truncated: boolean;
}

// ---- requests -----------------------------------------------------------------------------

const appKey = str({ min: 1, max: 256, what: 'an app key of 1 to 256 characters' });
const historyFilter = {
  since: optional(int(0, Number.MAX_SAFE_INTEGER)),
  until: optional(int(0, Number.MAX_SAFE_INTEGER)),
  app: optional(appKey),
  /** App keys containing this, ASCII case ignored (History's app box). */
  appContains: optional(str({ min: 1, max: 256, what: 'part of an app key, 1 to 256 characters' })),
  kind: optional(oneOf(RECLAIM_KINDS)),
  action: optional(oneOf(ACTION_TYPES)),
  level: optional(oneOf(PRESSURE_LEVELS)),
  result: optional(oneOf(ACTION_RESULTS)),
  killReason: optional(oneOf(KILL_REASONS)),
  runId: optional(nullable(int(1, Number.MAX_SAFE_INTEGER))),
};
const noParams = obj({});
const scenarioRef = obj({
  name: optional(str({ min: 1, max: 100, pattern: /^[\w.-]+$/, what: 'a bundled scenario name' })),
  text: optional(str({ min: 2, max: 5_000_000, what: 'scenario JSON text of at most 5,000,000 characters' })),
});

/** Method name → request schema and response type. */
export const METHODS = {
  status: { params: noParams, result: null as unknown as StatusInfo },
  processes: { params: obj({ limit: optional(int(1, 10_000)) }), result: null as unknown as ProcessList },
  'pressure.recent': { params: obj({ sinceMs: optional(int(0, 3_600_000)) }), result: null as unknown as PressureSample[] },
  'decisions.recent': { params: obj({ limit: optional(int(1, 1000)) }), result: null as unknown as DecisionRecord[] },
  'priorities.list': { params: noParams, result: null as unknown as PriorityInfo[] },
  'priorities.set': { params: obj({ appKey, priority: oneOf(USER_PRIORITIES), note: optional(str({ max: 500 })) }), result: null as unknown as PriorityInfo },
  'priorities.clear': { params: obj({ appKey }), result: null as unknown as { cleared: boolean } },
  'history.query': {
    params: obj({
      ...historyFilter,
      limit: optional(int(1, 10_000)),
      after: optional(str({ min: 3, max: 64, pattern: /^\d+:\d+$/, what: 'a cursor like "1700000000000:42"' })),
      /** Leave out each row's candidates (a list needs none; `history.get` has them). */
      summary: optional(bool),
    }),
    result: null as unknown as HistoryPageInfo,
  },
  'history.get': { params: obj({ id: int(1, Number.MAX_SAFE_INTEGER) }), result: null as unknown as DecisionRecord },
  // Totals and the hourly chart follow the same filter as the rows.
  'history.totals': { params: obj(historyFilter), result: null as unknown as AppTotalsInfo[] },
  'history.hourly': { params: obj(historyFilter), result: null as unknown as HourlyInfo[] },
  'history.export': { params: obj({ ...historyFilter, maxRows: optional(int(1, 200_000)) }), result: null as unknown as CsvExport },
  'reclaim.manual': { params: obj({ pid: int(1, 4_194_304), kind: oneOf(RECLAIM_KINDS) }), result: null as unknown as DecisionRecord },
  'replay.run': {
    params: obj({
      scenario: scenarioRef,
      policies: arrayOf(str({ min: 1, max: 64, pattern: /^[a-z][a-z0-9-]*$/, what: 'a policy name' }), { min: 1, max: 8 }),
      seed: optional(int(0, 0xffffffff)),
      params: optional(json()),
      store: optional(bool),
    }),
    result: null as unknown as ReplayReportInfo,
  },
  'scenarios.list': { params: noParams, result: null as unknown as ScenarioInfo[] },
  'scenarios.validate': { params: obj({ text: str({ max: 5_000_000, what: 'scenario JSON text of at most 5,000,000 characters' }) }), result: null as unknown as ValidationInfo },
  'runs.list': { params: obj({ limit: optional(int(1, 1000)) }), result: null as unknown as RunInfo[] },
  'policies.list': { params: noParams, result: null as unknown as PolicyInfo[] },
  'recordings.list': { params: obj({ limit: optional(int(1, 1000)) }), result: null as unknown as RecordingInfo[] },
  'recordings.export': { params: obj({ id: int(1, Number.MAX_SAFE_INTEGER), anonymize: optional(bool) }), result: null as unknown as RecordingExportInfo },
  'settings.get': { params: noParams, result: null as unknown as Settings },
  'settings.set': {
    params: obj({
      policy: optional(str({ min: 1, max: 64, pattern: /^[a-z][a-z0-9-]*$/, what: 'a policy name' })),
      params: optional(json()),
      dryRun: optional(bool),
      allowKill: optional(bool),
      retention: optional(obj({ maxAgeDays: num(0.01, 3650), maxRows: int(1000, 100_000_000) })),
      host: optional(oneOf(['sim', 'linux'] as const)),
      record: optional(bool),
    }),
    result: null as unknown as Settings,
  },
} as const;

export type MethodName = keyof typeof METHODS;
export type MethodParams<M extends MethodName> = Infer<(typeof METHODS)[M]['params']>;
export type MethodResult<M extends MethodName> = (typeof METHODS)[M]['result'];
export const METHOD_NAMES = Object.keys(METHODS) as MethodName[];

export function isMethod(name: string): name is MethodName {
  return Object.prototype.hasOwnProperty.call(METHODS, name);
}

/** Validate a request's params; throws SchemaError naming the field. */
export function validateParams<M extends MethodName>(method: M, params: unknown): MethodParams<M> {
  return (METHODS[method].params as Schema<MethodParams<M>>)(params ?? {}, 'params');
}

// ---- event streams ------------------------------------------------------------------------

export interface StreamEvents {
  status: StatusInfo;
  pressure: PressureSample;
  processes: ProcessList;
  decision: DecisionRecord;
  /** Sent to one client whose events were dropped because it was not reading. */
  dropped: { count: number };
}
export type StreamName = keyof StreamEvents;
export const STREAMS = ['status', 'pressure', 'processes', 'decision'] as const satisfies readonly StreamName[];

/** What a client sends on the event socket to choose streams and the process list's rate. */
export const subscribeMessage = obj({
  streams: arrayOf(oneOf(STREAMS), { max: STREAMS.length }),
  processesIntervalMs: optional(int(50, 60_000)),
});
export type SubscribeMessage = Infer<typeof subscribeMessage>;

export interface StreamMessage<S extends StreamName = StreamName> {
  stream: S;
  data: StreamEvents[S];
}

/** The error body of a failed call; `field` names the offending field of a 400. */
export interface ApiErrorBody {
  error: string;
  field?: string;
}

/** How a client reaches the API: the Electron preload and the browser client both provide this. */
export interface ReclaimdApi {
  call<M extends MethodName>(method: M, params: MethodParams<M>): Promise<MethodResult<M>>;
  /** Returns an unsubscribe function. */
  subscribe(streams: readonly StreamName[], onEvent: (message: StreamMessage) => void, processesIntervalMs?: number): () => void;
}

export type HistoryFilterParams = Infer<ReturnType<typeof obj<typeof historyFilter>>>;
