// `android` = lmkd + CachedAppOptimizer compaction on oom_adj transitions. Each case names the
// frameworks/base function it follows (CACHED_APP_OPTIMIZER_REVISION).
import { createBuiltinRegistry } from '../policy-engine/policies/index';
import type { PolicyContext, ReclaimPolicy } from '../policy-engine/policy';
import { MiB, type ActionOutcome, type PlannedAction, type ProcessSnapshot } from '../policy-engine/types';
import { proc, signal } from './helpers/processes';

const registry = createBuiltinRegistry();
const WM = { minBytes: 16 * MiB, lowBytes: 64 * MiB, highBytes: 128 * MiB };

const app = (adj: number, over: Partial<ProcessSnapshot> = {}) =>
  proc({ pid: 7, appKey: 'app', oomScoreAdj: adj, importance: adj === 0 ? 'foreground' : adj >= 900 ? 'cached' : 'previous', isForeground: adj === 0, rssAnonBytes: 100 * MiB, rssFileBytes: 40 * MiB, ...over });

/** One look of the policy at the processes (its adj scan tick), with plenty of free memory. */
function look(policy: ReclaimPolicy, at: number, procs: ProcessSnapshot[], over: Parameters<typeof signal>[1] = {}, busy: string[] = []): PlannedAction[] {
  const ctx: PolicyContext = { now: at, busy: new Set(busy) };
  return policy.plan({ ...signal('none', { freeBytes: 500 * MiB, watermarks: WM, ...over }, 'timer'), at }, policy.rank(procs, ctx), ctx);
}
const summary = (a: PlannedAction[]) => a.map((x) => (x.type === 'kill' ? `kill ${x.appKey}` : `${x.kind}/${x.mode} ${x.appKey}`));
const done = (policy: ReclaimPolicy, a: PlannedAction, at: number) =>
  policy.observe!({ action: a, result: 'ok', message: '', reclaimedAnonBytes: a.type === 'reclaim' && a.kind === 'anon' ? a.requestedBytes : 0, reclaimedFileBytes: 0, durationMs: 0, at } as ActionOutcome, { now: at, busy: new Set() });

describe('android: CachedAppOptimizer triggers (OomAdjuster.applyOomAdjLSP)', () => {
  it('a perceptible app becoming previous gets a "some" compaction: MADV_COLD on its file pages', () => {
    const a = registry.create('android');
    look(a, 0, [app(0)]);
    const actions = look(a, 1000, [app(700)]);
    expect(summary(actions)).toEqual(['file/cold app']);
    expect((actions[0] as { reason: string }).reason).toMatch(/^CachedAppOptimizer some compaction/);
  });

  it('an app entering cached gets a "full" one: anon MADV_PAGEOUT, then file MADV_COLD at the next look', () => {
    const a = registry.create('android');
    look(a, 0, [app(500)]);
    const anon = look(a, 1000, [app(900)]);
    expect(summary(anon)).toEqual(['anon/pageout app']);
    done(a, anon[0], 1000);
    expect(summary(look(a, 2000, [app(900)]))).toEqual(['file/cold app']);
    expect(look(a, 3000, [app(900)])).toEqual([]); // no transition, nothing more
  });

  it('no transition, no compaction: a process seen cached from the start is left alone', () => {
    const a = registry.create('android');
    look(a, 0, [app(900)]);
    expect(look(a, 1000, [app(900)])).toEqual([]);
  });
});

describe('android: MemCompactionHandler throttles', () => {
  it('downgrades "full" to file-only below 20 % free swap (resolveCompactionProfile)', () => {
    const a = registry.create('android');
    look(a, 0, [app(500)]);
    const actions = look(a, 1000, [app(900)], { swapFreeBytes: 300 * MiB, swapTotalBytes: 2048 * MiB });
    expect(summary(actions)).toEqual(['file/cold app']);
    expect((actions[0] as { reason: string }).reason).toMatch(/full downgraded, swap 15% free/);
  });

  it('skips a "full" too soon after the last one (compact_throttle_4, 10 s) and after a "some" (throttle_3, 500 ms) (shouldTimeThrottleCompaction)', () => {
    const a = registry.create('android');
    look(a, 0, [app(0)]);
    expect(summary(look(a, 1000, [app(700)]))).toEqual(['file/cold app']); // some at 1000
    expect(look(a, 1400, [app(900)])).toEqual([]); // full 400 ms after a some: throttled
    const b = registry.create('android');
    look(b, 0, [app(0)]);
    look(b, 1000, [app(700)]);
    expect(summary(look(b, 1600, [app(900)]))).toEqual(['anon/pageout app']); // 600 ms: allowed
    const c = registry.create('android');
    look(c, 0, [app(500)]);
    done(c, look(c, 1000, [app(900)])[0], 1000);
    look(c, 1100, [app(900)]); // the file half
    look(c, 2000, [app(500)]);
    expect(look(c, 5000, [app(900, { rssAnonBytes: 200 * MiB })])).toEqual([]); // full 4 s after a full
  });

  it('skips a "full" below 12,000 KB of anon RSS, or when RSS moved ≤ 8,000 KB since the last (shouldRssThrottleCompaction)', () => {
    const small = registry.create('android');
    look(small, 0, [app(500, { rssAnonBytes: 11 * MiB })]);
    expect(look(small, 1000, [app(900, { rssAnonBytes: 11 * MiB })])).toEqual([]);

    const a = registry.create('android');
    look(a, 0, [app(500)]);
    const first = look(a, 1000, [app(900)]);
    // 80 of its 100 MiB of anon went to swap: after it, anon 20 MiB, swap 80 MiB, file 40 MiB.
    a.observe!({ action: first[0], result: 'ok', message: '', reclaimedAnonBytes: 80 * MiB, reclaimedFileBytes: 0, durationMs: 0, at: 1000 }, { now: 1000, busy: new Set() });
    look(a, 2000, [app(900)]);
    look(a, 3000, [app(500, { rssAnonBytes: 25 * MiB, swapBytes: 80 * MiB })]);
    // 20 s later, cached again with 25 MiB of anon (above 12,000 KB), but only 5 MiB moved.
    expect(look(a, 23_000, [app(900, { rssAnonBytes: 25 * MiB, swapBytes: 80 * MiB })])).toEqual([]);
    look(a, 24_000, [app(500, { rssAnonBytes: 40 * MiB, swapBytes: 80 * MiB })]);
    expect(summary(look(a, 45_000, [app(900, { rssAnonBytes: 40 * MiB, swapBytes: 80 * MiB })]))).toEqual(['anon/pageout app']);
  });
});

describe('android: cancellation (onOomAdjustChanged → cancelCompactionForProcess)', () => {
  it('drops the pending file half of a full compaction when the app comes back to the foreground', () => {
    const a = registry.create('android');
    look(a, 0, [app(500)]);
    done(a, look(a, 1000, [app(900)])[0], 1000);
    expect(look(a, 2000, [app(0)])).toEqual([]);
    expect(look(a, 3000, [app(0)])).toEqual([]);
  });

  it('drops a compaction still pending behind a busy process when the app comes back', () => {
    const a = registry.create('android');
    look(a, 0, [app(500)]);
    expect(look(a, 1000, [app(900)], {}, ['7:1'])).toEqual([]); // busy: stays pending
    expect(look(a, 2000, [app(0)])).toEqual([]); // back to the foreground: cancelled
    look(a, 3000, [app(500)]);
    expect(summary(look(a, 4000, [app(900)]))).toEqual(['anon/pageout app']); // a new transition compacts again
  });
});

describe('android: lmkd inside it', () => {
  const procs = () => [proc({ pid: 5, appKey: 'cached-old', oomScoreAdj: 950, lastForegroundAt: 10 })];
  const lowMem = { freeBytes: 40 * MiB, watermarks: WM, pgscanKswapd: 1 };

  it('kills as lmkd does on a PSI event', () => {
    const a = registry.create('android');
    const ctx = { now: 1000, busy: new Set<string>() };
    expect(summary(a.plan({ ...signal('medium', lowMem), at: 1000 }, a.rank(procs(), ctx), ctx))).toEqual(['kill cached-old']);
  });

  it('does not hand its transition scans to lmkd as wake-ups', () => {
    const a = registry.create('android');
    expect(a.tickIntervalMs).toBe(1000);
    expect(look(a, 1000, procs(), lowMem)).toEqual([]);
    expect(a.nextPollMs!({ now: 1000, busy: new Set() })).toBeNull();
  });

  it('takes lmkd and compaction parameters in one object and names an unknown one', () => {
    expect(() => registry.create('android', { killTimeoutMs: 50, fullRssThrottleKb: 0 })).not.toThrow();
    expect(() => registry.create('android', { fullRssThrotle: 0 })).toThrow(/android.fullRssThrotle: unknown parameter/);
  });
});
