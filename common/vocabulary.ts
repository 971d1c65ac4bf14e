// The vocabulary every layer speaks, as values: the engine, the hosts, the log, the API
// schema, the CLI and the UI (which may import values only from common/) list these from
// here, so a new level, band or result is added once.

/** Pressure levels, in the order they escalate. `none` means no event is active. */
export const PRESSURE_LEVELS = ['none', 'low', 'medium', 'critical'] as const;
export type PressureLevel = (typeof PRESSURE_LEVELS)[number];

/** The levels an event can have (vmpressure's and PSI triggers'): all but `none`. */
export const EVENT_LEVELS = ['low', 'medium', 'critical'] as const satisfies readonly PressureLevel[];

export function levelRank(level: PressureLevel): number {
  return PRESSURE_LEVELS.indexOf(level);
}

/** Android oom_adj bands (the reference vocabulary for importance), most important first. */
export const IMPORTANCE_BANDS = ['system', 'persistent', 'foreground', 'visible', 'perceptible', 'service', 'home', 'previous', 'cached'] as const;
export type ImportanceBand = (typeof IMPORTANCE_BANDS)[number];

/** User priorities, most protective first; they override the band when ranking. */
export const USER_PRIORITIES = ['protected', 'high', 'normal', 'low', 'expendable'] as const;
export type UserPriority = (typeof USER_PRIORITIES)[number];

/**
 * What a reclaim takes: the three modes of /proc/PID/reclaim, and `demote` — move the
 * process's cold pages to a slower memory tier (a CPU-less NUMA node: CXL or other far
 * memory) instead of discarding them: they stay mapped and cost a slower access, not a
 * refault. Which tier is the decision's `tier`.
 */
export const RECLAIM_KINDS = ['file', 'anon', 'all', 'demote'] as const;
export type ReclaimKind = (typeof RECLAIM_KINDS)[number];

/** MADV_PAGEOUT (drop/compress now) or MADV_COLD (deactivate, let the kernel decide). */
export const RECLAIM_MODES = ['pageout', 'cold'] as const;
export type ReclaimMode = (typeof RECLAIM_MODES)[number];

/** What the agent can do to a process. */
export const ACTION_TYPES = ['reclaim', 'kill'] as const;
export type ActionType = (typeof ACTION_TYPES)[number];

/** How an action ended. Only `ok` did what was asked. */
export const ACTION_RESULTS = ['ok', 'gone', 'denied', 'refused', 'error', 'unsupported', 'dry-run'] as const;
export type ActionResult = (typeof ACTION_RESULTS)[number];

/** Where a decision's signal came from: a kernel event, the policy's own timer, or a person. */
export const SIGNAL_SOURCES = ['psi', 'vmpressure', 'timer', 'manual'] as const;
export type SignalSource = (typeof SIGNAL_SOURCES)[number];

/**
 * Why a kill happened, stored in its own column so history can filter and total by it.
 * lmkd's and the android baseline's are lmkd's own kill_reasons (AOSP lmkd.cpp, enum
 * kill_reasons, as its killinfo log names them), plus VMPRESSURE_LEVEL for its legacy
 * vmpressure path (mp_event_common); reclaim's last resort has its two triggers.
 */
export const KILL_REASONS = [
  'PRESSURE_AFTER_KILL',
  'NOT_RESPONDING',
  'LOW_SWAP_AND_THRASHING',
  'LOW_MEM_AND_SWAP',
  'LOW_MEM_AND_THRASHING',
  'DIRECT_RECL_AND_THRASHING',
  'LOW_MEM_AND_SWAP_UTIL',
  'LOW_FILECACHE_AFTER_THRASHING',
  'LOW_MEM',
  'DIRECT_RECL_STUCK',
  'VMPRESSURE_LEVEL',
  'RECLAIM_EXHAUSTED_BELOW_MIN',
  'RECLAIM_EXHAUSTED_CRITICAL',
] as const;
export type KillReason = (typeof KILL_REASONS)[number];
