import { Observable, of, Subject, VirtualTimeScheduler, type Subscription } from 'rxjs';
import { dryRun, withoutKills } from '../policy-engine/dry-run';
import { createEngine } from '../policy-engine/engine';
import type { Host, Planner } from '../policy-engine/host-contract';
import { createBuiltinRegistry } from '../policy-engine/policies/index';
import type { ActionOutcome, Decision, PlannedAction, PressureSignal, ProcessSnapshot, ReclaimAction } from '../policy-engine/types';
import { MiB } from '../policy-engine/types';
import { CANDIDATES_PER_SLOT, ReactionPlan, REACTION_SLOTS, RecentlyTaken, slotOf, TAKEN_GUARD_MS } from '../host/linux/reaction-plan';
import { DEFAULT_SCAN_RATES, nextScanDelay } from '../host/linux/scan-rate';
import { proc, signal } from './helpers/processes';

/** A host whose events are pushed by the test and whose reclaims succeed at once; it keeps the planner the engine gives it. */
class PlanningHost implements Host {
  readonly name = 'planning';
  readonly pressure$ = new Subject<PressureSignal>();
  planner: Planner | null = null;
  executed: PlannedAction[] = [];
  constructor(public procs: ProcessSnapshot[]) {}
  sample(): PressureSignal {
    return signal('none', {}, 'timer');
  }
  snapshot(): ProcessSnapshot[] {
    return this.procs;
  }
  execute(action: PlannedAction): Observable<ActionOutcome> {
    this.executed.push(action);
    return of({ action, result: 'ok' as const, message: 'done', reclaimedAnonBytes: 0, reclaimedFileBytes: 0, durationMs: 0, at: 0 });
  }
  setPlanner(planner: Planner): () => void {
    this.planner = planner;
    return () => {
      if (this.planner === planner) this.planner = null;
    };
  }
}

const procs = () => [
  proc({ pid: 10, appKey: 'editor', importance: 'previous', oomScoreAdj: 700, lastForegroundAt: 0, rssAnonBytes: 300 * MiB }),
  proc({ pid: 11, appKey: 'chat', importance: 'cached', oomScoreAdj: 950, rssAnonBytes: 80 * MiB }),
  proc({ pid: 12, appKey: 'browser', importance: 'cached', oomScoreAdj: 900, rssAnonBytes: 500 * MiB }),
  proc({ pid: 13, appKey: 'shell', importance: 'foreground', oomScoreAdj: 0, isForeground: true }),
];

describe('planning ahead for the reaction thread', () => {
  let sub: Subscription | null = null;
  afterEach(() => sub?.unsubscribe());

  it.each(['medium', 'critical'] as const)('the first action planned ahead at %s is the one the engine then logs for that event (same candidate)', async (level) => {
    const host = new PlanningHost(procs());
    const scheduler = new VirtualTimeScheduler();
    const engine = createEngine({ host, policy: createBuiltinRegistry().create('reclaim'), scheduler });
    const decisions: Decision[] = [];
    sub = engine.decisions$.subscribe((d) => decisions.push(d));
    expect(host.planner).not.toBeNull();
    const ahead = host.planner!([signal(level)])[0];
    expect(ahead.length).toBeGreaterThan(0);
    // Planning ahead recorded nothing: twice gives the same plan.
    expect(host.planner!([signal(level)])[0]).toEqual(ahead);
    // Without a reaction, the engine's own first action for the event is the planned one.
    host.pressure$.next(signal(level));
    expect(decisions[0].action).toEqual(ahead[0]);
  });

  it('a signal carrying a reaction logs it first, once, never refused as busy, and plans the rest', () => {
    const host = new PlanningHost(procs());
    const engine = createEngine({ host, policy: createBuiltinRegistry().create('reclaim'), scheduler: new VirtualTimeScheduler() });
    const decisions: Decision[] = [];
    sub = engine.decisions$.subscribe((d) => decisions.push(d));
    const big = signal('critical', { totalBytes: 16384 * MiB }); // a target no one process covers
    const reaction = host.planner!([big])[0][0] as ReclaimAction;
    host.pressure$.next({ ...big, reaction });
    expect(decisions[0].action).toBe(reaction);
    expect(decisions[0].outcome.result).toBe('ok');
    expect(decisions.filter((d) => d.action.pid === reaction.pid)).toHaveLength(1);
    expect(decisions.length).toBeGreaterThan(1); // the policy's other victims follow
    expect(host.executed[0]).toBe(reaction);
  });

  it('a reaction passes the storm throttle: the host already acted, the action must be logged', () => {
    const host = new PlanningHost(procs());
    const engine = createEngine({ host, policy: createBuiltinRegistry().create('reclaim', { cooldownMs: 0 }), scheduler: new VirtualTimeScheduler(), throttleMs: 1000 });
    const decisions: Decision[] = [];
    sub = engine.decisions$.subscribe((d) => decisions.push(d));
    host.pressure$.next(signal('medium'));
    const before = decisions.length;
    const reaction = host.planner!([signal('medium')])[0][0] as ReclaimAction;
    host.pressure$.next({ ...signal('medium'), reaction }); // same level, same instant: a plain one would be dropped
    expect(decisions.slice(before).map((d) => d.action)).toContain(reaction);
    expect(engine.stats.dropped).toBe(0);
  });

  it('dry runs plan ahead only dry-run actions (the host arms none); without kills, reclaims still go ahead', () => {
    const policy = createBuiltinRegistry().create('reclaim');
    const ctx = { now: 0, busy: new Set<string>() };
    const ranked = policy.rank(procs(), ctx);
    expect(dryRun(policy).planAhead!(signal('critical'), ranked, ctx).every((a) => a.dryRun)).toBe(true);
    expect(withoutKills(policy).planAhead!(signal('critical'), ranked, ctx).some((a) => !a.dryRun)).toBe(true);
    expect(policy.planAhead!(signal('critical'), ranked, ctx).every((a) => a.type === 'reclaim')).toBe(true);
  });

  it('the planner is taken back when the engine stops, but not from a newer engine', () => {
    const host = new PlanningHost(procs());
    const first = createEngine({ host, policy: createBuiltinRegistry().create('reclaim'), scheduler: new VirtualTimeScheduler() });
    const a = first.decisions$.subscribe();
    const second = createEngine({ host, policy: createBuiltinRegistry().create('reclaim'), scheduler: new VirtualTimeScheduler() });
    const b = second.decisions$.subscribe();
    const planner = host.planner;
    a.unsubscribe();
    expect(host.planner).toBe(planner);
    b.unsubscribe();
    expect(host.planner).toBeNull();
  });
});

describe('the shared plan (reaction-plan.ts)', () => {
  const reclaim = (pid: number) => ({ pid, startTime: 1000 + pid, kind: 'anon' as const, mode: 'pageout' as const, budgetBytes: pid * MiB });
  const slots = (over: Record<number, number[]>) => REACTION_SLOTS.map((_, i) => (over[i] ?? []).map(reclaim));

  it('the reaction side reads the candidates in the policy order until the main thread plans again', () => {
    const main = new ReactionPlan();
    const worker = new ReactionPlan(main.buffer);
    const critical = slotOf('vmpressure', 'critical');
    main.write(slots({ [critical]: [5, 3, 9] }));
    expect(worker.take(critical)?.candidates).toEqual([reclaim(5), reclaim(3), reclaim(9)]);
    expect(worker.take(critical)?.candidates).toEqual([reclaim(5), reclaim(3), reclaim(9)]); // still armed
    main.write(slots({ [critical]: [7] }));
    expect(worker.take(critical)?.candidates).toEqual([reclaim(7)]);
  });

  it('a second event before the main thread planned again takes the next candidate, not the one just taken', () => {
    const recent = new RecentlyTaken();
    const planned = [reclaim(5), reclaim(3), reclaim(9)];
    expect(recent.fresh(planned, 0)[0]).toEqual(reclaim(5));
    recent.mark(reclaim(5), 0);
    expect(recent.fresh(planned, 10)).toEqual([reclaim(3), reclaim(9)]);
    recent.mark(reclaim(3), 10);
    recent.mark(reclaim(9), 20);
    expect(recent.fresh(planned, 30)).toEqual([]); // all busy: the event goes to the engine
    // Once the main thread has had TAKEN_GUARD_MS to hear of them, a plan naming them again stands.
    expect(recent.fresh(planned, 10 + TAKEN_GUARD_MS)).toEqual([reclaim(5), reclaim(3)]); // 9 was taken 10 ms later
    // Same pid, another process (a reused pid): not the one taken.
    expect(recent.fresh([{ ...reclaim(9), startTime: 1 }], 30)).toHaveLength(1);
  });

  it('an event whose slot is empty leaves the plan armed for the next one', () => {
    const main = new ReactionPlan();
    const worker = new ReactionPlan(main.buffer);
    main.write(slots({ [slotOf('psi', 'critical')]: [4] }));
    expect(worker.take(slotOf('vmpressure', 'low'))).toBeNull();
    expect(worker.take(slotOf('psi', 'critical'))?.candidates).toEqual([reclaim(4)]);
  });

  it(`keeps at most ${CANDIDATES_PER_SLOT} candidates a slot, and a disarmed or stopped plan gives none`, () => {
    const main = new ReactionPlan();
    const worker = new ReactionPlan(main.buffer);
    main.write(slots({ 0: [1, 2, 3, 4, 5, 6] }));
    expect(worker.take(0)?.candidates).toHaveLength(CANDIDATES_PER_SLOT);
    main.write(slots({ 0: [1] }));
    main.disarm();
    expect(worker.take(0)).toBeNull();
    expect(worker.stopped).toBe(false);
    main.stop();
    expect(worker.stopped).toBe(true);
  });
});

describe('scan rate', () => {
  it('scans every 10 s when calm, every 500 ms within 10 s of a pressure event', () => {
    expect(nextScanDelay(100_000, -Infinity)).toBe(DEFAULT_SCAN_RATES.calmMs);
    expect(nextScanDelay(100_000, 95_000)).toBe(DEFAULT_SCAN_RATES.pressureMs);
    expect(nextScanDelay(100_000, 90_000)).toBe(DEFAULT_SCAN_RATES.calmMs);
  });
});
