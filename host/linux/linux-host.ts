import { finalize, from, Observable, share } from 'rxjs';
import { pushBounded } from '../../policy-engine/bounded';
import { DEFAULT_THROTTLE_MS } from '../../policy-engine/engine';
import type { Host, Planner } from '../../policy-engine/host-contract';
import { protectionReason } from '../../policy-engine/protection';
import type { ActionOutcome, ActionResult, PlannedAction, PressureReading, PressureSignal, ProcessSnapshot, ReclaimAction, UserPriority } from '../../policy-engine/types';
import { CombinedForeground, MarkedForeground, X11Foreground, type ForegroundSource } from './foreground';
import { readMemcgMemory, readPsi, readSystemMemory, readZramUsedBytes } from './meminfo';
import type { KernelEvent, PressureSourceOptions } from './pressure-sources';
import { ProcessScanner, type ScanCounts } from './process-scanner';
import type { ReclaimResult } from './process-reclaim';
import { CANDIDATES_PER_SLOT, NO_REACTION_COUNTS, REACTION_SLOTS, type ReactionCounts } from './reaction-plan';
import { ReactionThread } from './reaction-thread';
import type { ReactionProtocol } from './reaction-worker';
import type { ThreadPriority } from './realtime';
import { ReclaimRunner } from './reclaim-runner';
import { DEFAULT_SCAN_RATES, type ScanRates } from './scan-rate';
import { compiledScript } from '../worker-script';
import type { ScanProtocol, ScanWorkerData } from './scan-worker';
import { Channel } from '../worker-channel';

/** Plans kept to map a reaction back to its full action (a reaction reads at most the newest, or the one before). */
const PLANS_KEPT = 8;

/**
 * How long a scan's or a used plan's re-plan may wait, to be done once for all that arrive
 * meanwhile: half of TAKEN_GUARD_MS, for which the thread skips what it just took — so the
 * new plan is in place before the guard lapses, with as much again for the main thread's own
 * lag. Under thrashing the thread answers several events a second, each of which asked for a
 * plan (five policy passes over every process).
 */
export const REARM_COALESCE_MS = 500;
/**
 * A signal's memory reading may be this old: the scanner reads it every 500 ms under
 * pressure, and a memcg's memory.stat costs 70–80 ms to read under thrashing (measured),
 * which on the main thread for each event delayed the re-planning behind it.
 */
const MEMORY_MAX_AGE_MS = 1500;

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
  /** Try SCHED_FIFO (else nice −20) for the reaction thread; default true. */
  realtime?: boolean;
  /** What the reaction thread got (SCHED_FIFO, nice or normal), once it runs. */
  onReactionPriority?: (priority: ThreadPriority | null) => void;
}

/**
 * The real machine as a Host: /proc for processes, the kernel's PSI triggers and vmpressure
 * for events, process_madvise on a worker thread for reclaim, pidfd for kills. The events
 * are waited on by the reaction thread, which issues the first reclaim itself — the one
 * the engine's planner chose ahead for that kind of event — and then tells the engine.
 */
export class LinuxHost implements Host {
  readonly name = 'linux';
  readonly pressure$: Observable<PressureSignal>;
  readonly marked = new MarkedForeground();
  /** Wall ms from the kernel's event to the first process_madvise, per reclaim (for benchmarks). */
  readonly eventToMadviseMs: number[] = [];
  /** The same, for the first reclaims the reaction thread issued (the rest went through the engine). */
  readonly reactionToMadviseMs: number[] = [];
  /** What the reaction thread's scheduling is, once it runs (null until then or when not asked). */
  reactionPriority: ThreadPriority | null = null;
  /** How the background scanner read /proc last time. */
  lastScanCounts: ScanCounts | null = null;
  private readonly runner = new ReclaimRunner();
  private reaction: ReactionThread | null = null;
  /** The latest reaction thread, kept after it stops for its counts. */
  private lastReaction: ReactionThread | null = null;
  private planner: Planner | null = null;
  /** The full actions behind each armed plan's sequence number, by slot. */
  private readonly plans = new Map<number, ReclaimAction[][]>();
  /** Reactions announced but not yet finished, by the thread's event id. */
  private readonly pendingReactions = new Map<number, (r: ReclaimResult) => void>();
  /** What execute() answers for an action the reaction thread already issued. */
  private readonly reactionResults = new WeakMap<PlannedAction, { result: Promise<ReclaimResult>; event: KernelEvent }>();
  /**
   * Shared file bytes each process's last file reclaim found (pagemap: pages other processes
   * map too), by pid:startTime — told to the policy in its snapshots, so a process whose file
   * pages are all shared libraries is not asked again and again for what the kernel skips.
   */
  private readonly sharedFile = new Map<string, number>();
  private lastForeground = '';
  private rearmTimer: ReturnType<typeof setTimeout> | null = null;
  private scannedMemory: { at: number; memory: PressureSignal['memory'] } | null = null;
  private readonly scanner: ProcessScanner;
  private readonly foreground: ForegroundSource;
  private readonly memcgScope: string | undefined;
  private cached: { at: number; procs: ProcessSnapshot[] } | null = null;
  private lastEvent: KernelEvent | null = null;
  private scanWorker: Channel<ScanProtocol> | null = null;

  constructor(private readonly options: LinuxHostOptions = {}) {
    this.memcgScope = options.memcg ? memcgPath(options.memcg) : undefined;
    this.scanner = new ProcessScanner({ scopeCgroup: this.memcgScope, protectedPids: options.protectedPids });
    this.foreground = options.foreground ?? new CombinedForeground(X11Foreground.available() ? [this.marked, new X11Foreground()] : [this.marked]);
    this.pressure$ = new Observable<PressureSignal>((subscriber) => {
      const thread = new ReactionThread({
        sources: { psiPath: options.psiPath, memcg: options.memcg ?? '/sys/fs/cgroup/memory' },
        protectedPids: options.protectedPids ?? [],
        minIntervalMs: DEFAULT_THROTTLE_MS,
        realtime: options.realtime ?? true,
        onInfo: (info) => {
          this.reactionPriority = info.priority;
          options.onSourceInfo?.({ psi: info.psi, vmpressure: info.vmpressure, errors: info.errors });
          options.onReactionPriority?.(info.priority);
        },
        onEvent: (msg) => this.onKernelEvent(msg, (signal) => subscriber.next(signal)),
        onReacted: (id, result) => {
          this.pendingReactions.get(id)?.(result);
          this.pendingReactions.delete(id);
        },
        onFatal: (message) => subscriber.error(new Error(message)),
      });
      this.reaction = thread;
      this.lastReaction = thread;
      this.rearm();
      return () => {
        this.reaction = null;
        void thread.stop();
      };
    }).pipe(share());
  }

  /** What became of the kernel's events in the reaction thread (heard, throttled, answered, and why not). */
  get reactionCounts(): ReactionCounts {
    return this.lastReaction?.counts ?? { ...NO_REACTION_COUNTS };
  }

  /** The engine's planner: what the policy would do now, for the reaction thread to do ahead. */
  setPlanner(planner: Planner): () => void {
    this.planner = planner;
    this.rearm();
    return () => {
      if (this.planner !== planner) return;
      this.planner = null;
      this.reaction?.plan.disarm();
    };
  }

  /**
   * Plan again within REARM_COALESCE_MS, once for however many scans and used plans arrive
   * meanwhile. Under thrashing the thread answers events by the dozen a second and each
   * answer asked for a new plan — five policy passes over every process each — which kept the
   * main thread 1–2.5 s behind the events it must hear (bench:linux with contention, measured
   * 2026-11-24). What must not wait (a new foreground, the engine acting on a planned process)
   * calls rearm() itself.
   */
  private rearmSoon(): void {
    if (this.rearmTimer) return;
    this.rearmTimer = setTimeout(() => {
      this.rearmTimer = null;
      this.rearm();
    }, REARM_COALESCE_MS);
  }

  /**
   * Plan ahead for every kind of event on the latest snapshot and arm the reaction thread.
   * Called when the plan was used, a scan arrived, the planner or the foreground changed, or
   * the engine started an action on a planned process.
   */
  private rearm(): void {
    if (this.rearmTimer) clearTimeout(this.rearmTimer);
    this.rearmTimer = null;
    const reaction = this.reaction;
    if (!reaction || !this.planner) return;
    const base = { at: Date.now(), psi: readPsi(this.options.psiPath ?? '/proc/pressure/memory'), memory: this.memory() };
    const signals: PressureSignal[] = REACTION_SLOTS.map((s) => ({ ...base, source: s.source, level: s.level, vmpressure: vmpressureOf(s) }));
    const foreground = this.foreground.foregroundPids();
    const slots = this.planner(signals).map((actions) =>
      // The reaction thread only pages out (process_madvise): a demote waits for the engine.
      actions.filter((a): a is ReclaimAction => a.type === 'reclaim' && a.kind !== 'demote' && !a.dryRun && !foreground.has(a.pid)).slice(0, CANDIDATES_PER_SLOT),
    );
    const seq = reaction.writePlan(slots.map((actions) => actions.map((a) => ({ pid: a.pid, startTime: a.startTime, kind: a.kind, mode: a.mode, budgetBytes: a.requestedBytes }))));
    this.plans.set(seq, slots);
    for (const old of this.plans.keys()) if (this.plans.size > PLANS_KEPT) this.plans.delete(old);
  }

  private onKernelEvent(msg: ReactionProtocol['events']['event'], emit: (signal: PressureSignal) => void): void {
    const e = msg.event;
    this.scanWorker?.send('pressure');
    // Pressure has begun: the engine's urgent answers must not wait for their worker to start.
    this.runner.warmUrgent();
    const signal = this.signalFor(e);
    if (!msg.reaction) {
      // The engine answers this one: the first action it executes while handling it (synchronously,
      // inside emit) is the one whose latency is measured.
      this.lastEvent = e;
      emit(signal);
      this.lastEvent = null;
      // The plan had nothing the thread could take for it — every candidate was in its cooldown
      // or just taken when it was made, and cooldowns lapse between scans: plan again, so the
      // next event finds what the policy would do by then (the engine's path is the slow one:
      // 0.07–1 s under contention, bench:linux 2026-11-24).
      this.rearmSoon();
      return;
    }
    const { reclaim, seq } = msg.reaction;
    const slot = REACTION_SLOTS.findIndex((s) => s.source === e.source && s.level === e.level);
    const planned = this.plans.get(seq)?.[slot]?.find((a) => a.pid === reclaim.pid && a.startTime === reclaim.startTime);
    const skipped = msg.reaction.skipped.length ? ` (planned before it: ${msg.reaction.skipped.join('; ')})` : '';
    const action: ReclaimAction = planned
      ? { ...planned, reason: `${planned.reason}; issued by the reaction thread${skipped}` }
      : { type: 'reclaim', pid: reclaim.pid, startTime: reclaim.startTime, appKey: String(reclaim.pid), kind: reclaim.kind, mode: reclaim.mode, requestedBytes: reclaim.budgetBytes, reason: `planned ahead for ${e.level} pressure (${e.source}); issued by the reaction thread${skipped}`, dryRun: false };
    const result = new Promise<ReclaimResult>((resolve) => this.pendingReactions.set(msg.id, resolve));
    this.reactionResults.set(action, { result, event: e });
    emit({ ...signal, reaction: action });
    // The plan was used: plan again, with that process now busy in the engine (the thread
    // itself skips it meanwhile: RecentlyTaken).
    this.rearmSoon();
  }

  /** The background scanner's memory reading while it is fresh (it reads it with each scan), else one read here. */
  private memory(): PressureSignal['memory'] {
    if (this.scannedMemory && Date.now() - this.scannedMemory.at < MEMORY_MAX_AGE_MS) return this.scannedMemory.memory;
    return this.options.memcg ? readMemcgMemory(this.options.memcg, this.options.memcgWatermarks) : readSystemMemory();
  }

  private signalFor(e: KernelEvent): PressureSignal {
    const psi = readPsi(this.options.psiPath ?? '/proc/pressure/memory');
    return {
      at: Date.now(),
      source: e.source,
      level: e.level,
      psi,
      vmpressure: vmpressureOf(e),
      memory: this.memory(),
    };
  }

  sample(): PressureReading {
    this.rearmIfForegroundChanged();
    const psi = readPsi(this.options.psiPath ?? '/proc/pressure/memory');
    // zram's RAM use is for the charts: read here, so the kernel-event path does not pay for it.
    return { at: Date.now(), psi, memory: { ...this.memory(), zramBytes: readZramUsedBytes() } };
  }

  /** Processes now; a scan younger than scanMaxAgeMs (or the background scanner's latest) is reused. */
  snapshot(): ProcessSnapshot[] {
    const now = Date.now();
    if (this.cached && this.scanWorker) return this.withSharing(this.withCurrentForeground(this.cached.procs));
    if (this.cached && now - this.cached.at < (this.options.scanMaxAgeMs ?? 1000)) return this.withSharing(this.cached.procs);
    const procs = this.scanner.scan(now, this.foreground.foregroundPids(), this.options.priorities?.() ?? new Map());
    this.cached = { at: now, procs };
    return this.withSharing(procs);
  }

  /** A background scan may predate the latest foreground change: apply the current one. */
  private withCurrentForeground(procs: ProcessSnapshot[]): ProcessSnapshot[] {
    const fg = this.foreground.foregroundPids();
    return procs.map((p) =>
      fg.has(p.pid) === p.isForeground ? p : { ...p, isForeground: fg.has(p.pid), importance: fg.has(p.pid) ? 'foreground' : 'previous', lastForegroundAt: Date.now() },
    );
  }

  /** The planned victims must never include the foreground: a change of it is a new plan. */
  private rearmIfForegroundChanged(): void {
    const key = [...this.foreground.foregroundPids()].sort().join(',');
    if (key === this.lastForeground) return;
    this.lastForeground = key;
    this.rearm();
  }

  /**
   * Keep the snapshot warm on a worker thread, so an event never waits for a /proc scan:
   * snapshot() then answers from the latest scan. It scans every `calmMs`, and every
   * `pressureMs` while pressure events come (a number sets both).
   */
  startBackgroundScan(rates: Partial<ScanRates> | number = {}): void {
    if (this.scanWorker) return;
    const r: ScanRates = typeof rates === 'number' ? { ...DEFAULT_SCAN_RATES, calmMs: rates, pressureMs: rates } : { ...DEFAULT_SCAN_RATES, ...rates };
    const workerData: ScanWorkerData = { options: { scopeCgroup: this.memcgScope, protectedPids: this.options.protectedPids }, rates: r, memcg: this.options.memcg ? { dir: this.options.memcg, watermarks: this.options.memcgWatermarks } : null };
    // Alive until the host closes, as it was (its unref() was undone by the 'message' listener added after it).
    const worker = Channel.thread<ScanProtocol>('scan worker', compiledScript(__dirname, 'scan-worker.js'), { workerData }, true);
    worker.on('scan', (msg) => {
      this.cached = { at: msg.at, procs: msg.procs };
      this.scannedMemory = { at: msg.at, memory: msg.memory };
      this.lastScanCounts = msg.counts;
      this.rearmSoon();
      // What the scanner must know comes from the main thread: the user's marks and priorities.
      worker.send('foreground', [...this.foreground.foregroundPids()]);
      worker.send('priorities', [...(this.options.priorities?.() ?? new Map())]);
    });
    // A scan worker that failed: fall back to scanning here.
    void worker.exited.then(() => {
      if (this.scanWorker === worker) this.scanWorker = null;
    });
    this.scanWorker = worker;
  }

  execute(action: PlannedAction): Observable<ActionOutcome> {
    // Its process is busy in the engine until this ends, and the plans made meanwhile passed it
    // over: plan again once it is free (the engine clears it as this completes).
    return this.executeNow(action).pipe(finalize(() => this.rearmSoon()));
  }

  private executeNow(action: PlannedAction): Observable<ActionOutcome> {
    const started = Date.now();
    const reacted = this.reactionResults.get(action);
    if (reacted) {
      this.reactionResults.delete(action);
      return from(
        reacted.result.then((r): ActionOutcome => {
          this.learnSharing(action, r);
          if (r.firstCallAtMs !== null) {
            pushBounded(this.eventToMadviseMs, r.firstCallAtMs - reacted.event.wokeAtMs);
            pushBounded(this.reactionToMadviseMs, r.firstCallAtMs - reacted.event.wokeAtMs);
          }
          return { action, result: r.result, message: r.message, reclaimedAnonBytes: r.reclaimedAnonBytes, reclaimedFileBytes: r.reclaimedFileBytes, durationMs: r.durationMs, at: Date.now() };
        }),
      );
    }
    // The engine acts on a process the reaction thread may have planned: plan without it.
    if (this.plans.size > 0 && [...this.plans.values()].pop()!.some((slot) => slot.some((a) => a.pid === action.pid))) this.rearm();
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
    if (action.kind === 'demote') {
      // move_pages on a reclaim worker (host/linux/demote.ts); refused as unsupported where there is no slower node.
      return from(
        this.runner
          .demote({ pid: action.pid, startTime: action.startTime, budgetBytes: action.requestedBytes, tier: action.tier, protectedPids })
          .then((r) => ({ ...outcome(r.result, r.message, r.movedAnonBytes, r.movedFileBytes), action: r.tier ? { ...action, tier: r.tier } : action, durationMs: r.durationMs })),
      );
    }
    return from(
      this.runner
        .reclaim({ pid: action.pid, startTime: action.startTime, kind: action.kind, mode: action.mode, budgetBytes: action.requestedBytes, protectedPids }, event !== null)
        .then((r) => {
          this.learnSharing(action, r);
          if (event && r.firstCallAtMs !== null) pushBounded(this.eventToMadviseMs, r.firstCallAtMs - event.wokeAtMs);
          return { ...outcome(r.result, r.message, r.reclaimedAnonBytes, r.reclaimedFileBytes), durationMs: r.durationMs };
        }),
    );
  }

  /** A file reclaim measured the process's shared page-cache pages: keep the figure for its snapshots. */
  private learnSharing(action: PlannedAction, r: ReclaimResult): void {
    if (action.type !== 'reclaim' || action.kind !== 'file' || r.result !== 'ok') return;
    this.sharedFile.set(`${action.pid}:${action.startTime}`, r.sharedSkippedBytes);
  }

  /** The snapshots with what file reclaims found shared; the figures of processes gone are forgotten. */
  private withSharing(procs: ProcessSnapshot[]): ProcessSnapshot[] {
    if (this.sharedFile.size === 0) return procs;
    const alive = new Set<string>();
    const out = procs.map((p) => {
      const key = `${p.pid}:${p.startTime}`;
      alive.add(key);
      const shared = this.sharedFile.get(key);
      return shared === undefined ? p : { ...p, sharedFileBytes: Math.min(shared, p.rssFileBytes) };
    });
    for (const key of this.sharedFile.keys()) if (!alive.has(key)) this.sharedFile.delete(key);
    return out;
  }

  /** Defence in depth: the mechanism re-checks what policy should never ask for. */
  private mechanismRefusal(action: PlannedAction): string | null {
    // The foreground is read fresh: the app may have come to the front since the last scan.
    const proc = this.cached?.procs.find((p) => p.pid === action.pid && p.startTime === action.startTime);
    const why = protectionReason({ untouchable: proc?.untouchable, priority: proc?.priority ?? 'normal', isForeground: this.foreground.foregroundPids().has(action.pid) });
    return why === null ? null : `${action.appKey} (pid ${action.pid}): ${why}`;
  }

  async close(): Promise<void> {
    if (this.rearmTimer) clearTimeout(this.rearmTimer);
    this.rearmTimer = null;
    await this.reaction?.stop();
    this.reaction = null;
    await this.scanWorker?.close();
    this.scanWorker = null;
    await this.runner.close();
  }
}

/** What a vmpressure event says besides its level (the kernel reports only the level). */
function vmpressureOf(e: { source: KernelEvent['source']; level: KernelEvent['level'] }): PressureSignal['vmpressure'] {
  // Its lower bound stands in for the percentage.
  return e.source === 'vmpressure' ? { level: e.level, pressurePct: e.level === 'critical' ? 95 : e.level === 'medium' ? 60 : 0 } : undefined;
}

/** The memcg's path as /proc/PID/cgroup shows it ("/lab" for /sys/fs/cgroup/memory/lab). */
export function memcgPath(dir: string): string {
  const m = /\/sys\/fs\/cgroup\/memory(\/.*)?$/.exec(dir.replace(/\/+$/, ''));
  if (!m) throw new Error(`${dir} is not under /sys/fs/cgroup/memory`);
  return m[1] ?? '/';
}
