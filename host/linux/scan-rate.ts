// How often the background /proc scan runs: rarely when calm (the agent should cost nothing
// idle), often while the kernel reports pressure (the reaction's plan must name processes
// as they are now, not as they were seconds ago).

export interface ScanRates {
  /** Between scans with no pressure event for `holdMs`. */
  calmMs: number;
  /** Between scans within `holdMs` of a pressure event. */
  pressureMs: number;
  /** How long after the last event the fast rate holds. */
  holdMs: number;
}

/**
 * Calm: every 10 s — an incremental scan of 300 idle processes is a few ms of stat reads, so
 * this keeps the idle agent far under 0.5 % of a core, and a process started since is at
 * worst 10 s unknown (it is also the least likely victim: new means recently used).
 * Pressure: every 500 ms, as the previous fixed interval; for 10 s after the last event,
 * the span of PSI's 10 s average.
 */
export const DEFAULT_SCAN_RATES: ScanRates = { calmMs: 10_000, pressureMs: 500, holdMs: 10_000 };

/** The delay from the last scan to the next, given the time of the last pressure event. */
export function nextScanDelay(now: number, lastPressureAt: number, rates: ScanRates = DEFAULT_SCAN_RATES): number {
  return now - lastPressureAt < rates.holdMs ? rates.pressureMs : rates.calmMs;
}
