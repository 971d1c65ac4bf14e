import type { Statement } from 'better-sqlite3';
import { noteWriteFailure, writeStopped } from './health';
import type { Db } from './open';

/** Column values of one row, in the order of the INSERT statement's placeholders. */
export type RowValues = readonly (string | number | null)[];

export interface BatchedWriterOptions {
  /** Rows per transaction; a full batch is written at once. */
  batchSize?: number;
  /** Write what is buffered at least this often (live agent); 0 = only on batch/flush/close. */
  flushIntervalMs?: number;
  /** Rows kept in memory while the disk refuses writes; the oldest go first beyond this. */
  maxBuffered?: number;
  /** Told once per distinct failure, and again when writing works again (error null). */
  onStatus?: (status: WriterStatus) => void;
}

export interface WriterStatus {
  written: number;
  buffered: number;
  /** Rows given up because the buffer was full while writes failed. */
  dropped: number;
  /** Why the last write failed; null once writing works. */
  lastError: string | null;
}

/**
 * Batched inserts for the agent's logs: the agent appends without waiting on the disk;
 * rows go to SQLite a transaction per batch. A full or read-only disk never stops the
 * agent: rows wait in a bounded buffer and the failure is reported; close() writes what
 * is left. A damaged file or one moved away stops writing for good, and says so.
 */
export class BatchedWriter {
  private readonly insert: Statement;
  private readonly writeBatch: (rows: readonly RowValues[]) => void;
  private buffer: RowValues[] = [];
  private timer: NodeJS.Timeout | null = null;
  private readonly batchSize: number;
  private readonly maxBuffered: number;
  readonly status: WriterStatus = { written: 0, buffered: 0, dropped: 0, lastError: null };

  constructor(private readonly db: Db, insertSql: string, private readonly options: BatchedWriterOptions = {}) {
    this.batchSize = options.batchSize ?? 500;
    this.maxBuffered = options.maxBuffered ?? 100_000;
    this.insert = db.prepare(insertSql);
    this.writeBatch = db.transaction((rows: readonly RowValues[]) => {
      for (const row of rows) this.insert.run(row);
    });
    if (options.flushIntervalMs) {
      this.timer = setInterval(() => this.flush(), options.flushIntervalMs);
      this.timer.unref();
    }
  }

  /** Queue one row; written with the next full batch, flush or close. */
  append(row: RowValues): void {
    this.buffer.push(row);
    if (this.buffer.length > this.maxBuffered) {
      const over = this.buffer.length - this.maxBuffered;
      this.buffer.splice(0, over);
      this.status.dropped += over;
    }
    this.status.buffered = this.buffer.length;
    if (this.buffer.length >= this.batchSize && this.status.lastError === null) this.flush();
  }

  /** Write everything buffered, a transaction per batch. Returns rows written; never throws. */
  flush(): number {
    let written = 0;
    while (this.buffer.length > 0) {
      // A file found damaged, or moved away while open, is never written again (see health.ts).
      const halt = writeStopped(this.db);
      if (halt !== null) {
        this.report(halt);
        break;
      }
      const batch = this.buffer.slice(0, this.batchSize);
      try {
        this.writeBatch(batch);
      } catch (err) {
        this.report(noteWriteFailure(this.db, err));
        break;
      }
      this.buffer.splice(0, batch.length);
      written += batch.length;
      this.status.written += batch.length;
      if (this.status.lastError !== null) this.report(null);
    }
    this.status.buffered = this.buffer.length;
    return written;
  }

  /** Stop the timer and write what is left (a clean shutdown loses nothing the disk accepts). */
  close(): WriterStatus {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.flush();
    return { ...this.status };
  }

  private report(error: string | null): void {
    if (this.status.lastError === error) return;
    this.status.lastError = error;
    this.options.onStatus?.({ ...this.status, buffered: this.buffer.length });
  }
}
