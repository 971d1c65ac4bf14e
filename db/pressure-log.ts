import type { PressureSignal } from '../policy-engine/types';
import { BatchedWriter, type BatchedWriterOptions } from './batched-writer';
import type { Db } from './open';

const INSERT = `INSERT INTO pressure_samples (ts, host, level, source, psi_some_avg10, psi_full_avg10, mem_available_bytes, swap_free_bytes)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)`;

/** Pressure over time: every signal the agent hears and a periodic sample, batched. */
export class PressureLog extends BatchedWriter {
  constructor(db: Db, options: BatchedWriterOptions = {}) {
    super(db, INSERT, options);
  }

  appendSignal(signal: PressureSignal, host: string): void {
    this.append([
      Math.round(signal.at),
      host,
      signal.level,
      signal.source,
      signal.psi?.someAvg10 ?? null,
      signal.psi?.fullAvg10 ?? null,
      Math.round(signal.memory.availableBytes),
      Math.round(signal.memory.swapFreeBytes),
    ]);
  }
}

export interface PressureSampleRow {
  ts: number;
  host: string;
  level: string;
  source: string;
  psiSomeAvg10: number | null;
  psiFullAvg10: number | null;
  memAvailableBytes: number;
  swapFreeBytes: number;
}

/** Samples in a time range, oldest first (for the live charts). */
export function pressureSamples(db: Db, since: number, until = Number.MAX_SAFE_INTEGER, limit = 10_000): PressureSampleRow[] {
  return db
    .prepare(
      `SELECT ts, host, level, source, psi_some_avg10 AS psiSomeAvg10, psi_full_avg10 AS psiFullAvg10,
              mem_available_bytes AS memAvailableBytes, swap_free_bytes AS swapFreeBytes
       FROM pressure_samples WHERE ts >= ? AND ts < ? ORDER BY ts LIMIT ?`,
    )
    .all(since, until, limit) as PressureSampleRow[];
}
