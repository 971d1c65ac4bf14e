import { Observable, map, timer, type SchedulerLike } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { createEngine } from '../policy-engine/engine';
import type { Host } from '../policy-engine/host-contract';
import { createBuiltinRegistry } from '../policy-engine/policies/index';
import type { ReclaimPolicy } from '../policy-engine/policy';
import { rankProcesses } from '../policy-engine/ranking';
import type { ActionOutcome, PlannedAction, PressureLevel, PressureSignal, ProcessSnapshot } from '../policy-engine/types';
import { proc, signal } from './helpers/processes';

/**
 * A host whose pressure events come from a marble diagram and whose reclaims take a fixed
 * time on the test scheduler: it isolates the engine's timing rules.
 */
class ScriptedHost implements Host {
  readonly name = 'scripted';
  executions: PlannedAction[] = [];
  constructor(
    readonly pressure$: Observable<PressureSignal>,
    private readonly procs: ProcessSnapshot[],
    private readonly scheduler: SchedulerLike,
    private readonly reclaimMs: number,
  ) {}
  sample(): PressureSignal {
    return signal('none', {}, 'timer');
  }
  snapshot(): ProcessSnapshot[] {
    return this.procs;
  }
  execute(action: PlannedAction): Observable<ActionOutcome> {
    this.executions.push(action);
    return timer(this.reclaimMs, this.scheduler).pipe(
      map(() => ({ action, result: 'ok' as const, message: 'done', reclaimedAnonBytes: 0, reclaimedFileBytes: action.requestedBytes, durationMs: this.reclaimMs, at: this.scheduler.now() })),
    );
  }
}

/** Plans one reclaim of pid 1 per signal, ignoring ctx.busy, to test the engine's own guard. */
const stubborn = (dryRun: boolean): ReclaimPolicy => ({
  name: 'stubborn',
  rank: (procs, ctx) => rankProcesses(procs, ctx.now),
  plan: (s) => [{ type: 'reclaim', pid: 1, startTime: 1, appKey: 'a', kind: 'file', mode: 'pageout', requestedBytes: 1, reason: s.level, dryRun }],
});

const levels: Record<string, PressureLevel> = { l: 'low', m: 'medium', c: 'critical', n: 'none' };

function makeScheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
}

describe('engine (marble tests)', () => {
  it('throttles a storm of same-level events but lets escalation through at once', () => {
    const ts = makeScheduler();
    ts.run(({ cold, expectObservable }) => {
      const signals = cold('l 50ms l 50ms l 99ms l 10ms m 5ms c 5ms n', levels).pipe(map((level) => signal(level)));
      const host = new ScriptedHost(signals, [proc({ pid: 1, startTime: 1 })], ts, 0);
      const engine = createEngine({ host, policy: stubborn(true), scheduler: ts, throttleMs: 200 });
      expectObservable(engine.decisions$.pipe(map((d) => `${d.signal.level}:${d.outcome.result}`))).toBe('a 201ms b 10ms c 5ms d', {
        a: 'low:dry-run',
        b: 'low:dry-run',
        c: 'medium:dry-run',
        d: 'critical:dry-run',
      });
      ts.flush();
      expect(engine.stats).toMatchObject({ seen: 7, passed: 4, dropped: 3 });
    });
  });

  it('never overlaps two actions on one process: the second is refused while the first runs', () => {
    const ts = makeScheduler();
    ts.run(({ cold, expectObservable, flush }) => {
      const signals = cold('l 249ms l 349ms l', levels).pipe(map((level) => signal(level)));
      const host = new ScriptedHost(signals, [proc({ pid: 1, startTime: 1 })], ts, 300);
      const engine = createEngine({ host, policy: stubborn(false), scheduler: ts, throttleMs: 200 });
      expectObservable(engine.decisions$.pipe(map((d) => d.outcome.result))).toBe('250ms a 49ms b 599ms c', { a: 'refused', b: 'ok', c: 'ok' });
      flush();
      expect(host.executions).toHaveLength(2);
      expect(engine.stats.overlapsRefused).toBe(1);
      expect(engine.busy.size).toBe(0);
    });
  });

  it('escalates reclaim with the level: file, then anon and file, then everything eligible', () => {
    const ts = makeScheduler();
    ts.run(({ cold, expectObservable }) => {
      const procs = [
        proc({ pid: 1, appKey: 'fg', importance: 'foreground', isForeground: true }),
        proc({ pid: 2, appKey: 'service', importance: 'service' }),
        proc({ pid: 3, appKey: 'previous', importance: 'previous' }),
        proc({ pid: 4, appKey: 'cached' }),
      ];
      const signals = cold('l 999ms m 999ms c', levels).pipe(map((level) => signal(level)));
      const host = new ScriptedHost(signals, procs, ts, 0);
      const policy = createBuiltinRegistry().create('reclaim', { cooldownMs: 0, maxActionsPerSignal: 64, lowTargetPct: 50, mediumTargetPct: 50, criticalTargetPct: 50 });
      const engine = createEngine({ host, policy, scheduler: ts });
      const seen = engine.decisions$.pipe(map((d) => `${d.action.type === 'reclaim' ? d.action.kind : 'kill'}:${d.action.appKey}`));
      expectObservable(seen).toBe('a 999ms (bc) 996ms (def)', {
        a: 'file:cached',
        b: 'all:cached',
        c: 'all:previous',
        d: 'all:cached',
        e: 'all:previous',
        f: 'all:service',
      });
    });
  });

  it("runs a policy's own re-polls: one timer signal per request, none while it asks for nothing", () => {
    const ts = makeScheduler();
    ts.run(({ cold, expectObservable, flush }) => {
      const signals = cold('l', levels).pipe(map((level) => signal(level)));
      const host = new ScriptedHost(signals, [proc({ pid: 1, startTime: 1 })], ts, 0);
      const seen: string[] = [];
      // Like lmkd after an event: re-poll every 100 ms, three times, then nothing.
      let pollsLeft = 3;
      const policy: ReclaimPolicy = {
        ...stubborn(true),
        plan: (s, _r, c) => {
          seen.push(`${c.now}:${s.source}`);
          if (s.source === 'timer') pollsLeft--;
          return [];
        },
        nextPollMs: () => (pollsLeft > 0 ? 100 : null),
      };
      const engine = createEngine({ host, policy, scheduler: ts });
      expectObservable(engine.decisions$).toBe('');
      flush();
      expect(seen).toEqual(['0:psi', '100:timer', '200:timer', '300:timer']);
    });
  });

  it('turns a host that throws into an error outcome and a throwing policy into a counted skip', () => {
    const ts = makeScheduler();
    ts.run(({ cold, expectObservable, flush }) => {
      const signals = cold('l 300ms l', levels).pipe(map((level) => signal(level)));
      const host = new ScriptedHost(signals, [proc({ pid: 1, startTime: 1 })], ts, 0);
      host.execute = () => {
        throw new Error('EIO');
      };
      let calls = 0;
      const policy: ReclaimPolicy = {
        ...stubborn(false),
        plan: (s, r, c) => {
          if (calls++ === 1) throw new Error('policy bug');
          return stubborn(false).plan(s, r, c);
        },
      };
      const engine = createEngine({ host, policy, scheduler: ts });
      expectObservable(engine.decisions$.pipe(map((d) => `${d.outcome.result}:${d.outcome.message}`))).toBe('a', { a: 'error:EIO' });
      flush();
      expect(engine.stats.policyErrors).toBe(1);
      expect(engine.stats.lastPolicyError).toBe('policy bug');
    });
  });
  it('puts a manual request through the same guard: refused while the policy acts on that process, run once it is free', () => {
    const ts = makeScheduler();
    ts.run(({ cold, hot, expectObservable, flush }) => {
      const signals = cold('l', levels).pipe(map((level) => signal(level)));
      const host = new ScriptedHost(signals, [proc({ pid: 1, startTime: 1, appKey: 'a' }), proc({ pid: 2, appKey: 'front', isForeground: true })], ts, 300);
      // At 100 ms the policy's reclaim of pid 1 is in flight; at 400 ms it is done; at 500 ms the user asks for the foreground app.
      const requests = hot('100ms a 299ms b 99ms c', {
        a: { id: 7, pid: 1, kind: 'anon' as const, dryRun: false, by: 'the test' },
        b: { id: 8, pid: 1, kind: 'anon' as const, dryRun: false, by: 'the test' },
        c: { id: 9, pid: 2, kind: 'all' as const, dryRun: false, by: 'the test' },
      });
      const engine = createEngine({ host, policy: stubborn(false), scheduler: ts, throttleMs: 200, requests$: requests });
      expectObservable(engine.decisions$.pipe(map((d) => `${d.policy}:${d.requestId ?? '-'}:${d.outcome.result}`))).toBe('100ms a 199ms b 199ms c 199ms d', {
        a: 'manual:7:refused',
        b: 'stubborn:-:ok',
        c: 'manual:9:refused',
        d: 'manual:8:ok',
      });
      flush();
      expect(host.executions.map((a) => `${a.pid}:${a.reason.split(':')[0]}`)).toEqual(['1:low', '1:manual']);
      expect(engine.stats.overlapsRefused).toBe(1);
    });
  });
  it('ejects a policy that fails three times in a row and lets the fallback plan, saying so', () => {
    const ts = makeScheduler();
    ts.run(({ cold, expectObservable, flush }) => {
      const signals = cold('l 299ms l 299ms l 299ms l 299ms l 299ms l', levels).pipe(map((level) => signal(level)));
      const host = new ScriptedHost(signals, [proc({ pid: 1, startTime: 1 })], ts, 0);
      let calls = 0;
      // Fails once, works once (the count starts over), then fails for good.
      const flaky: ReclaimPolicy = { ...stubborn(false), name: 'flaky', plan: (s) => { calls++; if (calls === 2) return stubborn(false).plan(s, [], { now: 0, busy: new Set() }); throw new Error(`bug ${calls}`); } };
      const engine = createEngine({ host, policy: flaky, scheduler: ts, throttleMs: 200, fallback: () => ({ ...stubborn(false), name: 'fallback' }) });
      // Signals 3, 4 and 5 fail: the third in a row (at 1200 ms) ejects flaky, and signal 6 is the fallback's.
      expectObservable(engine.decisions$.pipe(map((d) => d.policy))).toBe('300ms a 1199ms b', { a: 'flaky', b: 'fallback' });
      flush();
      expect(engine.stats.policyErrors).toBe(4);
      expect(engine.stats.ejected).toEqual({ policy: 'flaky', fallback: 'fallback', error: 'bug 5', at: 1200 });
      expect(engine.policy().name).toBe('fallback');
    });
  });
});
