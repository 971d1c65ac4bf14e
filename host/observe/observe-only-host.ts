import { Observable, of, share } from 'rxjs';
import si from 'systeminformation';
import type { Host } from '../../policy-engine/host-contract';
import { untouchableReason } from '../../policy-engine/protection';
import type { ActionOutcome, PlannedAction, PressureLevel, PressureSignal, ProcessSnapshot } from '../../policy-engine/types';

export interface ObserveOnlyOptions {
  /** How often memory is sampled (there are no kernel events to wait on). */
  sampleMs?: number;
  /** earlyoom-like thresholds on available memory, in % of total. */
  lowPct?: number;
  mediumPct?: number;
  criticalPct?: number;
}

/**
 * Where reclaim is impossible (not Linux, or no capability): systeminformation supplies
 * memory and processes, pressure is judged from available memory as earlyoom does, and
 * every action comes back `unsupported` (the agent runs it as a dry run anyway).
 */
export class ObserveOnlyHost implements Host {
  readonly name = 'observe';
  readonly pressure$: Observable<PressureSignal>;
  private processes: ProcessSnapshot[] = [];
  private last: PressureSignal;

  constructor(private readonly options: ObserveOnlyOptions = {}) {
    this.last = { at: Date.now(), source: 'timer', level: 'none', memory: { totalBytes: 0, availableBytes: 0, freeBytes: 0, swapTotalBytes: 0, swapFreeBytes: 0 } };
    this.pressure$ = new Observable<PressureSignal>((subscriber) => {
      let stopped = false;
      let timer: NodeJS.Timeout;
      const tick = async () => {
        if (stopped) return;
        try {
          const signal = await this.read();
          await this.refreshProcesses();
          if (signal.level !== 'none') subscriber.next(signal);
        } catch (err) {
          subscriber.error(err);
          return;
        }
        if (!stopped) timer = setTimeout(tick, this.options.sampleMs ?? 2000);
      };
      timer = setTimeout(tick, 0);
      return () => {
        stopped = true;
        clearTimeout(timer);
      };
    }).pipe(share());
  }

  /** Memory now, and the level earlyoom would see in it. */
  async read(): Promise<PressureSignal> {
    const m = await si.mem();
    const pct = m.total > 0 ? (100 * m.available) / m.total : 100;
    const level: PressureLevel =
      pct <= (this.options.criticalPct ?? 5) ? 'critical' : pct <= (this.options.mediumPct ?? 10) ? 'medium' : pct <= (this.options.lowPct ?? 20) ? 'low' : 'none';
    this.last = {
      at: Date.now(),
      source: 'timer',
      level,
      memory: { totalBytes: m.total, availableBytes: m.available, freeBytes: m.free, swapTotalBytes: m.swaptotal, swapFreeBytes: m.swapfree },
    };
    return this.last;
  }

  async refreshProcesses(): Promise<void> {
    const list = (await si.processes()).list;
    this.processes = list.map((p) => ({
      pid: p.pid,
      startTime: Date.parse(p.started.replace(' ', 'T')) || 0,
      appKey: p.name,
      name: p.name,
      importance: 'cached',
      oomScoreAdj: 0,
      priority: 'normal',
      isForeground: false,
      lastForegroundAt: null,
      rssAnonBytes: (p.memRss ?? 0) * 1024,
      rssFileBytes: 0,
      swapBytes: 0,
      untouchable: untouchableReason({ pid: p.pid, selfPid: process.pid }) ?? undefined,
    }));
  }

  sample(): PressureSignal {
    return this.last;
  }

  snapshot(): ProcessSnapshot[] {
    return this.processes;
  }

  /** Nothing to release: its sampling stops when pressure$ is unsubscribed. */
  async close(): Promise<void> {}

  execute(action: PlannedAction): Observable<ActionOutcome> {
    return of({ action, result: 'unsupported', message: 'observe-only host: per-process reclaim needs Linux and CAP_SYS_NICE', reclaimedAnonBytes: 0, reclaimedFileBytes: 0, durationMs: 0, at: Date.now() });
  }
}
