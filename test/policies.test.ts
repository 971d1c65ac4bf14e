import { createBuiltinRegistry } from '../policy-engine/policies/index';
import type { PolicyContext, ReclaimPolicy } from '../policy-engine/policy';
import { MiB, type PlannedAction, type ProcessSnapshot } from '../policy-engine/types';
import { proc, signal } from './helpers/processes';

const registry = createBuiltinRegistry();
const ctx = (now: number, busy: string[] = []): PolicyContext => ({ now, busy: new Set(busy) });

function plan(policy: ReclaimPolicy, procs: ProcessSnapshot[], s: ReturnType<typeof signal>, now = 600_000, busy: string[] = []): PlannedAction[] {
  const c = ctx(now, busy);
  return policy.plan({ ...s, at: now }, policy.rank(procs, c), c);
}

const summary = (actions: PlannedAction[]) => actions.map((a) => (a.type === 'kill' ? `kill ${a.appKey}` : `${a.kind} ${a.appKey}`));

describe('reclaim policy', () => {
  const apps = () => [
    proc({ pid: 1, appKey: 'fg', importance: 'foreground', isForeground: true, oomScoreAdj: 0 }),
    proc({ pid: 2, appKey: 'visible', importance: 'visible', oomScoreAdj: 100 }),
    proc({ pid: 3, appKey: 'service', importance: 'service', oomScoreAdj: 500 }),
    proc({ pid: 4, appKey: 'previous', importance: 'previous', oomScoreAdj: 700, lastForegroundAt: 590_000 }),
    proc({ pid: 5, appKey: 'cached-old', lastForegroundAt: 0 }),
    proc({ pid: 6, appKey: 'cached-new', lastForegroundAt: 300_000 }),
    proc({ pid: 7, appKey: 'protected', priority: 'protected' }),
  ];

  it('ranks without side effects: how often the UI asks for the ranking does not change the kill or its reason', () => {
    // Swap exhausted, no page cache, free under min, nothing idle to reclaim: a kill is due.
    const exhausted = signal('critical', { availableBytes: 10 * MiB, freeBytes: 1 * MiB, swapTotalBytes: 1024 * MiB, swapFreeBytes: 0, fileCacheBytes: 0, watermarks: { minBytes: 8 * MiB, lowBytes: 10 * MiB, highBytes: 12 * MiB } });
    const procsAt = (t: number) => [
      proc({ pid: 10, appKey: 'grower', rssAnonBytes: (100 + 10 * t) * MiB, rssFileBytes: 0, idleAnonBytes: 0, idleFileBytes: 0 }),
      proc({ pid: 11, appKey: 'steady', rssAnonBytes: 300 * MiB, rssFileBytes: 0, idleAnonBytes: 0, idleFileBytes: 0 }),
    ];
    const watched = registry.create('reclaim');
    const unwatched = registry.create('reclaim');
    // The Apps page ranks once a second for 30 s while one app grows.
    for (let t = 0; t < 30; t++) watched.rank(procsAt(t), ctx(t * 1000));
    const kills = [watched, unwatched].map((p) => plan(p, procsAt(30), exhausted, 30_000).filter((a) => a.type === 'kill'));
    expect(kills[0]).toHaveLength(1);
    expect(kills[0]).toEqual(kills[1]);
  });

  it('escalates: low → file of cached; medium → anon too, previous included; critical → all but fg/visible/protected', () => {
    const config = { maxActionsPerSignal: 64, lowTargetPct: 50, mediumTargetPct: 50, criticalTargetPct: 50 };
    expect(summary(plan(registry.create('reclaim', config), apps(), signal('low')))).toEqual(['file cached-old', 'file cached-new']);
    expect(summary(plan(registry.create('reclaim', config), apps(), signal('medium')))).toEqual(['all cached-old', 'all cached-new', 'all previous']);
    expect(summary(plan(registry.create('reclaim', config), apps(), signal('critical')))).toEqual(['all cached-old', 'all cached-new', 'all previous', 'all service']);
  });

  it('stops once the target is planned and prefers the app idle longest', () => {
    const actions = plan(registry.create('reclaim'), apps(), signal('low', { totalBytes: 3000 * MiB }));
    expect(summary(actions)).toEqual(['file cached-old']); // 1% of 3000 MiB is covered by its 40 MiB
    // No idle estimate from the host: deactivate (MADV_COLD) and let the kernel's LRU keep what is touched.
    expect(actions[0]).toMatchObject({ type: 'reclaim', pid: 5, startTime: 1, mode: 'cold', requestedBytes: 40 * MiB, dryRun: false });
    expect((actions[0] as { reason: string }).reason).toMatch(/^low pressure \(psi\): no idle estimate: deactivating 40MiB \(MADV_COLD\).*; cached \(adj 900\), idle/);
  });

  it('keeps a per-process cooldown and skips processes already busy', () => {
    const policy = registry.create('reclaim', { cooldownMs: 10_000, maxActionsPerSignal: 64, mediumTargetPct: 50 });
    expect(summary(plan(policy, apps(), signal('medium'), 600_000))).toHaveLength(3);
    expect(plan(policy, apps(), signal('medium'), 605_000)).toEqual([]);
    expect(summary(plan(policy, apps(), signal('medium'), 611_000, ['5:1']))).toEqual(['all cached-new', 'all previous']);
  });

  it('skips targets too small to be worth it and anon when swap is full', () => {
    const small = [proc({ pid: 9, rssAnonBytes: 5 * MiB, rssFileBytes: 3 * MiB })];
    expect(plan(registry.create('reclaim'), small, signal('critical'))).toEqual([]);
    const big = [proc({ pid: 10, rssAnonBytes: 300 * MiB, rssFileBytes: 50 * MiB })];
    expect(summary(plan(registry.create('reclaim'), big, signal('medium', { swapFreeBytes: 4 * MiB })))).toEqual(['file app-10']);
  });

  it('kills only after critical pressure persists with reclaim exhausted, never the foreground', () => {
    const policy = registry.create('reclaim', { killAfterMs: 3000 });
    const exhausted = [
      proc({ pid: 1, appKey: 'fg', importance: 'foreground', isForeground: true, rssAnonBytes: 2000 * MiB }),
      proc({ pid: 2, appKey: 'bg', rssAnonBytes: 1 * MiB, rssFileBytes: 1 * MiB, swapBytes: 300 * MiB }),
    ];
    const wm = { minBytes: 8 * MiB, lowBytes: 32 * MiB, highBytes: 64 * MiB };
    // Critical with swap to spare is no reason to kill: reclaim (or the kernel) can still act.
    const withSwap = signal('critical', { swapFreeBytes: 500 * MiB, freeBytes: 20 * MiB, fileCacheBytes: 2 * MiB, watermarks: wm });
    expect(plan(registry.create('reclaim', { killAfterMs: 3000 }), exhausted, withSwap, 10_000)).toEqual([]);
    expect(plan(registry.create('reclaim', { killAfterMs: 3000 }), exhausted, withSwap, 13_000)).toEqual([]);
    const s = signal('critical', { swapFreeBytes: 0, freeBytes: 20 * MiB, fileCacheBytes: 2 * MiB, watermarks: wm });
    expect(plan(policy, exhausted, s, 10_000)).toEqual([]);
    expect(plan(policy, exhausted, s, 12_000)).toEqual([]);
    const kill = plan(policy, exhausted, s, 13_000);
    expect(summary(kill)).toEqual(['kill bg']);
    expect((kill[0] as { reason: string }).reason).toMatch(/^last resort: swap exhausted \(0B free\) and 2.0MiB of page cache left, critical for 3s/);
    expect(plan(policy, exhausted, s, 14_000)).toEqual([]); // killIntervalMs
    expect(plan(registry.create('reclaim', { allowKill: false }), exhausted, s, 20_000)).toEqual([]);
  });

  it('kills at once when swap is exhausted, cache is gone and free memory is below the min watermark (where the kernel would OOM)', () => {
    const procs = [proc({ pid: 2, appKey: 'bg', rssAnonBytes: 1 * MiB, rssFileBytes: 1 * MiB, swapBytes: 300 * MiB })];
    const s = signal('medium', { swapFreeBytes: 0, freeBytes: 6 * MiB, fileCacheBytes: 2 * MiB, watermarks: { minBytes: 8 * MiB, lowBytes: 32 * MiB, highBytes: 64 * MiB } });
    const actions = plan(registry.create('reclaim'), procs, s, 1000);
    expect(summary(actions)).toEqual(['kill bg']);
    expect((actions[0] as { reason: string }).reason).toMatch(/^last resort: swap exhausted \(0B free\) and 2.0MiB of page cache left, free 6.0MiB under the min watermark/);
    // Between min and low the kernel still copes (kswapd works towards high): no kill —
    // killing there cost a cold start and lost state the kernel alone never caused (lab-game-call).
    expect(plan(registry.create('reclaim'), procs, { ...s, memory: { ...s.memory, freeBytes: 10 * MiB } }, 1000)).toEqual([]);
    expect(plan(registry.create('reclaim'), procs, { ...s, memory: { ...s.memory, freeBytes: 40 * MiB } }, 1000)).toEqual([]);
  });

  it('chooses a growing app as the victim over a larger cached one', () => {
    const policy = registry.create('reclaim', { killAfterMs: 0 });
    const at = (t: number, leak: number) => [
      proc({ pid: 3, appKey: 'leaky-service', importance: 'service', rssAnonBytes: 1 * MiB, rssFileBytes: 1 * MiB, swapBytes: leak }),
      proc({ pid: 4, appKey: 'cached', rssAnonBytes: 1 * MiB, rssFileBytes: 1 * MiB, swapBytes: 500 * MiB, lastForegroundAt: t - 60_000 }),
    ];
    const s = signal('critical', { swapFreeBytes: 0, freeBytes: 500 * MiB });
    // The signals of the last minute (quiet ones): plan() samples each process's footprint.
    for (let t = 0; t < 60_000; t += 5000) plan(policy, at(t, 100 * MiB + t * 10_000), signal('none'), t);
    expect(summary(plan(policy, at(60_000, 100 * MiB + 600_000_000), s, 60_000))).toEqual(['kill leaky-service']);
  });
});

describe('lmkd baseline', () => {
  const procs = () => [
    proc({ pid: 1, appKey: 'fg', importance: 'foreground', isForeground: true, oomScoreAdj: 0 }),
    proc({ pid: 2, appKey: 'perceptible', importance: 'perceptible', oomScoreAdj: 200 }),
    proc({ pid: 3, appKey: 'previous', importance: 'previous', oomScoreAdj: 700 }),
    proc({ pid: 4, appKey: 'cached-lru', oomScoreAdj: 905, lastForegroundAt: 1000 }),
    proc({ pid: 5, appKey: 'cached-mru', oomScoreAdj: 905, lastForegroundAt: 9000 }),
    proc({ pid: 6, appKey: 'cached-newest', oomScoreAdj: 900, lastForegroundAt: 9500 }),
  ];
  const wm = { minBytes: 16 * MiB, lowBytes: 64 * MiB, highBytes: 128 * MiB };

  // Faithful to AOSP lmkd @767ae23 (__mp_event_psi): every kill needs free memory below the
  // *low* watermark (wmark < WMARK_HIGH), and reclaim activity (here kswapd's pgscan moving)
  // to get past its "not reclaiming, not thrashing" bail-out. test/lmkd.test.ts has every reason.
  it('never reclaims; kills the highest adj, oldest first, one at a time until the victim is gone', () => {
    const lmkd = registry.create('lmkd');
    const s = (n: number) => signal('medium', { swapFreeBytes: 50 * MiB, freeBytes: 40 * MiB, watermarks: wm, pgscanKswapd: n });
    expect(summary(plan(lmkd, procs(), s(1), 10_000))).toEqual(['kill cached-lru']);
    expect(plan(lmkd, procs(), s(2), 10_050)).toEqual([]); // the victim may still live: kill_timeout_ms 100
    expect(summary(plan(lmkd, procs().filter((p) => p.pid !== 4), s(3), 10_200))).toEqual(['kill cached-mru']);
  });

  it('does nothing while swap and watermarks are fine', () => {
    const s = signal('medium', { swapFreeBytes: 1500 * MiB, freeBytes: 300 * MiB, watermarks: wm, pgscanKswapd: 1 });
    expect(plan(registry.create('lmkd'), procs(), s)).toEqual([]);
  });

  it('does not kill above the low watermark even with swap low (the old port tested "below high")', () => {
    const s = signal('medium', { swapFreeBytes: 10 * MiB, freeBytes: 100 * MiB, watermarks: wm, pgscanKswapd: 1 });
    expect(plan(registry.create('lmkd'), procs(), s, 1000)).toEqual([]);
  });

  it('goes as deep as the previous app when swap and memory are low, and to adj 0 on a full stall', () => {
    const onlyImportant = procs().filter((p) => p.oomScoreAdj < 900);
    const low = signal('medium', { swapFreeBytes: 10 * MiB, freeBytes: 40 * MiB, watermarks: wm, pgscanKswapd: 1 });
    expect(summary(plan(registry.create('lmkd'), onlyImportant, low, 1000))).toEqual(['kill previous']);
    const critical = signal('critical', { freeBytes: 300 * MiB, watermarks: wm, pgscanKswapd: 1 });
    expect(summary(plan(registry.create('lmkd'), onlyImportant.filter((p) => p.pid !== 3), critical, 1000))).toEqual(['kill perceptible']);
  });
});

describe('none and proactive', () => {
  it('none plans what reclaim would, as dry runs', () => {
    const procs = [proc({ pid: 5 }), proc({ pid: 6 })];
    const none = plan(registry.create('none'), procs, signal('medium'));
    const reclaim = plan(registry.create('reclaim'), procs, signal('medium'));
    expect(none.map((a) => ({ ...a, dryRun: false }))).toEqual(reclaim);
    expect(none.every((a) => a.dryRun)).toBe(true);
  });

  it('proactive probes each cold app by Senpai\'s step (1% of it at no pressure, smaller near the target, none above) and spares warm ones', () => {
    const p = registry.create('proactive');
    expect(p.tickIntervalMs).toBe(6000);
    const now = 1_000_000;
    const procs = [proc({ pid: 1, appKey: 'cold', lastForegroundAt: 0 }), proc({ pid: 2, appKey: 'warm', lastForegroundAt: now - 10_000 })];
    const psi = { someAvg10: 0, fullAvg10: 0, someAvg60: 0, fullAvg60: 0, someWindowMs: 0, fullWindowMs: 0, windowMs: 1000 };
    const tick = (someAvg10: number) => ({ ...signal('none', { totalBytes: 4096 * MiB, availableBytes: 2048 * MiB }, 'timer'), psi: { ...psi, someAvg10 } });
    const actions = plan(p, procs, tick(0), now);
    expect(summary(actions)).toEqual(['all cold']);
    expect(actions[0].requestedBytes).toBe(Math.floor(140 * MiB * 0.01));
    // Stall a fifth of the target (0.17 %): (5 / 10)² of the 1 % probe.
    expect(plan(registry.create('proactive'), procs, tick(0.034), now)[0].requestedBytes).toBe(Math.floor(140 * MiB * 0.01 * 0.25));
    expect(plan(registry.create('proactive'), procs, tick(0.2), now)).toEqual([]);
  });

  it('proactive acts on a 2 GiB device too (its step is per app, not under a fixed 1 MiB floor)', () => {
    const now = 1_000_000;
    const procs = [proc({ pid: 1, appKey: 'notes', lastForegroundAt: 0, rssAnonBytes: 40 * MiB, rssFileBytes: 20 * MiB })];
    const psi = { someAvg10: 0, fullAvg10: 0, someAvg60: 0, fullAvg60: 0, someWindowMs: 0, fullWindowMs: 0, windowMs: 1000 };
    const tick = { ...signal('none', { totalBytes: 2048 * MiB, availableBytes: 700 * MiB }, 'timer'), psi };
    const actions = plan(registry.create('proactive'), procs, tick, now);
    expect(summary(actions)).toEqual(['all notes']);
    expect(actions[0].requestedBytes).toBe(Math.floor(60 * MiB * 0.01));
  });
});
