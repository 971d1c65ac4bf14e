import { Observable, type MonoTypeOperatorFunction, type SchedulerLike } from 'rxjs';
import { levelRank, type PressureSignal } from './types';

export interface ThrottleStats {
  seen: number;
  passed: number;
  dropped: number;
}

/**
 * Storm control for pressure events: at most one signal per `intervalMs` from each source
 * (PSI and vmpressure are separate kernel interfaces; a storm of one must not hide the
 * other), except that a signal of a higher level than the last one passed goes through at
 * once, so escalation is never delayed by a storm of lower-level events. `none` signals
 * are dropped. A signal carrying a reaction always passes: the host already acted on it
 * (spaced by the same rule on its side), and the action must be logged.
 */
export function throttlePressure(
  intervalMs: number,
  scheduler: SchedulerLike,
  stats: ThrottleStats = { seen: 0, passed: 0, dropped: 0 },
): MonoTypeOperatorFunction<PressureSignal> {
  return (source) =>
    new Observable<PressureSignal>((subscriber) => {
      const last = new Map<PressureSignal['source'], { at: number; rank: number }>();
      return source.subscribe({
        next(signal) {
          stats.seen++;
          const rank = levelRank(signal.level);
          const now = scheduler.now();
          const prev = last.get(signal.source) ?? { at: -Infinity, rank: -1 };
          if (signal.reaction || (rank > 0 && (rank > prev.rank || now - prev.at >= intervalMs))) {
            last.set(signal.source, { at: now, rank });
            stats.passed++;
            subscriber.next(signal);
          } else stats.dropped++;
        },
        error: (err) => subscriber.error(err),
        complete: () => subscriber.complete(),
      });
    });
}
