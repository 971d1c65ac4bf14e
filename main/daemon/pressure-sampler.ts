import { Subject } from 'rxjs';
import type { PressureLog } from '../../db/pressure-log';
import { pushBounded } from '../../policy-engine/bounded';
import type { Host } from '../../policy-engine/host-contract';
import type { PressureDetector } from '../../policy-engine/detectors/detector';
import type { PressureReading, PressureSignal } from '../../policy-engine/types';
import type { PressureSample } from '../../common/api/contract';
import type { AgentCounters } from './agent-counters';

export const SAMPLE_EVERY_MS = 1000;
const SAMPLES_KEPT = 3600;
const PRESSURE_LOG_EVERY_MS = 10_000;

/**
 * What the charts and the pressure log see: a sample of the host's memory and pressure each
 * second (an hour kept), every pressure event the engine heard, and one sample every 10 s
 * in the log between events.
 */
export class PressureSampler {
  readonly samples$ = new Subject<PressureSample>();
  private readonly samples: PressureSample[] = [];
  private timer: NodeJS.Timeout | null = null;
  private lastLogged = 0;

  constructor(
    private readonly host: Host,
    /** Judges each sample's level: the same detector the engine uses on this host. */
    private readonly detector: PressureDetector,
    private readonly log: PressureLog | null,
    private readonly counters: AgentCounters,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.takeSample(), SAMPLE_EVERY_MS);
    this.timer.unref();
    this.takeSample();
  }

  /** A pressure event as the engine heard it (before its storm throttle): every one is logged. */
  heard(signal: PressureSignal): void {
    this.log?.appendSignal({ ...signal, at: Date.now() }, this.host.name);
  }

  level(): PressureSignal['level'] {
    return this.samples[this.samples.length - 1]?.level ?? 'none';
  }

  recentSamples(sinceMs = SAMPLES_KEPT * SAMPLE_EVERY_MS): PressureSample[] {
    const from = Date.now() - sinceMs;
    return this.samples.filter((s) => s.ts >= from);
  }

  /** Stop sampling; the last reading goes to the log. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.log?.appendSignal({ ...this.judged(this.host.sample()), at: Date.now() }, this.host.name);
    this.samples$.complete();
  }

  private judged(reading: PressureReading): PressureSignal {
    return { ...reading, source: 'timer', level: this.detector.level(reading) };
  }

  private takeSample(): void {
    const signal = this.judged(this.host.sample());
    const m = signal.memory;
    const sample: PressureSample = {
      ts: Date.now(),
      level: signal.level,
      psiSome: signal.psi?.someAvg10 ?? null,
      psiFull: signal.psi?.fullAvg10 ?? null,
      totalBytes: m.totalBytes,
      anonBytes: m.anonBytes ?? 0,
      fileBytes: m.fileCacheBytes ?? 0,
      zramBytes: m.zramBytes ?? 0,
      zswapBytes: m.zswapBytes ?? 0,
      freeBytes: m.freeBytes,
      availableBytes: m.availableBytes,
    };
    this.counters.level = sample.level;
    this.counters.psiSome = sample.psiSome;
    this.counters.psiFull = sample.psiFull;
    pushBounded(this.samples, sample, SAMPLES_KEPT);
    this.samples$.next(sample);
    if (sample.ts - this.lastLogged >= PRESSURE_LOG_EVERY_MS) {
      this.lastLogged = sample.ts;
      this.log?.appendSignal({ ...signal, at: sample.ts }, this.host.name);
    }
  }
}
