// The decision dialog says why each candidate ranked above the chosen one was passed over:
// the reclaim policy records its own reason on every candidate it looks at and skips, and
// the decision log keeps it (issue 15, item 1).
import { decisionToInsert, INSERT_COLUMNS } from '../db/decision-rows';
import { createBuiltinRegistry } from '../policy-engine/policies/index';
import type { PolicyContext } from '../policy-engine/policy';
import { MiB, type Decision, type KillAction, type PlannedAction } from '../policy-engine/types';
import { proc, signal } from './helpers/processes';
import { run } from './helpers/replay';

const registry = createBuiltinRegistry();
const ctx = (now: number, busy: string[] = []): PolicyContext => ({ now, busy: new Set(busy) });

describe('reasons for skipped candidates', () => {
  it('names cooldown, busy, too small, below the level adj and not eligible, and leaves the chosen one unmarked', () => {
    const policy = registry.create('reclaim', { cooldownMs: 10_000, maxActionsPerSignal: 1, mediumTargetPct: 50 });
    const procs = [
      proc({ pid: 1, appKey: 'recent', lastForegroundAt: 0 }),
      proc({ pid: 2, appKey: 'busy', lastForegroundAt: 0 }),
      proc({ pid: 3, appKey: 'tiny', lastForegroundAt: 0, rssAnonBytes: 2 * MiB, rssFileBytes: 1 * MiB }),
      proc({ pid: 4, appKey: 'chosen', lastForegroundAt: 300_000 }),
      proc({ pid: 5, appKey: 'service', importance: 'service', oomScoreAdj: 500 }),
      proc({ pid: 6, appKey: 'fg', importance: 'foreground', isForeground: true, oomScoreAdj: 0 }),
    ];
    // pid 1 was reclaimed 4 s ago: its cooldown still runs.
    const first = ctx(596_000);
    policy.plan({ ...signal('medium'), at: 596_000 }, policy.rank([procs[0]], first), first);
    const c = ctx(600_000, ['2:1']);
    const ranked = policy.rank(procs, c);
    const actions = policy.plan({ ...signal('medium'), at: 600_000 }, ranked, c);
    expect(actions.map((a) => a.appKey)).toEqual(['chosen']);
    const skipped = Object.fromEntries(ranked.map((r) => [r.process.appKey, r.skipped]));
    expect(skipped.recent).toMatch(/cooldown: reclaimed 4s ago \(cooldown 10s\)/);
    expect(skipped.busy).toMatch(/busy/);
    expect(skipped.tiny).toMatch(/too small/);
    expect(skipped.chosen).toBeUndefined();
    // Not looked at: the plan was full after "chosen".
    expect(skipped.service).toBeUndefined();
    expect(skipped.fg).toBeUndefined();

    // Below the level's minimum adj, at low pressure a service is skipped by adj.
    const low = registry.create('reclaim', { lowTargetPct: 50 });
    const r2 = low.rank([proc({ pid: 7, appKey: 'svc', importance: 'service', oomScoreAdj: 500 }), proc({ pid: 8, appKey: 'fg', importance: 'foreground', isForeground: true })], ctx(600_000));
    low.plan({ ...signal('low'), at: 600_000 }, r2, ctx(600_000));
    expect(r2.map((r) => r.skipped)).toEqual(["adj 500 is below the low level's minimum 900", 'not eligible: foreground app']);
  });

  it('the decision log keeps the reason with each candidate', () => {
    const policy = registry.create('reclaim', { maxActionsPerSignal: 1 });
    const c = ctx(600_000, ['1:1']);
    const ranked = policy.rank([proc({ pid: 1, appKey: 'busy' }), proc({ pid: 2, appKey: 'next', lastForegroundAt: 10 })], c);
    const s = { ...signal('medium'), at: 600_000 };
    const [action] = policy.plan(s, ranked, c);
    const d: Decision = {
      seq: 1, batch: 1, at: 600_000, policy: 'reclaim', host: 'sim', signal: s, candidates: ranked, action, latencyUs: null,
      outcome: { action, result: 'ok', message: '', reclaimedAnonBytes: 0, reclaimedFileBytes: 0, durationMs: 0, at: 600_000 },
    };
    const row = decisionToInsert(d, 0, null);
    const candidates = JSON.parse(row[INSERT_COLUMNS.indexOf('candidates')] as string) as { app: string; skipped?: string }[];
    expect(candidates.find((x) => x.app === 'busy')?.skipped).toMatch(/busy/);
    expect(candidates.find((x) => x.app === 'next')).not.toHaveProperty('skipped');
  });
});

describe('kill decisions say why each candidate above the victim was not killed', () => {
  const kill = (actions: PlannedAction[]): KillAction => {
    const k = actions.find((a): a is KillAction => a.type === 'kill');
    if (!k) throw new Error(`no kill planned: ${JSON.stringify(actions.map((a) => a.appKey))}`);
    return k;
  };

  it("reclaim's last resort: a smaller app frees less, the previous app is spared", () => {
    const policy = registry.create('reclaim', { killAfterMs: 0 });
    const procs = [
      proc({ pid: 1, appKey: 'small-cached', rssAnonBytes: 5 * MiB, rssFileBytes: 1 * MiB, swapBytes: 20 * MiB, lastForegroundAt: 0 }),
      proc({ pid: 2, appKey: 'previous', importance: 'previous', oomScoreAdj: 700, rssAnonBytes: 5 * MiB, rssFileBytes: 1 * MiB, lastForegroundAt: 500_000 }),
      // Footprint weighs against adj: 2.8 GiB at adj 500 outweighs 26 MiB at adj 900 (adj × RAM / 1000).
      proc({ pid: 3, appKey: 'big-service', importance: 'service', oomScoreAdj: 500, rssAnonBytes: 900 * MiB, rssFileBytes: 1 * MiB, swapBytes: 2000 * MiB }),
      proc({ pid: 4, appKey: 'fg', importance: 'foreground', isForeground: true, oomScoreAdj: 0 }),
    ];
    const c = ctx(600_000);
    const ranked = policy.rank(procs, c);
    const s = { ...signal('critical', { swapFreeBytes: 0, freeBytes: 4 * MiB, fileCacheBytes: 2 * MiB, watermarks: { minBytes: 8 * MiB, lowBytes: 32 * MiB, highBytes: 64 * MiB } }), at: 600_000 };
    const k = kill(policy.plan(s, ranked, c));
    expect(k.appKey).toBe('big-service');
    expect(ranked.map((r) => r.process.appKey)).toEqual(['small-cached', 'previous', 'big-service', 'fg']);
    expect(k.skipped).toEqual({
      '1:1': expect.stringMatching(/^frees less: holds 26MiB \(adj 900\); big-service holds 2.8GiB \(adj 500\)/),
      '2:1': expect.stringMatching(/^spared: the previous app, likeliest to return/),
    });
  });

  it('lmkd: busy and, with kill_heaviest_task, lighter at the same adj', () => {
    const lmkd = registry.create('lmkd', { killHeaviestTask: true });
    const procs = [
      proc({ pid: 1, appKey: 'busy-1000', oomScoreAdj: 1000, lastForegroundAt: 0 }),
      proc({ pid: 2, appKey: 'light-950', oomScoreAdj: 950, lastForegroundAt: 1000, rssAnonBytes: 10 * MiB, rssFileBytes: 0 }),
      proc({ pid: 3, appKey: 'heavy-950', oomScoreAdj: 950, lastForegroundAt: 9000, rssAnonBytes: 500 * MiB, rssFileBytes: 0 }),
    ];
    const c = ctx(10_000, ['1:1']);
    const s = { ...signal('medium', { swapFreeBytes: 50 * MiB, freeBytes: 40 * MiB, watermarks: { minBytes: 16 * MiB, lowBytes: 64 * MiB, highBytes: 128 * MiB }, pgscanKswapd: 1 }), at: 10_000 };
    const k = kill(lmkd.plan(s, lmkd.rank(procs, c), c));
    expect(k.appKey).toBe('heavy-950');
    expect(k.skipped).toEqual({
      '1:1': 'busy: an action on it is still in flight',
      '2:1': 'lighter: 10MiB resident; at adj 950 the heaviest goes first (heavy-950, 500MiB)',
    });
  });

  it("android's kills are lmkd's, with lmkd's reasons", () => {
    const android = registry.create('android');
    const procs = [
      proc({ pid: 1, appKey: 'protected-1000', oomScoreAdj: 1000, priority: 'protected' }),
      proc({ pid: 2, appKey: 'busy-950', oomScoreAdj: 950, lastForegroundAt: 0 }),
      proc({ pid: 3, appKey: 'victim-950', oomScoreAdj: 950, lastForegroundAt: 5000 }),
    ];
    const c = ctx(10_000, ['2:1']);
    const s = { ...signal('medium', { swapFreeBytes: 50 * MiB, freeBytes: 40 * MiB, watermarks: { minBytes: 16 * MiB, lowBytes: 64 * MiB, highBytes: 128 * MiB }, pgscanKswapd: 1 }), at: 10_000 };
    const k = kill(android.plan(s, android.rank(procs, c), c));
    expect(k.appKey).toBe('victim-950');
    // The protected one ranks last (never a candidate), so only the busy one stood above the victim.
    expect(k.skipped).toEqual({ '2:1': 'busy: an action on it is still in flight' });
  });

  it('through the engine, a kill decision carries its own reasons, not those of the reclaims of its signal', () => {
    const result = run('leak', 'reclaim');
    const kills = result.decisions!.filter((d) => d.action.type === 'kill');
    expect(kills.length).toBeGreaterThan(0);
    for (const d of kills) {
      const chosen = d.candidates.findIndex((c) => c.process.pid === d.action.pid);
      const above = chosen < 0 ? d.candidates : d.candidates.slice(0, chosen);
      expect(above.map((c) => c.skipped)).toEqual(above.map(() => expect.stringMatching(/^(frees less|spared|not eligible|adj \d+ is below the kill minimum)/)));
      if (chosen >= 0) expect(d.candidates.slice(chosen).every((c) => c.skipped === undefined)).toBe(true);
    }
    expect(kills.some((d) => d.candidates.findIndex((c) => c.process.pid === d.action.pid) > 0)).toBe(true);
    // The reclaims keep the reasons the reclaim pass gave.
    const reclaimReasons = result.decisions!.filter((d) => d.action.type === 'reclaim').flatMap((d) => d.candidates.map((c) => c.skipped ?? ''));
    expect(reclaimReasons.some((r) => /^(cooldown|too small|adj \d+ is below the \w+ level's minimum|busy|swap is full)/.test(r))).toBe(true);
    expect(reclaimReasons.some((r) => /^(frees less|spared)/.test(r))).toBe(false);
  });
});
