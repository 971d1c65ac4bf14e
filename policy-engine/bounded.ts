/**
 * Append to a list of recent samples, keeping at most `max` (the newest): an agent runs
 * for months, its latency samples must not grow with it.
 */
export function pushBounded<T>(list: T[], value: T, max = 10_000): void {
  list.push(value);
  if (list.length > max) list.splice(0, list.length - max);
}
