import type { Observable } from 'rxjs';
import type { ActionOutcome, PlannedAction, PressureSignal, ProcessSnapshot } from './types';

/**
 * The mechanism side: SimHost and LinuxHost both implement this, and nothing above them
 * knows which one it talks to.
 */
export interface Host {
  /** 'sim', 'linux', … — recorded with every decision. */
  readonly name: string;
  /** Pressure events as they happen (kernel triggers, simulated or real). */
  readonly pressure$: Observable<PressureSignal>;
  /** The current pressure reading, for periodic policies. */
  sample(): PressureSignal;
  /** The processes as they are now. */
  snapshot(): readonly ProcessSnapshot[];
  /**
   * Carry out one action. Emits exactly one outcome, then completes. Failures (the process
   * vanished, permission denied, …) are outcomes, not errors.
   */
  execute(action: PlannedAction): Observable<ActionOutcome>;
}
