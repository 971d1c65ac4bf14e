import { SimHost } from '../host/sim/sim-host';
import { VirtualClockScheduler } from '../host/sim/virtual-scheduler';
import { bundledScenarioFiles, loadScenario } from '../scenario/load';
import { validateScenario } from '../scenario/validate';
import { foregroundAt, run } from './helpers/replay';

const SCENARIOS = bundledScenarioFiles();
const name = (f: string) => f.split('/').pop()!.replace('.json', '');

describe('replay: what the policies do on the bundled scenarios', () => {
  // Changed deliberately with the faithful lmkd port (AOSP lmkd @767ae23): the old port killed
  // below the *high* watermark and counted only zram as swap, so it took the game (previous,
  // adj 700). lmkd kills that deep only when free memory is below *low* and swap is low; here
  // free swap stays above 10 %, so only LOW_MEM fires, and it takes adj ≥ 701: the cached notes.
  it('game-call: lmkd kills only the cached notes app (LOW_MEM) and spares the game; reclaim kills nothing and keeps the game warm', () => {
    const reclaim = run('game-call', 'reclaim');
    const lmkd = run('game-call', 'lmkd');
    expect(reclaim.metrics).toMatchObject({ agentKills: 0, oomKills: 0, stateLoss: 0, coldStarts: 0 });
    expect(reclaim.metrics.warmResumes).toBeGreaterThanOrEqual(1);
    expect(reclaim.events).toContainEqual(expect.objectContaining({ type: 'warm-resume', app: 'game' }));
    expect(lmkd.events.filter((e) => e.type === 'agent-kill')).toEqual([expect.objectContaining({ app: 'notes' })]);
    expect(lmkd.decisions.map((d) => d.action.reason.split(':')[0])).toEqual(['LOW_MEM']);
    expect(lmkd.metrics).toMatchObject({ stateLoss: 0, coldStarts: 0, reclaimedBytes: 0 });
    expect(reclaim.metrics.reclaimedBytes).toBeGreaterThan(0);
  });

  it('android compacts on oom_adj transitions beside lmkd: the game gets a "some" compaction when the call takes the foreground', () => {
    const android = run('game-call', 'android');
    const compactions = android.decisions.filter((d) => d.action.type === 'reclaim');
    expect(compactions.map((d) => `${d.action.appKey} ${d.action.type === 'reclaim' ? `${d.action.kind}/${d.action.mode}` : ''}`)).toContain('game file/cold');
    expect(compactions.every((d) => d.action.reason.startsWith('CachedAppOptimizer'))).toBe(true);
    expect(android.decisions.filter((d) => d.action.type === 'kill').map((d) => d.action.reason.split(':')[0])).toEqual(['LOW_MEM']);
  });

  it.each(SCENARIOS.map(name))('%s: reclaim kills no more than lmkd, and loses no state', (scenario) => {
    const reclaim = run(scenario, 'reclaim');
    const lmkd = run(scenario, 'lmkd');
    const kills = (m: typeof reclaim.metrics) => m.agentKills + m.oomKills;
    if (kills(lmkd.metrics) === 0) expect(kills(reclaim.metrics)).toBe(0);
    else expect(kills(reclaim.metrics)).toBeLessThan(kills(lmkd.metrics));
    expect(reclaim.metrics.stateLoss).toBe(0);
    expect(reclaim.violations).toEqual([]);
  });

  it('quiet: a good policy does nothing', () => {
    for (const policy of ['reclaim', 'lmkd', 'none']) {
      const r = run('quiet', policy);
      expect([policy, r.metrics.decisions, r.metrics.reclaimedBytes, r.metrics.agentKills]).toEqual([policy, 0, 0, 0]);
    }
  });

  it('leak: the leaker is the one killed, and nothing else', () => {
    const r = run('leak', 'reclaim');
    const kills = r.events.filter((e) => e.type === 'agent-kill' || e.type === 'oom-kill');
    expect(kills).toEqual([expect.objectContaining({ type: 'agent-kill', app: 'sync' })]);
    const killDecision = r.decisions.find((d) => d.action.type === 'kill')!;
    expect(killDecision.action.reason).toMatch(/^last resort: .*sync holds .* grew/);
  });

  it('never reclaims the foreground app or a protected one', () => {
    const raw = JSON.parse(require('node:fs').readFileSync(SCENARIOS.find((f) => f.endsWith('tabs.json'))!, 'utf8'));
    raw.apps.find((a: { id: string }) => a.id === 'tab-3').priority = 'protected';
    const protectedTabs = validateScenario(raw);
    for (const scenario of [...SCENARIOS.map((f) => loadScenario(f)), protectedTabs]) {
      for (const policy of ['reclaim', 'proactive']) {
        const r = run(scenario, policy);
        for (const d of r.decisions) {
          if (d.action.type !== 'reclaim' || d.outcome.result !== 'ok') continue;
          expect([scenario.name, d.action.appKey, foregroundAt(r, d.at)]).not.toEqual([scenario.name, d.action.appKey, d.action.appKey]);
          expect([scenario.name, d.action.appKey, foregroundAt(r, d.outcome.at)]).not.toEqual([scenario.name, d.action.appKey, d.action.appKey]);
        }
        if (scenario === protectedTabs) expect(r.decisions.filter((d) => d.action.appKey === 'tab-3')).toEqual([]);
      }
    }
  });

  it('none logs what it would do and changes nothing', () => {
    const none = run('camera-burst', 'none');
    expect(none.metrics.decisions).toBeGreaterThan(0);
    expect(none.decisions.every((d) => d.action.dryRun && d.outcome.result === 'dry-run')).toBe(true);
    expect(none.metrics.reclaimedBytes).toBe(0);
  });

  it('each decision carries the signal, ranked candidates with scores and reasons, the action and its outcome', () => {
    const d = run('game-call', 'reclaim').decisions[0];
    expect(d.signal.memory.totalBytes).toBe(2 * 1024 ** 3);
    expect(d.candidates.length).toBeGreaterThan(0);
    expect(d.candidates[0]).toEqual(expect.objectContaining({ score: expect.any(Number), why: expect.any(String), eligible: true }));
    expect(d.action.reason).toMatch(/pressure/);
    expect(d.outcome.action).toBe(d.action);
    expect(d.outcome.reclaimedAnonBytes + d.outcome.reclaimedFileBytes).toBeGreaterThan(0);
    expect(d.outcome.durationMs).toBeGreaterThan(0);
  });
});

describe('replay: reproducibility', () => {
  const stable = (m: ReturnType<typeof run>['metrics']) => ({ ...m, decisionLatencyUs: null });

  it('gives identical metrics for the same scenario and seed', () => {
    for (const scenario of ['day-2g', 'tabs']) {
      const a = run(scenario, 'reclaim', { wallClock: () => performance.now() });
      const b = run(scenario, 'reclaim', { wallClock: () => performance.now() });
      expect(stable(a.metrics)).toEqual(stable(b.metrics));
      expect(a.decisions.map((d) => d.action)).toEqual(b.decisions.map((d) => d.action));
    }
  });

  it('lets the seed change the run', () => {
    const a = run('tabs', 'reclaim', { seed: 1 });
    const b = run('tabs', 'reclaim', { seed: 2 });
    expect(stable(a.metrics)).not.toEqual(stable(b.metrics));
  });

  // Changed deliberately (issue 11): reclaimedBytes is now RAM freed (1222 MiB moved frees
  // ~879 MiB at 2.8:1), with the moved bytes reported apart as movedBytes. Then the CPU
  // model: zram CPU split by who (cpuMsBy), and direct reclaim no longer charges a clean file
  // page the 12 µs of compressing an anon one (it costs fileDropUsPerPage), so stalls fell.
  // Then user wait by band: the perceptible music app's refaults (2.2 s) are now the user's.
  // Then PSI as psi.c: kswapd's reclaim is a memory stall, so time at medium rose (6.7 → 45 s).
  // Then two bounds from the kernel: a task waits at most a step's wall time, and kswapd's LRU
  // keeps a working set touched within one pass over RAM (the music app's, as it keeps the
  // foreground's): the perceptible stall fell 2.2 s → 27 ms, time at medium 45 → 19.5 s.
  // Then the policy, not the model: reclaim asks only for each app's idle pages (issue 12), so
  // it moves 422 MiB instead of 1190 MiB and anon refaults fell 166k → 78k (none: 73k).
  // Then the model again: cold pages come back at 0.2 %/min (coldTouch, Google far memory),
  // so evicted cold memory now refaults a little, and the cold-touch draws move the seeded stream.
  // Then 10 % of each app's anon pages are shared (zygote) and the agent's pageout skips them.
  // Then the game's warm resume now costs the user its warmResume (150 ms by default).
  // Then reclaim asks for file and anon apart and anon a quarter at a time (issue 12, camera-burst):
  // it moves 261 MiB instead of 467 MiB, anon refaults 89k → 75k (none: 76k).
  it('matches the golden numbers of game-call (update deliberately when the model changes)', () => {
    const m = run('game-call', 'reclaim').metrics;
    expect({ ...m, decisionLatencyUs: undefined }).toMatchSnapshot();
  });
});

describe('looping simulated device (for a live demo)', () => {
  it('plays the scenario again from the start when it ends, keeping its counters', () => {
    const scenario = loadScenario('quiet');
    const scheduler = new VirtualClockScheduler();
    const host = new SimHost(scenario, scheduler, { loop: true, checkInvariants: true });
    host.start();
    scheduler.runUntil(scenario.durationMs * 2.5);
    const launches = host.events.filter((e) => e.type === 'launch' && e.app === 'launcher');
    expect(launches).toHaveLength(3);
    expect(launches[1].at).toBeGreaterThan(scenario.durationMs);
    expect(host.counters.warmResumes).toBeGreaterThan(0);
    host.stop();
  });

  it('started late on a clock (as when served live), reports foreground times on that clock', () => {
    const scenario = loadScenario('demo');
    const scheduler = new VirtualClockScheduler();
    const wallStart = 1_800_000_000_000;
    scheduler.runUntil(wallStart);
    const host = new SimHost(scenario, scheduler, { loop: true });
    host.start();
    scheduler.runUntil(wallStart + 30_000);
    const notes = host.snapshot().find((p) => p.appKey === 'notes')!;
    // notes left the foreground at 4 s: 26 s ago on the scheduler's clock, which policies use as `now`.
    expect(scheduler.now() - notes.lastForegroundAt!).toBeGreaterThan(25_000);
    expect(scheduler.now() - notes.lastForegroundAt!).toBeLessThan(27_000);
    host.stop();
  });
});
