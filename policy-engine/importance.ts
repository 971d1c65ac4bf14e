import type { ImportanceBand, UserPriority } from './types';

/** oom_score_adj at the bottom of each Android band (frameworks/base ProcessList.java). */
export const BAND_ADJ: Readonly<Record<ImportanceBand, number>> = {
  system: -900,
  persistent: -800,
  foreground: 0,
  visible: 100,
  perceptible: 200,
  service: 500,
  home: 600,
  previous: 700,
  cached: 900,
};

/** The band an oom_score_adj falls into, as lmkd and ActivityManager read it. */
export function bandForAdj(adj: number): ImportanceBand {
  if (adj < -800) return 'system';
  if (adj < 0) return 'persistent';
  if (adj < 100) return 'foreground';
  if (adj < 200) return 'visible';
  if (adj < 500) return 'perceptible';
  if (adj < 600) return 'service';
  if (adj < 700) return 'home';
  if (adj < 900) return 'previous';
  return 'cached';
}

/**
 * How a user priority shifts the effective adj. `expendable` lifts an app above every
 * band (first to reclaim, first to kill); `low`/`high` move it about two bands; `protected`
 * is handled as ineligible rather than as a number.
 */
export const PRIORITY_ADJ_SHIFT: Readonly<Record<UserPriority, number>> = {
  protected: 0,
  high: -250,
  normal: 0,
  low: 250,
  expendable: 1100,
};

/** Bands never reclaimed or killed by any policy: the system itself. */
export function isSystemBand(band: ImportanceBand): boolean {
  return band === 'system' || band === 'persistent';
}
