import type { ReplayMetrics } from '../host/sim/sim-metrics';
import { aggregate, BENCH_METRICS, bestPolicies, formatCell, formatScenarioTable, spread, userWaitVerdict, type BenchRun } from '../runs/bench-aggregate';

function metrics(over: Partial<ReplayMetrics> = {}): ReplayMetrics {
  return {
    agentKills: 0,
    oomKills: 0,
    stateLoss: 0,
    coldStarts: 0,
    warmResumes: 0,
    foregroundStallMs: 0,
    userWaitMs: 0,
    userWaitByBandMs: { foreground: 0, visible: 0, perceptible: 0, coldStart: 0, warmResume: 0 },
    refaultsAnon: 0,
    refaultsFile: 0,
    reclaimedBytes: 0,
    movedBytes: 0,
    zramCpuMs: 0,
    cpuMsBy: { agent: 0, kswapd: 0, apps: 0 },
    timeAtLevelMs: { low: 0, medium: 0, critical: 0 },
    decisions: 0,
    decisionLatencyUs: { p50: 0, p99: 0 },
    ...over,
  };
}

const run = (scenario: string, policy: string, seed: number, over: Partial<ReplayMetrics>): BenchRun => ({ scenario, policy, seed, metrics: metrics(over) });

describe('spread', () => {
  it('takes the middle value of an odd count, whatever the order', () => {
    expect(spread([5, 1, 9, 3, 7])).toEqual({ median: 5, min: 1, max: 9 });
  });

  it('takes the mean of the middle two of an even count', () => {
    expect(spread([10, 2])).toEqual({ median: 6, min: 2, max: 10 });
    expect(spread([4, 1, 3, 2])).toEqual({ median: 2.5, min: 1, max: 4 });
  });

  it('refuses no values instead of inventing a number', () => {
    expect(() => spread([])).toThrow('spread of no values');
  });
});

describe('aggregate', () => {
  const runs = [
    run('s', 'reclaim', 7, { agentKills: 0, oomKills: 1, userWaitMs: 100, reclaimedBytes: 10 }),
    run('s', 'reclaim', 8, { agentKills: 0, oomKills: 0, userWaitMs: 300, reclaimedBytes: 30 }),
    run('s', 'reclaim', 9, { agentKills: 0, oomKills: 0, userWaitMs: 200, reclaimedBytes: 20 }),
    run('s', 'lmkd', 9, { agentKills: 2, userWaitMs: 50 }),
    run('s', 'lmkd', 7, { agentKills: 1, userWaitMs: 60 }),
    run('s', 'lmkd', 8, { agentKills: 1, userWaitMs: 70 }),
  ];

  it('summarises each policy over its seeds, kills being agent + OOM kills', () => {
    const [s] = aggregate(runs, ['s'], ['reclaim', 'lmkd'], 3).scenarios;
    const [reclaim, lmkd] = s.policies;
    expect(reclaim.policy).toBe('reclaim');
    expect(reclaim.seeds).toEqual([7, 8, 9]);
    expect(lmkd.seeds).toEqual([7, 8, 9]);
    expect(reclaim.metrics.userWaitMs).toEqual({ median: 200, min: 100, max: 300 });
    expect(reclaim.metrics.kills).toEqual({ median: 0, min: 0, max: 1 });
    expect(reclaim.metrics.oomKills).toEqual({ median: 0, min: 0, max: 1 });
    expect(lmkd.metrics.kills).toEqual({ median: 1, min: 1, max: 2 });
    expect(Object.keys(reclaim.metrics)).toEqual(BENCH_METRICS.map((m) => m.key));
  });

  it('marks the lowest median best, every policy on a tie, and never ranks RAM freed', () => {
    const [s] = aggregate(runs, ['s'], ['reclaim', 'lmkd'], 3).scenarios;
    expect(s.best.kills).toEqual(['reclaim']);
    expect(s.best.userWaitMs).toEqual(['lmkd']);
    expect(s.best.stateLoss).toEqual(['reclaim', 'lmkd']);
    expect(s.best).not.toHaveProperty('reclaimedBytes');
  });

  it('refuses a policy with fewer runs than seeds rather than compare unlike things', () => {
    expect(() => aggregate(runs.slice(0, 5), ['s'], ['reclaim', 'lmkd'], 3)).toThrow('s under lmkd: 2 runs for 3 seeds');
  });
});

describe('bestPolicies', () => {
  it('is empty for an unranked metric', () => {
    const reclaimed = BENCH_METRICS.find((m) => m.key === 'reclaimedBytes')!;
    expect(reclaimed.better).toBe('none');
    expect(bestPolicies(reclaimed, [{ policy: 'a', seeds: [1], metrics: { reclaimedBytes: { median: 1, min: 1, max: 1 } } }])).toEqual([]);
  });
});

describe('the table', () => {
  it('shows one value when every seed agreed, else the median and its range', () => {
    expect(formatCell('userWaitMs', { median: 2061.5, min: 2061.5, max: 2061.5 }, '')).toBe('2061.5');
    expect(formatCell('userWaitMs', { median: 2059.5, min: 2057, max: 2061.52 }, '*')).toBe('2059.5 (2057–2061.5) *');
    expect(formatCell('reclaimedBytes', { median: 1147715584, min: 1147715584, max: 1147715584 }, '')).toBe('1095MiB');
    // A range narrower than the precision shown is no range: 1206MiB (1206MiB–1206MiB) says nothing.
    expect(formatCell('reclaimedBytes', { median: 1264500000, min: 1264400000, max: 1264600000 }, '')).toBe('1206MiB');
    expect(formatCell('zramCpuMs', { median: 5861.9, min: 5861.88, max: 5861.92 }, '=')).toBe('5861.9 =');
  });

  it('has a row per metric saying which way is better, * for the best and = for a tie', () => {
    const [s] = aggregate(
      [run('s', 'reclaim', 1, { userWaitMs: 10, agentKills: 1 }), run('s', 'lmkd', 1, { userWaitMs: 20, agentKills: 1, reclaimedBytes: 0 })],
      ['s'],
      ['reclaim', 'lmkd'],
      1,
    ).scenarios;
    const lines = formatScenarioTable(s).split('\n');
    expect(lines[0]).toMatch(/^metric\s+better\s+reclaim\s+lmkd$/);
    expect(lines.slice(1).map((l) => l.split(/\s+/)[0])).toEqual(BENCH_METRICS.map((m) => m.key));
    expect(lines).toContainEqual(expect.stringMatching(/^userWaitMs\s+lower\s+10 \*\s+20$/));
    expect(lines).toContainEqual(expect.stringMatching(/^kills\s+lower\s+1 =\s+1 =$/));
    expect(lines).toContainEqual(expect.stringMatching(/^reclaimedBytes\s+—\s+0MiB\s+0MiB$/));
  });

  it('says plainly whether the first policy wins or loses on user wait against the best other', () => {
    const summary = (waits: [string, number][]) =>
      aggregate(waits.map(([p, w]) => run('s', p, 1, { userWaitMs: w })), ['s'], waits.map(([p]) => p), 1).scenarios[0];
    expect(userWaitVerdict(summary([['reclaim', 3628], ['lmkd', 2519.5], ['none', 2848]]))).toBe('user wait: reclaim 3628 ms loses to the best of the others, lmkd 2519.5 ms (+44%)');
    expect(userWaitVerdict(summary([['reclaim', 100], ['lmkd', 400]]))).toBe('user wait: reclaim 100 ms beats the best of the others, lmkd 400 ms (-75%)');
    expect(userWaitVerdict(summary([['reclaim', 0], ['none', 0]]))).toBe('user wait: reclaim ties the best of the others (none) at 0 ms');
    expect(userWaitVerdict(summary([['reclaim', 5]]))).toBe('');
  });
});
