// The engine's types: signals, processes, actions, outcomes, decisions. Everything here is plain
// data so a decision can be logged, sent over IPC or compared between runs without conversion.
// The vocabulary they use (levels, bands, kinds, results) is common/vocabulary.ts.

export {
  ACTION_RESULTS,
  KILL_REASONS,
  ACTION_TYPES,
  EVENT_LEVELS,
  IMPORTANCE_BANDS,
  PRESSURE_LEVELS,
  RECLAIM_KINDS,
  RECLAIM_MODES,
  SIGNAL_SOURCES,
  USER_PRIORITIES,
  levelRank,
} from '../common/vocabulary';
export type { ActionResult, ActionType, KillReason, ImportanceBand, PressureLevel, ReclaimKind, ReclaimMode, SignalSource, UserPriority } from '../common/vocabulary';
import type { ActionResult, KillReason, ImportanceBand, PressureLevel, ReclaimKind, ReclaimMode, SignalSource, UserPriority } from '../common/vocabulary';

export interface PsiReading {
  /** Percent of time in the last 10 s (as /proc/pressure/memory avg10). */
  someAvg10: number;
  fullAvg10: number;
  someAvg60: number;
  fullAvg60: number;
  /** Stall in the trigger window just ended, in ms (what a PSI trigger compares). */
  someWindowMs: number;
  fullWindowMs: number;
  windowMs: number;
}

export interface MemoryReading {
  totalBytes: number;
  availableBytes: number;
  freeBytes: number;
  swapTotalBytes: number;
  swapFreeBytes: number;
  /** Resident page cache (file LRU), when the host knows it. */
  fileCacheBytes?: number;
  /** Resident anonymous memory, and the RAM zram's compressed pages occupy, when known. */
  anonBytes?: number;
  zramBytes?: number;
  /**
   * zswap, the compressed tier where there is no zram: the RAM its pool takes (/proc/meminfo
   * Zswap) and what that pool holds, uncompressed (Zswapped). Absent where the kernel has no zswap.
   */
  zswapBytes?: number;
  zswappedBytes?: number;
  /** The zone watermarks (/proc/zoneinfo), when the host knows them. */
  watermarks?: { minBytes: number; lowBytes: number; highBytes: number };
  /** Cumulative counters from /proc/vmstat: file pages refaulted, pages scanned by direct reclaim. */
  workingsetRefaultFile?: number;
  pgscanDirect?: number;
  /** The inactive part of the file LRU (/proc/meminfo Inactive(file)): lmkd's "easily available" memory. */
  inactiveFileBytes?: number;
  /** Cumulative /proc/vmstat pgscan_kswapd and pgrefill: lmkd tells kswapd reclaim by their movement. */
  pgscanKswapd?: number;
  pgrefill?: number;
  /** The device is a low-RAM one (Android's ro.config.low_ram): lmkd then uses its low-RAM defaults. */
  lowRamDevice?: boolean;
  /** Slower memory tiers beside RAM (CPU-less NUMA nodes), when the host has any: where `demote` can send pages. */
  tiers?: TierReading[];
}

/** One slower memory tier as the host sees it now. */
export interface TierReading {
  /** The name a demote action gives as its destination (the simulator's profile name; `node1` on Linux). */
  name: string;
  /** The NUMA node, on Linux. */
  node?: number;
  totalBytes: number;
  freeBytes: number;
  /** Load-to-use latency of a page on this tier, ns (DRAM is ~100). */
  accessLatencyNs: number;
  /**
   * The kernel's own reclaim demotes to this tier before it discards (Linux
   * /sys/kernel/mm/numa/demotion_enabled, mm/vmscan.c demote_folio_list), while it has room.
   */
  kernelDemotes?: boolean;
}

/** What a host measured at one instant: raw readings, no verdict on them (a detector gives that). */
export interface PressureReading {
  /** Clock time in ms (virtual in a replay, wall on a live host). */
  at: number;
  psi?: PsiReading;
  /** vmpressure's report: the kernel's own level and the reclaim efficiency behind it (0..100, higher is worse). */
  vmpressure?: { level: Exclude<PressureLevel, 'none'>; pressurePct: number };
  memory: MemoryReading;
}

/**
 * A pressure event as a host delivers it. When a kernel trigger fired (a PSI trigger, a
 * vmpressure eventfd), `level` is the one the trigger was registered for; a host with no
 * kernel triggers (observe-only) delivers periodic readings without one, for the engine's
 * detector to judge.
 */
export interface PressureEvent extends PressureReading {
  source: SignalSource;
  level?: PressureLevel;
  /**
   * The reclaim the host already issued for this event, planned ahead by the policy (see
   * Host.setPlanner): the engine logs it as the signal's first action and plans the rest.
   */
  reaction?: ReclaimAction;
}

/** A pressure event or sample with its level decided: what policies plan on and the log keeps. */
export interface PressureSignal extends PressureEvent {
  level: PressureLevel;
}

/** A process as the host sees it at one instant. Sizes are bytes. */
export interface ProcessSnapshot {
  pid: number;
  /** Start time from /proc/PID/stat (or the simulator's launch time): with pid, guards against pid reuse. */
  startTime: number;
  /** Stable identity that priorities key on (package/executable name or cgroup scope). */
  appKey: string;
  name: string;
  importance: ImportanceBand;
  oomScoreAdj: number;
  priority: UserPriority;
  isForeground: boolean;
  /** Clock ms of the last time the app was in the foreground; null if never. */
  lastForegroundAt: number | null;
  rssAnonBytes: number;
  rssFileBytes: number;
  swapBytes: number;
  /**
   * The host's estimate of the resident memory this process has not referenced lately (its
   * idle part), when it has one: the simulator from its pages outside the working set; on
   * Linux from clear_refs + smaps Referenced (host/linux/idle-estimate.ts, after one 120 s window,
   * for previous and cached processes). Policies page out this part, not RSS.
   */
  idleAnonBytes?: number;
  idleFileBytes?: number;
  /**
   * Resident file bytes other processes map too, as the host last found them (Linux: the
   * shared page-cache pages a file reclaim of this process left, from pagemap): the kernel's
   * MADV_COLD and MADV_PAGEOUT skip them (mm/madvise.c, a folio mapped more than once), so
   * they are not this process's to give. Undefined until measured.
   */
  sharedFileBytes?: number;
  /** Set by the host for processes that must never be touched (pid 1, kernel threads, ourselves, the UI). */
  untouchable?: string;
}

export interface RankedProcess {
  process: ProcessSnapshot;
  /** Higher is a better victim. */
  score: number;
  /** Effective oom adj after the user priority is applied. */
  effectiveAdj: number;
  eligible: boolean;
  why: string;
  /** Set by the policy when it looked at this candidate and passed it over: why, in plain words. */
  skipped?: string;
}

export interface ReclaimAction {
  type: 'reclaim';
  pid: number;
  startTime: number;
  appKey: string;
  kind: ReclaimKind;
  mode: ReclaimMode;
  /**
   * For `demote`: the destination tier by name (MemoryReading.tiers); absent lets the host
   * pick its slowest tier with room (a manual demote).
   */
  tier?: string;
  /** What the policy expects to free; hosts may reclaim more or less. */
  requestedBytes: number;
  reason: string;
  dryRun: boolean;
}

export interface KillAction {
  type: 'kill';
  pid: number;
  startTime: number;
  appKey: string;
  requestedBytes: number;
  reason: string;
  /** The reason's name, for history to filter and total by. */
  killReason: KillReason;
  dryRun: boolean;
  /**
   * Why each candidate ranked above the victim was not killed, by process key: a kill's
   * decision shows these, not the reasons a reclaim of the same signal gave.
   */
  skipped?: Readonly<Record<string, string>>;
}

export type PlannedAction = ReclaimAction | KillAction;

export interface ActionOutcome {
  action: PlannedAction;
  result: ActionResult;
  message: string;
  reclaimedAnonBytes: number;
  reclaimedFileBytes: number;
  /** Duration of the action in ms on the host's clock. */
  durationMs: number;
  /** Clock time the outcome was known. */
  at: number;
}

/** One decision: a planned action with the signal and ranking that led to it, and its outcome. */
export interface Decision {
  /** Sequence number, unique within an engine run. */
  seq: number;
  /** Groups the decisions planned for one signal. */
  batch: number;
  at: number;
  policy: string;
  host: string;
  signal: PressureSignal;
  /** The top candidates at planning time, best victim first. */
  candidates: RankedProcess[];
  action: PlannedAction;
  outcome: ActionOutcome;
  /** Wall time from signal to planned actions, µs; null when no wall clock was injected. */
  latencyUs: number | null;
  /** The ManualRequest this decision answers; absent for the policy's own decisions. */
  requestId?: number;
}

/**
 * The user's request to reclaim one process now (the API's manual reclaim). It enters the
 * engine beside pressure signals and ticks, so it gets the same protection rule, busy guard,
 * dry run and Decision as the policy's own actions.
 */
export interface ManualRequest {
  /** Chosen by the requester, echoed as Decision.requestId. */
  id: number;
  pid: number;
  kind: ReclaimKind;
  /** True when the agent is not acting for real (dry run or observe-only). */
  dryRun: boolean;
  /** Who asked, for the action's reason: "the user" in the UI, "the CLI"... */
  by: string;
}

export const PAGE_SIZE = 4096;
export const MiB = 1024 * 1024;
export const GiB = 1024 * MiB;
