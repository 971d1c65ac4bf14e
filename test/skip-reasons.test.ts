// The decision dialog says why each candidate ranked above the chosen one was passed over:
// the reclaim policy records its own reason on every candidate it looks at and skips, and
// the decision log keeps it (issue 15, item 1).
import { decisionToInsert, INSERT_COLUMNS } from '../db/decision-rows';
import { createBuiltinRegistry } from '../policy-engine/policies/index';
import type { PolicyContext } from '../policy-engine/policy';
import { MiB, type Decision } from '../policy-engine/types';
import { proc, signal } from './helpers/processes';

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
