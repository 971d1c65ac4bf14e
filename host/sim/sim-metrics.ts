import type { PressureLevel } from '../../policy-engine/types';

/** The metrics every replay reports (DESIGN.md: the same names in CLI JSON, DB and UI). */
export interface ReplayMetrics {
  agentKills: number;
  oomKills: number;
  stateLoss: number;
  coldStarts: number;
  warmResumes: number;
  foregroundStallMs: number;
  /** foreground + visible + perceptible + coldStart + warmResume of userWaitByBandMs. */
  userWaitMs: number;
  /**
   * The user's wait by who caused it: stalls of the foreground app (foregroundStallMs), of
   * visible apps (jank) and of perceptible ones (audio glitches), cold starts of apps the
   * user came back to, and warm resumes of those still alive (redrawing, not relaunching). Null where a band is not measured (the lab watches the foreground only).
   */
  userWaitByBandMs: { foreground: number; visible: number; perceptible: number; coldStart: number; warmResume: number } | null;
  refaultsAnon: number;
  refaultsFile: number;
  /** RAM the agent's actions freed: a dropped file page frees its page, an anon page moved to zram its size minus its compressed copy. */
  reclaimedBytes: number;
  /** Bytes the agent's actions paged out or dropped, whatever they freed (the sum of the outcomes). */
  movedBytes: number;
  zramCpuMs: number;
  /**
   * zramCpuMs by who did the work: the agent's process_madvise, kswapd, and apps (direct
   * reclaim and decompression on a fault). Null where it cannot be told apart (the lab).
   */
  cpuMsBy: { agent: number; kswapd: number; apps: number } | null;
  timeAtLevelMs: { low: number; medium: number; critical: number };
  decisions: number;
  decisionLatencyUs: { p50: number; p99: number };
}

export const METRIC_KEYS: readonly (keyof ReplayMetrics)[] = [
  'agentKills',
  'oomKills',
  'stateLoss',
  'coldStarts',
  'warmResumes',
  'foregroundStallMs',
  'userWaitMs',
  'userWaitByBandMs',
  'refaultsAnon',
  'refaultsFile',
  'reclaimedBytes',
  'movedBytes',
  'zramCpuMs',
  'cpuMsBy',
  'timeAtLevelMs',
  'decisions',
  'decisionLatencyUs',
];

/** What the simulated device counts as it runs; the engine adds decisions and latency. */
export class SimCounters {
  agentKills = 0;
  oomKills = 0;
  stateLoss = 0;
  coldStarts = 0;
  warmResumes = 0;
  foregroundStallUs = 0;
  visibleStallUs = 0;
  perceptibleStallUs = 0;
  coldStartWaitMs = 0;
  warmResumeWaitMs = 0;
  reclaimedBytes = 0;
  movedBytes = 0;
  timeAtLevelMs = { low: 0, medium: 0, critical: 0 };

  addLevelTime(level: PressureLevel, ms: number): void {
    if (level !== 'none') this.timeAtLevelMs[level] += ms;
  }
}
