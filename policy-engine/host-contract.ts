import type { Observable } from 'rxjs';
import type { ActionOutcome, PlannedAction, PressureEvent, PressureReading, PressureSignal, ProcessSnapshot } from './types';

/**
 * The mechanism side: SimHost and LinuxHost both implement this, and nothing above them
 * knows which one it talks to.
 */
export interface Host {
  /** 'sim', 'linux', … — recorded with every decision. */
  readonly name: string;
  /**
   * Pressure events as they happen: kernel triggers (simulated or real) with their level, or
   * periodic readings for the engine's detector where the host has no kernel trigger.
   */
  readonly pressure$: Observable<PressureEvent>;
  /** What the host measures now (for periodic policies, manual requests and the charts); the detector judges it. */
  sample(): PressureReading;
  /** The processes as they are now. */
  snapshot(): readonly ProcessSnapshot[];
  /**
   * Carry out one action. Emits exactly one outcome, then completes. Failures (the process
   * vanished, permission denied, …) are outcomes, not errors.
   */
  execute(action: PlannedAction): Observable<ActionOutcome>;
  /**
   * For hosts that answer kernel events before the engine hears of them (LinuxHost's
   * reaction thread): the engine hands over its planner — what the policy would plan now
   * for each of these signals, without recording anything — so the action taken ahead is
   * the one the policy would choose. Returns the undo for when that engine stops (it
   * leaves a newer engine's planner in place).
   */
  setPlanner?(planner: Planner): () => void;
}

export type Planner = (signals: readonly PressureSignal[]) => PlannedAction[][];
