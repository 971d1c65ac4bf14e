import type { PressureLevel, PressureReading } from '../types';
import type { PressureDetector } from './detector';

/** Available memory, in % of total, at or below which each level holds. */
export interface AvailableMemoryThresholds {
  lowPct: number;
  mediumPct: number;
  criticalPct: number;
}

/**
 * earlyoom's defaults: it acts at 10 % available (SIGTERM) and 5 % (SIGKILL)
 * (earlyoom README, "-m PERCENT[,KILL_PERCENT]"); 20 % is our early warning.
 */
export const EARLYOOM_THRESHOLDS: AvailableMemoryThresholds = { lowPct: 20, mediumPct: 10, criticalPct: 5 };

/**
 * For hosts with no kernel pressure signal (observe-only): judge pressure from available
 * memory alone, as earlyoom does. An unknown total (no reading yet) is no pressure.
 */
export function availableMemoryDetector(t: AvailableMemoryThresholds = EARLYOOM_THRESHOLDS): PressureDetector {
  return {
    name: `available memory ≤ ${t.lowPct} / ${t.mediumPct} / ${t.criticalPct} %`,
    level(reading: PressureReading): PressureLevel {
      const m = reading.memory;
      const pct = m.totalBytes > 0 ? (100 * m.availableBytes) / m.totalBytes : 100;
      return pct <= t.criticalPct ? 'critical' : pct <= t.mediumPct ? 'medium' : pct <= t.lowPct ? 'low' : 'none';
    },
  };
}
