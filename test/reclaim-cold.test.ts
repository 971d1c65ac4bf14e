import { createBuiltinRegistry } from '../policy-engine/policies/index';
import { refaultShare } from '../policy-engine/policies/reclaim';
import type { PolicyContext, ReclaimPolicy } from '../policy-engine/policy';
import { MiB, type ActionOutcome, type PlannedAction, type ProcessSnapshot, type ReclaimAction } from '../policy-engine/types';
import { loadScenario } from '../scenario/load';
import { replay } from '../runs/replay';
import { proc, signal } from './helpers/processes';

// The default policy asks for the idle part of a process, backs off a process whose reclaim
// comes back as refaults, and kills only where the kernel alone would OOM-kill (issue 12).

const registry = createBuiltinRegistry();
const ctx = (now: number, busy: string[] = []): PolicyContext => ({ now, busy: new Set(busy) });

function plan(policy: ReclaimPolicy, procs: ProcessSnapshot[], s: ReturnType<typeof signal>, now: number): PlannedAction[] {
  const c = ctx(now);
  return policy.plan({ ...s, at: now }, policy.rank(procs, c), c);
}

function ok(action: PlannedAction, anon: number, file: number, at: number): ActionOutcome {
  return { action, result: 'ok', message: 'test', reclaimedAnonBytes: anon, reclaimedFileBytes: file, durationMs: 0, at };
}

/** A cached app with 300 MiB anon of which 100 MiB idle, 60 MiB file of which 20 MiB idle. */
const app = (over: Partial<ProcessSnapshot> = {}) =>
  proc({ pid: 42, appKey: 'cam', rssAnonBytes: 300 * MiB, rssFileBytes: 60 * MiB, idleAnonBytes: 100 * MiB, idleFileBytes: 20 * MiB, ...over });

describe('reclaim: idle memory only', () => {
  it('does nothing without pressure', () => {
    expect(plan(registry.create('reclaim'), [app()], signal('none'), 600_000)).toEqual([]);
  });

  it("pages out the host's idle estimate, not the resident set, and says so", () => {
    const [a] = plan(registry.create('reclaim'), [app()], signal('medium'), 600_000) as ReclaimAction[];
    expect(a).toMatchObject({ kind: 'all', mode: 'pageout', requestedBytes: 120 * MiB });
    expect(a.reason).toMatch(/^medium pressure \(psi\): idle 100MiB anon \+ 20MiB file of 360MiB resident \(host's idle estimate\)/);
  });

  it('skips a process whose idle part is under the minimums, however large its RSS', () => {
    const hot = app({ idleAnonBytes: 4 * MiB, idleFileBytes: 2 * MiB });
    expect(plan(registry.create('reclaim'), [hot], signal('critical'), 600_000)).toEqual([]);
  });

  it('never touches the foreground app, whatever its idle part', () => {
    const fg = app({ importance: 'foreground', isForeground: true, oomScoreAdj: 0 });
    expect(plan(registry.create('reclaim'), [fg], signal('critical'), 600_000)).toEqual([]);
  });
});

describe('reclaim: refault feedback', () => {
  it('measures the share of a reclaim that came back from swap and file cache', () => {
    const rec = { swapBefore: 0, fileBefore: 60 * MiB, movedAnon: 100 * MiB, movedFile: 20 * MiB };
    expect(refaultShare(rec, { swapBytes: 100 * MiB, rssFileBytes: 40 * MiB })).toBe(0);
    expect(refaultShare(rec, { swapBytes: 0, rssFileBytes: 60 * MiB })).toBe(1);
    expect(refaultShare(rec, { swapBytes: 40 * MiB, rssFileBytes: 40 * MiB })).toBe(0.5);
  });

  it('backs off a process when its reclaim turns into refaults, and returns to it when it stops', () => {
    const policy = registry.create('reclaim', { cooldownMs: 10_000 });
    const first = plan(policy, [app()], signal('medium'), 0);
    expect(first).toHaveLength(1);
    policy.observe!(ok(first[0], 100 * MiB, 20 * MiB, 100), ctx(100));
    // 90 of the 120 MiB came back (swap shrank, file cache regrew): the idle estimate was wrong.
    const refaulted = app({ swapBytes: 10 * MiB, rssFileBytes: 60 * MiB });
    const second = plan(policy, [refaulted], signal('medium'), 10_000);
    expect(second).toEqual([]); // cooldown doubled to 20 s
    const third = plan(policy, [refaulted], signal('medium'), 20_000);
    expect(third).toHaveLength(1);
    policy.observe!(ok(third[0], 100 * MiB, 20 * MiB, 20_100), ctx(20_100));
    // This time what was moved stayed out: the backoff halves again.
    const stayed = app({ swapBytes: 110 * MiB, rssFileBytes: 40 * MiB });
    const fourth = plan(policy, [stayed], signal('medium'), 30_000);
    expect(fourth).toHaveLength(1);
    expect((fourth[0] as ReclaimAction).reason).toMatch(/; 0% of its last reclaim refaulted;/);
  });

  it('names the refaults it backed off on in the reason', () => {
    const policy = registry.create('reclaim', { cooldownMs: 1000 });
    const first = plan(policy, [app()], signal('medium'), 0);
    policy.observe!(ok(first[0], 100 * MiB, 20 * MiB, 10), ctx(10));
    expect(plan(policy, [app({ swapBytes: 0 })], signal('medium'), 1000)).toEqual([]);
    const again = plan(policy, [app({ swapBytes: 0 })], signal('medium'), 2000) as ReclaimAction[];
    expect(again[0].reason).toMatch(/; 100% of its last reclaim refaulted: backing off \(cooldown ×2\);/);
  });
});

describe('reclaim on the simulated device', () => {
  it('the simulator reports an idle estimate within each resident size', () => {
    let seen = 0;
    replay(loadScenario('demo'), {
      registry,
      policy: 'none',
      sampleEveryMs: 5000,
      onSample: (host) => {
        for (const p of host.snapshot()) {
          seen++;
          expect(p.idleAnonBytes).toBeGreaterThanOrEqual(0);
          expect(p.idleAnonBytes!).toBeLessThanOrEqual(p.rssAnonBytes);
          expect(p.idleFileBytes).toBeGreaterThanOrEqual(0);
          expect(p.idleFileBytes!).toBeLessThanOrEqual(p.rssFileBytes);
        }
      },
    });
    expect(seen).toBeGreaterThan(0);
  });

  it('kills no more than the kernel alone where the foreground fits (camera-burst)', () => {
    const scenario = loadScenario('camera-burst');
    const reclaim = replay(scenario, { registry, policy: 'reclaim' }).metrics;
    const none = replay(scenario, { registry, policy: 'none' }).metrics;
    expect(reclaim.agentKills + reclaim.oomKills).toBeLessThanOrEqual(none.agentKills + none.oomKills);
  });

  // Issue 12's refault goal (≤ 1.5× the kernel alone's) held on camera-burst until the model let
  // cold pages come back (coldTouch, 0.2 %/min): now 6.9k anon refaults against none's 2.8k.
  // Not met: README says so; the estimate must learn which idle pages return.
  it.todo('camera-burst: anon refaults at most 1.5× those of the kernel alone');
});

describe('proactive on the same estimate', () => {
  it("never trims more of an app than the host's idle estimate of it, and none of an app with nothing idle", () => {
    const now = 1_000_000;
    const psi = { someAvg10: 0, fullAvg10: 0, someAvg60: 0, fullAvg60: 0, someWindowMs: 0, fullWindowMs: 0, windowMs: 1000 };
    const tick = { ...signal('none', { availableBytes: 2048 * MiB }, 'timer'), psi };
    const procs = [
      proc({ pid: 1, appKey: 'little-idle', rssAnonBytes: 1000 * MiB, rssFileBytes: 0, idleAnonBytes: 2 * MiB, idleFileBytes: 0 }),
      proc({ pid: 2, appKey: 'all-hot', rssAnonBytes: 1000 * MiB, rssFileBytes: 0, idleAnonBytes: 0, idleFileBytes: 0 }),
    ];
    const actions = plan(registry.create('proactive'), procs, tick, now) as ReclaimAction[];
    expect(actions.map((a) => [a.appKey, a.requestedBytes])).toEqual([['little-idle', 2 * MiB]]); // Senpai's 1% would be 10 MiB
    expect(actions[0].reason).toMatch(/within its idle 2\.0MiB \(host's idle estimate\)/);
  });
});

describe('reclaim: the kill weighs expected return', () => {
  const wm = { minBytes: 8 * MiB, lowBytes: 32 * MiB, highBytes: 64 * MiB };
  const oom = signal('critical', { swapFreeBytes: 0, freeBytes: 4 * MiB, fileCacheBytes: 2 * MiB, watermarks: wm });

  it('spares the previous app, however large, while another candidate is left', () => {
    const procs = [
      proc({ pid: 1, appKey: 'game', importance: 'previous', oomScoreAdj: 700, rssAnonBytes: 1 * MiB, rssFileBytes: 1 * MiB, swapBytes: 2000 * MiB, lastForegroundAt: 590_000 }),
      proc({ pid: 2, appKey: 'notes', rssAnonBytes: 1 * MiB, rssFileBytes: 1 * MiB, swapBytes: 100 * MiB }),
    ];
    const [kill] = plan(registry.create('reclaim'), procs, oom, 600_000);
    expect(kill).toMatchObject({ type: 'kill', appKey: 'notes' });
    expect(kill.reason).toMatch(/the previous app spared \(likeliest to return\)$/);
  });

  it('kills the previous app only when nothing else is left', () => {
    const procs = [proc({ pid: 1, appKey: 'game', importance: 'previous', oomScoreAdj: 700, rssAnonBytes: 1 * MiB, rssFileBytes: 1 * MiB, swapBytes: 2000 * MiB })];
    expect(plan(registry.create('reclaim'), procs, oom, 600_000)).toMatchObject([{ type: 'kill', appKey: 'game' }]);
  });
});
