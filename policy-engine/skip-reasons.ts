// Why a policy passed a candidate over, in the words every policy uses: the decision dialog
// shows them as "skipped because …" beside each candidate ranked above the chosen one.
import { processKey } from './policy';
import type { RankedProcess } from './types';

/** The ranking ruled it out (foreground, protected, system…). */
export function notEligible(r: RankedProcess): string {
  return `not eligible: ${r.why.replace(/^not a candidate: /, '')}`;
}

/** The engine has an action on it in flight: none other until its outcome is known. */
export const BUSY = 'busy: an action on it is still in flight';

/** Under the lowest adj a kill may take. */
export function belowKillAdj(adj: number, minAdj: number): string {
  return `adj ${adj} is below the kill minimum ${minAdj}`;
}

/**
 * A kill's reasons for every candidate ranked above its victim, keyed by process (the key
 * KillAction.skipped uses): a kill picks by its own measure, not by rank alone, and each
 * one passed over says why.
 */
export function skippedAbove(ranked: readonly RankedProcess[], victim: RankedProcess, reason: (r: RankedProcess) => string): Record<string, string> {
  const skipped: Record<string, string> = {};
  for (const r of ranked) {
    if (r === victim) break;
    skipped[processKey(r.process)] = reason(r);
  }
  return skipped;
}
