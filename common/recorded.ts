// What really happened during a recording (issue 17), carried by the scenario exported from
// it: the "recorded" column `reclaimd replay` and the Replay page show beside the simulated
// policies, for the metrics both have. Pure data: the scenario format, the API and the UI use it.

export interface RecordedOutcome {
  /** The policy the live agent ran, and whether it only logged (dry run, observe-only). */
  policy: string;
  dryRun: boolean;
  /** Processes the agent killed (results 'ok'). */
  agentKills: number;
  /** RAM the agent's reclaims freed, as their outcomes measured it. */
  reclaimedBytes: number;
  /** Time at each pressure level, from the recording's pressure samples. */
  timeAtLevelMs: { low: number; medium: number; critical: number };
  /** Decisions the agent made while recording. */
  decisions: number;
}

/** The metric keys a recording and a replay both have: the rows of the "recorded" column. */
export const RECORDED_METRIC_KEYS = ['agentKills', 'reclaimedBytes', 'timeAtLevelMs', 'decisions'] as const;
