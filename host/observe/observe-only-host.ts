import { Observable, of, share } from 'rxjs';
import type { Host } from '../../policy-engine/host-contract';
import { untouchableReason } from '../../policy-engine/protection';
import type { ActionOutcome, PlannedAction, PressureEvent, PressureReading, ProcessSnapshot } from '../../policy-engine/types';

/**
 * systeminformation, loaded on first use: its modules cost ~10 MiB of RSS (measured), which
 * the Linux agent — which never uses this host but links it in — would carry for nothing.
 */
async function systeminformation(): Promise<typeof import('systeminformation')> {
  return import('systeminformation');
}

export interface ObserveOnlyOptions {
  /** How often memory is sampled (there are no kernel events to wait on). */
  sampleMs?: number;
}

/**
 * Where reclaim is impossible (not Linux, or no capability): systeminformation supplies
 * memory and processes, every sample is delivered as a pressure event without a level (the
 * engine's detector judges it: available memory, as earlyoom does), and every action comes
 * back `unsupported` (the agent runs it as a dry run anyway).
 */
export class ObserveOnlyHost implements Host {
  readonly name = 'observe';
  readonly pressure$: Observable<PressureEvent>;
  private processes: ProcessSnapshot[] = [];
  private last: PressureReading;

  constructor(private readonly options: ObserveOnlyOptions = {}) {
    this.last = { at: Date.now(), memory: { totalBytes: 0, availableBytes: 0, freeBytes: 0, swapTotalBytes: 0, swapFreeBytes: 0 } };
    this.pressure$ = new Observable<PressureEvent>((subscriber) => {
      let stopped = false;
      let timer: NodeJS.Timeout;
      const tick = async () => {
        if (stopped) return;
        try {
          const reading = await this.read();
          await this.refreshProcesses();
          subscriber.next({ ...reading, source: 'timer' });
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

  /** Memory now. */
  async read(): Promise<PressureReading> {
    const m = await (await systeminformation()).mem();
    this.last = {
      at: Date.now(),
      memory: { totalBytes: m.total, availableBytes: m.available, freeBytes: m.free, swapTotalBytes: m.swaptotal, swapFreeBytes: m.swapfree },
    };
    return this.last;
  }

  async refreshProcesses(): Promise<void> {
    const list = (await (await systeminformation()).processes()).list;
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

  sample(): PressureReading {
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
