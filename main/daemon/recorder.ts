import { existsSync, readFileSync } from 'node:fs';
import { errorText } from '../../db/errors';
import { readStat } from '../../host/linux/procfs';
import type { Db } from '../../db/open';
import { createRecording, endRecording, RecordingLog, type RecordedDevice, type RecordedSettings } from '../../db/recordings';
import type { Host } from '../../policy-engine/host-contract';
import type { PressureDetector } from '../../policy-engine/detectors/detector';
import type { PressureSignal, ProcessSnapshot } from '../../policy-engine/types';
import type { RecordingStatus } from '../../common/api/contract';
import { SAMPLE_EVERY_MS } from './pressure-sampler';

/**
 * An RSS sample is stored when a part moved by at least this much since the last stored one:
 * smaller moves change no step of the export (allocations are inferred in MiB), and 300
 * processes sampled every second would otherwise be 26 million rows a day.
 */
export const RSS_CHANGE_BYTES = 1024 * 1024;
/** …and at least this often per process, so a quiet process still has its size through the recording. */
export const RSS_REFRESH_MS = 60_000;
/** Command lines are kept up to this length (a browser's can run to kilobytes of flags). */
export const CMDLINE_MAX_CHARS = 1024;

export interface RecorderOptions {
  db: Db;
  host: Host;
  /** Judges each pressure reading's level, as the engine does on this host. */
  detector: PressureDetector;
  /** The memcg the agent is limited to, or null for the whole machine. */
  scope: string | null;
  device: RecordedDevice;
  settings: RecordedSettings;
  /** A process's command line; null when it cannot be read. Default: /proc on the linux host, none elsewhere (a simulated pid is no real process). */
  cmdline?: (pid: number) => string | null;
  /** A process's cumulative major faults (its refaults); default /proc on the linux host, none elsewhere. */
  majorFaults?: (p: ProcessSnapshot) => number | null;
  log?: (line: string) => void;
}

interface Seen {
  snapshot: ProcessSnapshot;
  storedAt: number;
  stored: { anon: number; file: number; swap: number };
}

function readCmdline(pid: number): string | null {
  try {
    const text = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
    return text === '' ? null : text.slice(0, CMDLINE_MAX_CHARS);
  } catch {
    return null;
  }
}

/** majflt of this process — not of another that took its pid since (start time checked). */
function readMajorFaults(p: ProcessSnapshot): number | null {
  const stat = readStat(p.pid);
  return stat && stat.startTime === p.startTime ? stat.majorFaults : null;
}

const keyOf = (p: ProcessSnapshot) => `${p.pid}:${p.startTime}`;

/**
 * Records what the live agent sees, beside it and never in its way: at the sampler's rate
 * the host's processes as differences (appeared, exited, changed importance/adj/foreground,
 * RSS moved) and its pressure reading, plus every kernel event the engine heard. A full
 * disk, a read-only or damaged database, or the scope's memcg gone stops the recording —
 * with the reason in its status and header — never the agent.
 */
export class Recorder {
  private readonly log: RecordingLog;
  private readonly seen = new Map<string, Seen>();
  private timer: NodeJS.Timeout | null = null;
  private readonly status_: RecordingStatus;
  private readonly cmdline: (pid: number) => string | null;
  private readonly majorFaults: (p: ProcessSnapshot) => number | null;

  private constructor(private readonly options: RecorderOptions, id: number, startedAt: number) {
    this.status_ = { id, active: true, startedAt, endedAt: null, rows: 0, stopReason: null };
    this.cmdline = options.cmdline ?? (options.host.name === 'linux' ? readCmdline : () => null);
    this.majorFaults = options.majorFaults ?? (options.host.name === 'linux' ? readMajorFaults : () => null);
    this.log = new RecordingLog(options.db, id, {
      flushIntervalMs: 1000,
      onStatus: (s) => {
        // After the writer has finished its turn (stop closes it).
        if (s.lastError) queueMicrotask(() => this.stop(`the database stopped taking the recording's rows: ${s.lastError}`));
      },
    });
  }

  /** Start recording; throws with the reason when the database refuses the recording's header. */
  static start(options: RecorderOptions): Recorder {
    const startedAt = Date.now();
    let id: number;
    try {
      id = createRecording(options.db, { startedAt, host: options.host.name, scope: options.scope, device: options.device, settings: options.settings });
    } catch (err) {
      throw new Error(`cannot start a recording: the database refused it (${errorText(err)})`);
    }
    const recorder = new Recorder(options, id, startedAt);
    recorder.tick();
    recorder.timer = setInterval(() => recorder.tick(), SAMPLE_EVERY_MS);
    recorder.timer.unref();
    return recorder;
  }

  get status(): RecordingStatus {
    return { ...this.status_, rows: this.log.status.written + this.log.status.buffered };
  }

  /** A kernel event as the engine heard it (before its throttle). */
  heard(signal: PressureSignal): void {
    if (!this.status_.active) return;
    this.log.appendRow({ ...this.pressureRow(signal, Date.now()), kind: 'kernel' });
  }

  /** Stop: the header gets its end and the reason (null when the agent or the user stopped it). */
  stop(reason: string | null = null): void {
    if (!this.status_.active) return;
    this.status_.active = false;
    this.status_.endedAt = Date.now();
    this.status_.stopReason = reason;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    const written = this.log.close();
    if (reason === null && written.lastError) this.status_.stopReason = `rows not written at the end: ${written.lastError}`;
    try {
      endRecording(this.options.db, this.status_.id, this.status_.endedAt, this.status_.stopReason);
    } catch (err) {
      // The header keeps no end: the export then ends at the last row, and says so.
      this.status_.stopReason ??= `its end could not be written: ${errorText(err)}`;
    }
    if (reason) this.options.log?.(`recording ${this.status_.id} stopped: ${reason}`);
  }

  private tick(): void {
    if (!this.status_.active) return;
    if (this.options.scope !== null && !existsSync(this.options.scope)) {
      this.stop(`its memcg ${this.options.scope} is gone`);
      return;
    }
    const now = Date.now();
    let processes: readonly ProcessSnapshot[];
    let signal: PressureSignal;
    try {
      processes = this.options.host.snapshot();
      const reading = this.options.host.sample();
      signal = { ...reading, source: 'timer', level: this.options.detector.level(reading) };
    } catch (err) {
      // A process vanishing mid-read is the host's to absorb; anything else is worth a line, not a stop.
      this.options.log?.(`recording ${this.status_.id}: reading the host failed this time: ${errorText(err)}`);
      return;
    }
    this.log.appendRow({ ...this.pressureRow(signal, now), kind: 'pressure' });
    const present = new Set<string>();
    for (const p of processes) {
      const key = keyOf(p);
      present.add(key);
      const before = this.seen.get(key);
      if (!before) {
        this.log.appendRow({ ...this.processRow(p, now), kind: 'appear', appKey: p.appKey, name: p.name, cmdline: this.cmdline(p.pid) });
        this.seen.set(key, { snapshot: p, storedAt: now, stored: { anon: p.rssAnonBytes, file: p.rssFileBytes, swap: p.swapBytes } });
        continue;
      }
      const b = before.snapshot;
      if (b.importance !== p.importance || b.oomScoreAdj !== p.oomScoreAdj || b.isForeground !== p.isForeground || b.priority !== p.priority) {
        this.log.appendRow({ ...this.processRow(p, now), kind: 'change' });
        before.storedAt = now;
        before.stored = { anon: p.rssAnonBytes, file: p.rssFileBytes, swap: p.swapBytes };
      } else {
        const s = before.stored;
        const moved = Math.max(Math.abs(p.rssAnonBytes - s.anon), Math.abs(p.rssFileBytes - s.file), Math.abs(p.swapBytes - s.swap));
        if (moved >= RSS_CHANGE_BYTES || now - before.storedAt >= RSS_REFRESH_MS) {
          this.log.appendRow({ ...this.processRow(p, now), kind: 'rss' });
          before.storedAt = now;
          before.stored = { anon: p.rssAnonBytes, file: p.rssFileBytes, swap: p.swapBytes };
        }
      }
      before.snapshot = p;
    }
    for (const [key, s] of this.seen) {
      if (present.has(key)) continue;
      this.log.appendRow({ ts: now, kind: 'exit', pid: s.snapshot.pid, startTime: s.snapshot.startTime });
      this.seen.delete(key);
    }
  }

  private processRow(p: ProcessSnapshot, ts: number) {
    // Read only for the rows stored: a refault count beside each size the export uses.
    return {
      majorFaults: this.majorFaults(p),
      ts,
      pid: p.pid,
      startTime: p.startTime,
      importance: p.importance,
      adj: p.oomScoreAdj,
      foreground: p.isForeground,
      priority: p.priority,
      rssAnonBytes: p.rssAnonBytes,
      rssFileBytes: p.rssFileBytes,
      swapBytes: p.swapBytes,
    };
  }

  private pressureRow(s: PressureSignal, ts: number) {
    const m = s.memory;
    return {
      ts,
      level: s.level,
      source: s.source,
      psiSomeAvg10: s.psi?.someAvg10 ?? null,
      psiFullAvg10: s.psi?.fullAvg10 ?? null,
      vmpressurePct: s.vmpressure?.pressurePct ?? null,
      memTotalBytes: m.totalBytes,
      memAvailableBytes: m.availableBytes,
      memFreeBytes: m.freeBytes,
      swapTotalBytes: m.swapTotalBytes,
      swapFreeBytes: m.swapFreeBytes,
      fileCacheBytes: m.fileCacheBytes ?? null,
      anonBytes: m.anonBytes ?? null,
      zramBytes: m.zramBytes ?? null,
      refaultFile: m.workingsetRefaultFile ?? null,
    };
  }
}
