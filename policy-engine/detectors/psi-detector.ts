import { levelRank, type PressureLevel, type PressureReading, type PsiReading } from '../types';
import type { PressureDetector } from './detector';
import { psiTriggersFor, type PsiTriggers } from './psi-triggers';

/**
 * Judges a reading as the PSI triggers would: `full` stall over the trigger's share of the
 * window is critical, `some` over its share is medium. The reading's window totals are the
 * simulator's exact ones, or on Linux the avg10 share of a window (meminfo.ts readPsi), so
 * lmkd's 70 ms / 700 ms per 1 s are avg10 ≥ 7 % / 70 %. A vmpressure report in the same
 * reading counts too: the level is the worse of the two.
 */
export function psiDetector(triggers: PsiTriggers): PressureDetector {
  return {
    name: `psi some ${triggers.someMs} ms / full ${triggers.fullMs} ms per ${triggers.windowMs} ms`,
    level: (reading: PressureReading) => psiLevel(triggers, reading.psi, reading.vmpressure),
  };
}

/** psiDetector's judgement, for callers that hold the two readings but no whole reading (the simulator's time-at-level). */
export function psiLevel(triggers: PsiTriggers, psi: PsiReading | undefined, vmpressure: PressureReading['vmpressure']): PressureLevel {
  // Compared as shares of each one's window, so a 2 s kernel window judges like a 1 s one.
  const scale = psi && psi.windowMs > 0 ? psi.windowMs / triggers.windowMs : 0;
  const over = (stallMs: number, limitMs: number) => scale > 0 && stallMs >= limitMs * scale;
  const psiLevel: PressureLevel = psi && over(psi.fullWindowMs, triggers.fullMs) ? 'critical' : psi && over(psi.someWindowMs, triggers.someMs) ? 'medium' : 'none';
  const vmLevel: PressureLevel = vmpressure?.level ?? 'none';
  return levelRank(vmLevel) >= levelRank(psiLevel) ? vmLevel : psiLevel;
}

/** The detector for a device: lmkd's triggers, or its low-RAM ones. */
export function psiDetectorFor(device: { lowRam?: boolean }): PressureDetector {
  return psiDetector(psiTriggersFor(device));
}
