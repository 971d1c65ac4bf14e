import { from, map, Observable, share } from 'rxjs';
import { pushBounded } from '../../policy-engine/bounded';
import type { Host } from '../../policy-engine/host-contract';
import type { ActionOutcome, ActionResult, PlannedAction, PressureSignal, ProcessSnapshot, UserPriority } from '../../policy-engine/types';
import { CombinedForeground, MarkedForeground, X11Foreground, type ForegroundSource } from './foreground';
import { readMemcgMemory, readPsi, readSystemMemory, readZramUsedBytes } from './meminfo';
import { kernelPressureEvents, type KernelEvent, type PressureSourceOptions } from './pressure-sources';
import { ProcessScanner } from './process-scanner';
import { ReclaimRunner } from './reclaim-runner';
import { compiledScript } from '../worker-script';
import type { ScanWorkerMessage } from './scan-worker';
import { Worker } from 'node:worker_threads';

export interface LinuxHostOptions {
  /** memcg v1 directory: its vmpressure events, its memory as the total, only its processes. */
  memcg?: string;
  /** Watermarks to judge a memcg's free memory by (a lab device's), as zones have for the system. */
  memcgWatermarks?: { minBytes: number; lowBytes: number; highBytes: number };
  /** PSI file; default /proc/pressure/memory (a cgroup v2 memory.pressure where there is one). */
  psiPath?: string | null;
  /** Pids never to touch besides pid 1 and the agent (its UI). */
  protectedPids?: number[];
  /** Where foreground comes from; default: marked pids plus the X11 active window if any. */
  foreground?: ForegroundSource;
  /** The user's priorities by app key (from the database), read at every scan. */
  priorities?: () => ReadonlyMap<string, UserPriority>;
  /** A snapshot older than this is rescanned; pressure paths use the recent one. */
  scanMaxAgeMs?: number;
  onSourceInfo?: PressureSourceOptions['onInfo'];
}

/**
 * The real machine as a Host: /proc for processes, the kernel's PSI triggers and vmpressure
 * for events, process_madvise on a worker thread for reclaim, pidfd for kills.
 */
export class LinuxHost implements Host {
  readonly name = 'linux';
  readonly pressure$: Observable<PressureSignal>;
  readonly marked = new MarkedForeground();
  /** Wall ms from the kernel's event to the first process_madvise, per reclaim (for benchmarks). */
  readonly eventToMadviseMs: number[] = [];
  private readonly runner = new ReclaimRunner();
  private readonly scanner: ProcessScanner;
  private readonly foreground: ForegroundSource;
  private readonly memcgScope: string | undefined;
  private cached: { at: number; procs: ProcessSnapshot[] } | null = null;
  private lastEvent: KernelEvent | null = null;
  private scanWorker: Worker | null = null;

  constructor(private readonly options: LinuxHostOptions = {}) {
    this.memcgScope = options.memcg ? memcgPath(options.memcg) : undefined;
    this.scanner = new ProcessScanner({ scopeCgroup: this.memcgScope, protectedPids: options.protectedPids });
    this.foreground = options.foreground ?? new CombinedForeground(X11Foreground.available() ? [this.marked, new X11Foreground()] : [this.marked]);
    this.pressure$ = kernelPressureEvents({ psiPath: options.psiPath, memcg: options.memcg ?? '/sys/fs/cgroup/memory', onInfo: options.onSourceInfo }).pipe(
      map((e) => {
        this.lastEvent = e;
        return this.signalFor(e);
      }),
      share(),
    );
  }

  private memory(): PressureSignal['memory'] {
    return this.options.memcg ? readMemcgMemory(this.options.memcg, this.options.memcgWatermarks) : readSystemMemory();
  }

  private signalFor(e: KernelEvent): PressureSignal {
    const psi = readPsi(this.options.psiPath ?? '/proc/pressure/memory');
    return {
      at: Date.now(),
      source: e.source,
      level: e.level,
      psi,
      // The kernel reports only the level; its lower bound stands in for the percentage.
      vmpressure: e.source === 'vmpressure' ? { level: e.level, pressurePct: e.level === 'critical' ? 95 : e.level === 'medium' ? 60 : 0 } : undefined,
      memory: this.memory(),
    };
  }

  sample(): PressureSignal {
    const psi = readPsi(this.options.psiPath ?? '/proc/pressure/memory');
    // lmkd's trigger ratios as averages: some 70 ms/s is 7%, full 700 ms/s is 70%.
    const level = psi && psi.fullAvg10 >= 70 ? 'critical' : psi && psi.someAvg10 >= 7 ? 'medium' : 'none';
    // zram's RAM use is for the charts: read here, so the kernel-event path does not pay for it.
    return { at: Date.now(), source: 'timer', level, psi, memory: { ...this.memory(), zramBytes: readZramUsedBytes() } };
  }

  /** Processes now; a scan younger than scanMaxAgeMs (or the background scanner's latest) is reused. */
  snapshot(): ProcessSnapshot[] {
    const now = Date.now();
    if (this.cached && this.scanWorker) return this.withCurrentForeground(this.cached.procs);
    if (this.cached && now - this.cached.at < (this.options.scanMaxAgeMs ?? 1000)) return this.cached.procs;
    const procs = this.scanner.scan(now, this.foreground.foregroundPids(), this.options.priorities?.() ?? new Map());
    this.cached = { at: now, procs };
    return procs;
  }

  /** A background scan may predate the latest foreground change: apply the current one. */
  private withCurrentForeground(procs: ProcessSnapshot[]): ProcessSnapshot[] {
    const fg = this.foreground.foregroundPids();
    return procs.map((p) =>
      fg.has(p.pid) === p.isForeground ? p : { ...p, isForeground: fg.has(p.pid), importance: fg.has(p.pid) ? 'foreground' : 'previous', lastForegroundAt: Date.now() },
    );
  }

  /**
   * Keep the snapshot warm on a worker thread, so an event never waits for a /proc scan:
   * snapshot() then answers from the latest scan, which is at most `intervalMs` old.
   */
  startBackgroundScan(intervalMs = 500): void {
    if (this.scanWorker) return;
    const worker = new Worker(compiledScript(__dirname, 'scan-worker.js'), {
      workerData: { options: { scopeCgroup: this.memcgScope, protectedPids: this.options.protectedPids }, intervalMs },
    });
    worker.unref();
    worker.on('message', (msg: { at: number; procs: ProcessSnapshot[] }) => {
      this.cached = msg;
      // What the scanner must know comes from the main thread: the user's marks and priorities.
      worker.postMessage({ type: 'foreground', pids: [...this.foreground.foregroundPids()] } satisfies ScanWorkerMessage);
      worker.postMessage({ type: 'priorities', entries: [...(this.options.priorities?.() ?? new Map())] } satisfies ScanWorkerMessage);
    });
    worker.on('error', () => (this.scanWorker = null)); // fall back to scanning here
    this.scanWorker = worker;
  }

  execute(action: PlannedAction): Observable<ActionOutcome> {
    const started = Date.now();
    // Latency is measured for the first action after each kernel event only.
    const event = this.lastEvent;
    this.lastEvent = null;
    const outcome = (result: ActionResult, message: string, anon = 0, file = 0): ActionOutcome => ({
      action,
      result,
      message,
      reclaimedAnonBytes: anon,
      reclaimedFileBytes: file,
      durationMs: Date.now() - started,
      at: Date.now(),
    });
    const guard = this.mechanismRefusal(action);
    if (guard) return from([outcome('refused', guard)]);
    const protectedPids = this.options.protectedPids ?? [];
    if (action.type === 'kill') {
      return from(this.runner.kill(action.pid, action.startTime, protectedPids).then((r) => outcome(r.result, r.message)));
    }
    return from(
      this.runner
        .reclaim({ pid: action.pid, startTime: action.startTime, kind: action.kind, mode: action.mode, budgetBytes: action.requestedBytes, protectedPids }, event !== null)
        .then((r) => {
          if (event && r.firstCallAtMs !== null) pushBounded(this.eventToMadviseMs, r.firstCallAtMs - event.wokeAtMs);
          return { ...outcome(r.result, r.message, r.reclaimedAnonBytes, r.reclaimedFileBytes), durationMs: r.durationMs };
        }),
    );
  }

  /** Defence in depth: the mechanism re-checks what policy should never ask for. */
  private mechanismRefusal(action: PlannedAction): string | null {
    if (this.foreground.foregroundPids().has(action.pid)) return `pid ${action.pid} is in the foreground`;
    const proc = this.cached?.procs.find((p) => p.pid === action.pid && p.startTime === action.startTime);
    if (proc?.priority === 'protected') return `${proc.appKey} is protected`;
    if (proc?.untouchable) return `pid ${action.pid} is ${proc.untouchable}`;
    return null;
  }

  async close(): Promise<void> {
    await this.scanWorker?.terminate();
    this.scanWorker = null;
    await this.runner.close();
  }
}

/** The memcg's path as /proc/PID/cgroup shows it ("/lab" for /sys/fs/cgroup/memory/lab). */
export function memcgPath(dir: string): string {
  const m = /\/sys\/fs\/cgroup\/memory(\/.*)?$/.exec(dir.replace(/\/+$/, ''));
  if (!m) throw new Error(`${dir} is not under /sys/fs/cgroup/memory`);
  return m[1] ?? '/';
}
