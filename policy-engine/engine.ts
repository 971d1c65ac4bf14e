import { EMPTY, Observable, Subject, catchError, defer, finalize, from, interval, map, merge, mergeMap, of, switchMap, take, timer, type SchedulerLike } from 'rxjs';
import type { Host, Planner } from './host-contract';
import { processKey, type PolicyContext, type ReclaimPolicy } from './policy';
import { pushBounded } from './bounded';
import { withSkipped } from './ranking';
import { throttlePressure, type ThrottleStats } from './throttle';
import type { ActionOutcome, Decision, PlannedAction, PressureSignal, RankedProcess } from './types';

export interface EngineOptions {
  host: Host;
  policy: ReclaimPolicy;
  /** All time in the engine comes from here: virtual in a replay, real on a live host. */
  scheduler: SchedulerLike;
  /** Minimum spacing of handled signals that do not escalate (storm control). */
  throttleMs?: number;
  /** Wall clock in ms with sub-ms precision, only to measure decision latency. */
  wallClock?: () => number;
  /** How many ranked candidates each decision records. */
  candidatesKept?: number;
}

export interface EngineStats extends ThrottleStats {
  decisions: number;
  /** Actions refused by the engine because the process already had one in flight. */
  overlapsRefused: number;
  /** The most recent 10,000 decision latencies. */
  latenciesUs: number[];
  /** plan()/rank() threw: the signal is skipped and the engine goes on. */
  policyErrors: number;
  lastPolicyError: string | null;
}

export interface Engine {
  /** Subscribe to run the engine; each decision is emitted once its outcome is known. */
  readonly decisions$: Observable<Decision>;
  readonly stats: EngineStats;
  /** Keys of processes with an action in flight right now. */
  readonly busy: ReadonlySet<string>;
  /** What the policy would plan now for each signal, recording nothing (what the host gets as its planner). */
  readonly planAhead: Planner;
}

export const DEFAULT_THROTTLE_MS = 200;

/**
 * Signals in, decisions out: throttle the host's pressure events, rank the host's
 * processes, let the policy plan, execute through the host with at most one action in
 * flight per process, and report each action with its outcome.
 */
export function createEngine(options: EngineOptions): Engine {
  const { host, policy, scheduler } = options;
  const wallClock = options.wallClock;
  const keep = options.candidatesKept ?? 5;
  const busy = new Set<string>();
  const stats: EngineStats = { seen: 0, passed: 0, dropped: 0, decisions: 0, overlapsRefused: 0, latenciesUs: [], policyErrors: 0, lastPolicyError: null };
  let seq = 0;
  let batch = 0;

  const context = (): PolicyContext => ({ now: scheduler.now(), busy });

  const ticks$: Observable<PressureSignal> = policy.tickIntervalMs
    ? interval(policy.tickIntervalMs, scheduler).pipe(map(() => ({ ...host.sample(), source: 'timer' as const })))
    : EMPTY;
  // A policy's own re-poll (lmkd polls for 1 s after an event): one pending timer at most,
  // replaced by each new request, none at all while the policy asks for nothing.
  const pollRequests = new Subject<number | null>();
  const polls$: Observable<PressureSignal> = policy.nextPollMs
    ? pollRequests.pipe(switchMap((delay) => (delay === null ? EMPTY : timer(Math.max(0, delay), scheduler).pipe(map(() => ({ ...host.sample(), source: 'timer' as const }))))))
    : EMPTY;
  const requestPoll = (): void => {
    if (policy.nextPollMs) pollRequests.next(policy.nextPollMs(context()));
  };
  // Polls bypass the storm throttle: they are the policy's own, already rate-limited, requests.
  const signals$ = merge(host.pressure$.pipe(throttlePressure(options.throttleMs ?? DEFAULT_THROTTLE_MS, scheduler, stats)), ticks$, polls$);

  const handle = (signal: PressureSignal): Observable<Decision> => {
    const started = wallClock?.();
    const ctx = context();
    const reaction = signal.reaction;
    let ranked: RankedProcess[] = [];
    let planned: PlannedAction[] = [];
    try {
      ranked = policy.rank(host.snapshot(), ctx);
      planned = policy.plan(signal, ranked, ctx);
      requestPoll();
    } catch (err) {
      if (!reaction) throw err;
      // The reaction happened all the same: it is logged, the rest of the plan is lost.
      stats.policyErrors++;
      stats.lastPolicyError = err instanceof Error ? err.message : String(err);
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
        stats.policyErrors++;
        stats.lastPolicyError = err instanceof Error ? err.message : String(err);
        return EMPTY;
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
      stats.policyErrors++;
      stats.lastPolicyError = err instanceof Error ? err.message : String(err);
      return signals.map(() => []);
    }
  };

  const decisions$ = defer(() => {
    const unset = host.setPlanner?.(planAhead);
    return signals$.pipe(
      mergeMap(handleSafely),
      finalize(() => unset?.()),
    );
  });
  return { decisions$, stats, busy, planAhead };
}

function immediate(action: PlannedAction, result: ActionOutcome['result'], message: string, at: number): ActionOutcome {
  return { action, result, message, reclaimedAnonBytes: 0, reclaimedFileBytes: 0, durationMs: 0, at };
}

/** "reclaim anon pages of game (pid 42, pageout)": a planned action, or one read back from the log. */
export function describeAction(action: { type: PlannedAction['type']; appKey: string; pid: number; kind?: string | null; mode?: string | null }): string {
  return action.type === 'kill' ? `kill ${action.appKey} (pid ${action.pid})` : `reclaim ${action.kind} pages of ${action.appKey} (pid ${action.pid}, ${action.mode})`;
}
