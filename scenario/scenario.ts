import type { ImportanceBand, UserPriority } from '../policy-engine/types';
import type { DeviceProfile } from './device-profiles';
import type { RecordedOutcome } from '../common/recorded';

/** A scenario after validation: sizes in bytes, times in ms, the device resolved. */
export interface Scenario {
  name: string;
  description: string;
  device: DeviceProfile;
  durationMs: number;
  seed: number;
  apps: AppSpec[];
  /** Sorted by time; steps at the same time keep their file order. */
  timeline: TimelineStep[];
  /** The file it was loaded from, when it came from one. */
  sourcePath?: string;
  /** What really happened, when the scenario was exported from a recording (`reclaimd recording export`). */
  recorded?: RecordedOutcome;
}

export interface AppSpec {
  id: string;
  anonBytes: number;
  fileBytes: number;
  /** Fraction of the app's pages it touches while in use (0..1). */
  workingSet: number;
  /** Holds user state that a kill loses. */
  stateful: boolean;
  /** A fixed band (a service, a visible widget…), or null to follow the app's state. */
  importance: ImportanceBand | null;
  priority: UserPriority;
  /** Time a relaunch costs the user, beyond faulting pages in. */
  coldStartMs: number;
  /** Time bringing the app back while alive costs the user (Android's hot/warm start), beyond faults. */
  warmResumeMs: number;
  /** Fraction of its working set the app touches per second while in the background; null = by band. */
  backgroundTouchPerSec: number | null;
  /**
   * Fraction of its pages outside the working set (idle past the cold age) the app touches per
   * second, in front or not: cold memory still comes back now and then (app-defaults.ts COLD_TOUCH_PER_SEC).
   */
  coldTouchPerSec: number;
  /** Fraction of its anon pages shared with other processes (pageout skips them; app-defaults.ts SHARED_ANON_SHARE). */
  sharedFraction: number;
}

export type LifecycleVerb = 'launch' | 'foreground' | 'background' | 'close';

export type TimelineStep =
  | { at: number; do: LifecycleVerb; app: string }
  | { at: number; do: 'allocate' | 'free'; app: string; bytes: number; overMs: number }
  | { at: number; do: 'touch'; app: string; fraction: number }
  | { at: number; do: 'priority'; app: string; priority: UserPriority };

export const TIMELINE_VERBS = ['launch', 'foreground', 'background', 'close', 'allocate', 'free', 'touch', 'priority'] as const;

/** One problem found in a scenario file, located by its JSON path. */
export interface ScenarioIssue {
  path: string;
  message: string;
}

export class ScenarioError extends Error {
  constructor(readonly source: string, readonly issues: ScenarioIssue[]) {
    super(`${source}: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
    this.name = 'ScenarioError';
  }
}
