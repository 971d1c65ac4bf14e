import { EMPTY, Observable, Subject, catchError, defer, filter, finalize, from, interval, map, merge, mergeMap, of, switchMap, take, tap, timer, type SchedulerLike } from 'rxjs';
import type { Host, Planner } from './host-contract';
import { processKey, type PolicyContext, type ReclaimPolicy } from './policy';
import { pushBounded } from './bounded';
import { withSkipped } from './ranking';
import { throttlePressure, type ThrottleStats } from './throttle';
import { protectionReason } from './protection';
import { psiDetector, type PressureDetector } from './detectors/index';
import { LMKD_PSI_TRIGGERS } from './detectors/psi-triggers';
import type { ActionOutcome, Decision, ManualRequest, PlannedAction, PressureEvent, PressureReading, PressureSignal, ProcessSnapshot, RankedProcess, SignalSource } from './types';

export interface EngineOptions {
  host: Host;
  policy: ReclaimPolicy;
  /** All time in the engine comes from here: virtual in a replay, real on a live host. */
  scheduler: SchedulerLike;
  /**
   * Judges the host's readings (ticks, polls, manual requests, and events that carry no
   * kernel trigger's level). Default: lmkd's PSI triggers.
   */
  detector?: PressureDetector;
  /** Minimum spacing of handled signals that do not escalate (storm control). */
  throttleMs?: number;
  /** Wall clock in ms with sub-ms precision, only to measure decision latency. */
  wallClock?: () => number;
  /** How many ranked candidates each decision records. */
  candidatesKept?: number;
  /** Manual requests (the user's "reclaim this now"): acted on through the same path as the policy's plans. */
  requests$?: Observable<ManualRequest>;
  /** Told of every pressure event the host sends, before the storm throttle (the agent's pressure log). */
  heard?: (signal: PressureSignal) => void;
  /**
   * The policy to fall back to when this one throws POLICY_ERRORS_TO_EJECT times in a row:
   * it is ejected and the fallback plans from then on (sched_ext ejects a BPF scheduler that
   * errs and falls back to the kernel's). Without it, a throwing policy only skips signals.
   */
  fallback?: () => ReclaimPolicy;
}

/**
 * Consecutive failures of plan()/rank() before the policy is ejected. One can be a bad
 * moment (a process vanishing mid-plan); three in a row, with nothing planned in between,
 * is a policy that no longer works, and a memory manager that plans nothing is worse than
 * the default policy.
 */
export const POLICY_ERRORS_TO_EJECT = 3;

export interface EngineStats extends ThrottleStats {
  decisions: number;
  /** Actions refused by the engine because the process already had one in flight (policy or manual). */
  overlapsRefused: number;
  /** The most recent 10,000 decision latencies. */
  latenciesUs: number[];
  /** plan()/rank() threw: the signal is skipped and the engine goes on. */
  policyErrors: number;
  lastPolicyError: string | null;
  /** Set when the configured policy was ejected for failing repeatedly, and the fallback took over. */
  ejected: { policy: string; fallback: string; error: string; at: number } | null;
}

export interface Engine {
  /** Subscribe to run the engine; each decision is emitted once its outcome is known. */
  readonly decisions$: Observable<Decision>;
  readonly stats: EngineStats;
  /** Keys of processes with an action in flight right now. */
  readonly busy: ReadonlySet<string>;
  /** What the policy would plan now for each signal, recording nothing (what the host gets as its planner). */
  readonly planAhead: Planner;
  /** The policy planning now: the configured one, or the fallback once that was ejected. */
  readonly policy: () => ReclaimPolicy;
}

export const DEFAULT_THROTTLE_MS = 200;

/**
 * Signals in, decisions out: throttle the host's pressure events, rank the host's
 * processes, let the policy plan, execute through the host with at most one action in
 * flight per process, and report each action with its outcome.
 */
export function createEngine(options: EngineOptions): Engine {
  const { host, scheduler } = options;
  let policy = options.policy;
  const wallClock = options.wallClock;
  const keep = options.candidatesKept ?? 5;
  const busy = new Set<string>();
  const stats: EngineStats = { seen: 0, passed: 0, dropped: 0, decisions: 0, overlapsRefused: 0, latenciesUs: [], policyErrors: 0, lastPolicyError: null, ejected: null };
  let errorsInARow = 0;
  /** A plan()/rank() failure: counted, and the third in a row ejects the policy. */
  const policyFailed = (err: unknown): void => {
    stats.policyErrors++;
    stats.lastPolicyError = err instanceof Error ? err.message : String(err);
    if (++errorsInARow < POLICY_ERRORS_TO_EJECT || !options.fallback || stats.ejected) return;
    const fallback = options.fallback();
    stats.ejected = { policy: policy.name, fallback: fallback.name, error: stats.lastPolicyError, at: scheduler.now() };
    policy = fallback;
    errorsInARow = 0;
  };
  let seq = 0;
  let batch = 0;

  const context = (): PolicyContext => ({ now: scheduler.now(), busy });
  const detector = options.detector ?? psiDetector(LMKD_PSI_TRIGGERS);
  const judged = (reading: PressureReading, source: SignalSource): PressureSignal => ({ ...reading, source, level: detector.level(reading) });
  const sampled = (): PressureSignal => judged(host.sample(), 'timer');
  /** A kernel trigger's level stands; a bare reading is judged, and one judged as no pressure is no event. */
  const asSignal = (e: PressureEvent): PressureSignal | null => {
    if (e.level !== undefined) return { ...e, level: e.level };
    const level = detector.level(e);
    return level === 'none' ? null : { ...e, level };
  };
  const events$ = host.pressure$.pipe(
    map(asSignal),
    filter((s): s is PressureSignal => s !== null),
  );

  // Ticks and re-polls are the configured policy's: a fallback that took over plans at events.
  const ticks$: Observable<PressureSignal> = policy.tickIntervalMs
    ? interval(policy.tickIntervalMs, scheduler).pipe(map(sampled))
    : EMPTY;
  // A policy's own re-poll (lmkd polls for 1 s after an event): one pending timer at most,
  // replaced by each new request, none at all while the policy asks for nothing.
  const pollRequests = new Subject<number | null>();
  const polls$: Observable<PressureSignal> = policy.nextPollMs
    ? pollRequests.pipe(switchMap((delay) => (delay === null ? EMPTY : timer(Math.max(0, delay), scheduler).pipe(map(sampled)))))
    : EMPTY;
  const requestPoll = (): void => {
    if (policy.nextPollMs) pollRequests.next(policy.nextPollMs(context()));
  };
  // Polls bypass the storm throttle: they are the policy's own, already rate-limited, requests.
  const heard$ = options.heard ? events$.pipe(tap(options.heard)) : events$;
  const signals$ = merge(heard$.pipe(throttlePressure(options.throttleMs ?? DEFAULT_THROTTLE_MS, scheduler, stats)), ticks$, polls$);

  const handle = (signal: PressureSignal): Observable<Decision> => {
    const started = wallClock?.();
    const ctx = context();
    const reaction = signal.reaction;
    let ranked: RankedProcess[] = [];
    let planned: PlannedAction[] = [];
    try {
      ranked = policy.rank(host.snapshot(), ctx);
      planned = policy.plan(signal, ranked, ctx);
      errorsInARow = 0;
      requestPoll();
    } catch (err) {
      if (!reaction) throw err;
      // The reaction happened all the same: it is logged, the rest of the plan is lost.
      policyFailed(err);
    }
    // The host's reaction to this event comes first, and the policy's own action on that
    // process (the same one, when the snapshot has not changed since it was planned ahead) is not repeated.
    const actions = reaction ? [reaction, ...planned.filter((a) => processKey(a) !== processKey(reaction))] : planned;
    const latencyUs = started === undefined || !wallClock ? null : Math.round((wallClock() - started) * 1000);
    if (latencyUs !== null && actions.length > 0) pushBounded(stats.latenciesUs, latencyUs);
    const candidates = ranked.slice(0, keep);
    const thisBatch = ++batch;
    return from(actions).pipe(
      mergeMap((action) =>
        run(action, action === reaction).pipe(
          map((outcome): Decision => {
            stats.decisions++;
            policy.observe?.(outcome, context());
            requestPoll();
            return {
              seq: ++seq,
              batch: thisBatch,
              at: ctx.now,
              policy: policy.name,
              host: host.name,
              signal,
              // A kill says why it passed over each one above its victim; the reclaims' reasons are not its own.
              candidates: action.type === 'kill' ? withSkipped(candidates, action.skipped ?? {}) : candidates,
              action,
              outcome,
              latencyUs,
            };
          }),
        ),
      ),
    );
  };

  const run = (action: PlannedAction, alreadyIssued: boolean): Observable<ActionOutcome> => {
    const key = processKey(action);
    // A reaction is under way whatever the engine thinks: it is logged, never refused.
    if (busy.has(key) && !alreadyIssued) {
      stats.overlapsRefused++;
      return of(immediate(action, 'refused', 'an action on this process is already in flight', scheduler.now()));
    }
    if (action.dryRun) {
      return of(immediate(action, 'dry-run', `dry run: would ${describeAction(action)}`, scheduler.now()));
    }
    busy.add(key);
    return defer(() => host.execute(action)).pipe(
      take(1),
      catchError((err: unknown) => of(immediate(action, 'error', err instanceof Error ? err.message : String(err), scheduler.now()))),
      finalize(() => busy.delete(key)),
    );
  };

  // A throwing policy must not stop the agent: the signal is dropped and counted.
  const handleSafely = (signal: PressureSignal): Observable<Decision> =>
    defer(() => handle(signal)).pipe(
      catchError((err: unknown) => {
        policyFailed(err);
        return EMPTY;
      }),
    );

  /**
   * A manual request, checked like any action: the protection rule first (the policy may be
   * wrapped to plan nothing, the user may still not reclaim the foreground), then the busy
   * guard and dry run of run(). The policy observes the outcome as it observes its own.
   */
  const handleRequest = (req: ManualRequest): Observable<Decision> =>
    defer(() => {
      const at = scheduler.now();
      const signal: PressureSignal = { ...judged(host.sample(), 'manual'), at };
      const proc = host.snapshot().find((p) => p.pid === req.pid);
      const action = manualAction(req, proc);
      const refused = proc ? protectionReason(proc) : null;
      const outcome$ = !proc
        ? of(immediate(action, 'gone', `process ${req.pid} is gone`, at))
        : refused
          ? of(immediate(action, 'refused', `${proc.appKey} is never touched: ${refused}`, at))
          : run(action, false);
      const thisBatch = ++batch;
      return outcome$.pipe(
        map((outcome): Decision => {
          stats.decisions++;
          policy.observe?.(outcome, context());
          return { seq: ++seq, batch: thisBatch, at, policy: 'manual', host: host.name, signal, candidates: [], action, outcome, latencyUs: null, requestId: req.id };
        }),
      );
    }).pipe(
      // A host that throws on sample/snapshot: the request is answered with the error, not dropped.
      catchError((err: unknown) => {
        const action = manualAction(req, undefined);
        const outcome = immediate(action, 'error', err instanceof Error ? err.message : String(err), scheduler.now());
        return of<Decision>({ seq: ++seq, batch: ++batch, at: outcome.at, policy: 'manual', host: host.name, signal: outcomeSignal(outcome.at), candidates: [], action, outcome, latencyUs: null, requestId: req.id });
      }),
    );

  /** The policy's plan for each signal as it would be now, recording nothing: for Host.setPlanner. */
  const planAhead = (signals: readonly PressureSignal[]): PlannedAction[][] => {
    if (!policy.planAhead) return signals.map(() => []);
    try {
      const ctx = context();
      const ranked = policy.rank(host.snapshot(), ctx);
      return signals.map((s) => policy.planAhead!(s, ranked, ctx));
    } catch (err) {
      policyFailed(err);
      return signals.map(() => []);
    }
  };

  const decisions$ = defer(() => {
    const unset = host.setPlanner?.(planAhead);
    return merge(signals$.pipe(mergeMap(handleSafely)), (options.requests$ ?? EMPTY).pipe(mergeMap(handleRequest))).pipe(finalize(() => unset?.()));
  });
  return { decisions$, stats, busy, planAhead, policy: () => policy };
}

/** The action a manual request asks for: all the resident pages of that kind, paged out. */
function manualAction(req: ManualRequest, proc: ProcessSnapshot | undefined): PlannedAction {
  const anon = proc?.rssAnonBytes ?? 0;
  const file = proc?.rssFileBytes ?? 0;
  const appKey = proc?.appKey ?? `pid ${req.pid}`;
  return {
    type: 'reclaim',
    pid: req.pid,
    startTime: proc?.startTime ?? 0,
    appKey,
    kind: req.kind,
    mode: 'pageout',
    requestedBytes: req.kind === 'anon' ? anon : req.kind === 'file' ? file : anon + file,
    reason: `manual: ${req.kind} pages of ${appKey} reclaimed at the request of ${req.by}`,
    dryRun: req.dryRun,
  };
}

/** A signal for a decision whose host could not be read: no level, no numbers. */
function outcomeSignal(at: number): PressureSignal {
  return { level: 'none', at, source: 'manual', memory: { totalBytes: 0, availableBytes: 0, freeBytes: 0, swapTotalBytes: 0, swapFreeBytes: 0 } };
}

function immediate(action: PlannedAction, result: ActionOutcome['result'], message: string, at: number): ActionOutcome {
  return { action, result, message, reclaimedAnonBytes: 0, reclaimedFileBytes: 0, durationMs: 0, at };
}

/** "reclaim anon pages of game (pid 42, pageout)": a planned action, or one read back from the log. */
export function describeAction(action: { type: PlannedAction['type']; appKey: string; pid: number; kind?: string | null; mode?: string | null }): string {
  return action.type === 'kill' ? `kill ${action.appKey} (pid ${action.pid})` : `reclaim ${action.kind} pages of ${action.appKey} (pid ${action.pid}, ${action.mode})`;
}
