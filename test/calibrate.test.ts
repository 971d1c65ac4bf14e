import { calibrationRows, flattenMetrics, verdictOf } from '../main/cli/calibrate-command';
import type { ReplayMetrics } from '../host/sim/sim-metrics';

const metrics = (over: Partial<ReplayMetrics> = {}): ReplayMetrics => ({
  agentKills: 0,
  oomKills: 0,
  stateLoss: 0,
  coldStarts: 0,
  warmResumes: 1,
  foregroundStallMs: 100,
  userWaitMs: 100,
  refaultsAnon: 0,
  refaultsFile: 1000,
  reclaimedBytes: 0,
  zramCpuMs: 0,
  timeAtLevelMs: { low: 0, medium: 0, critical: 0 },
  decisions: 0,
  decisionLatencyUs: { p50: 0, p99: 0 },
  ...over,
});

describe('calibration arithmetic', () => {
  it('flattens nested metrics as parent.child', () => {
    const f = flattenMetrics(metrics({ timeAtLevelMs: { low: 1, medium: 2, critical: 3 } }));
    expect(f['timeAtLevelMs.medium']).toBe(2);
    expect(f.timeAtLevelMs).toBeUndefined();
  });

  it('takes the median and spread of the lab runs, and the ratio sim / median within 2× or not', () => {
    const rows = calibrationRows(metrics({ foregroundStallMs: 300, refaultsFile: 1000 }), [metrics({ foregroundStallMs: 100 }), metrics({ foregroundStallMs: 140 }), metrics({ foregroundStallMs: 900 })]);
    const stall = rows.find((r) => r.metric === 'foregroundStallMs')!;
    expect(stall).toMatchObject({ sim: 300, labMedian: 140, labMin: 100, labMax: 900, ratio: 2.14, within: false, target: true });
    expect(rows.find((r) => r.metric === 'refaultsFile')).toMatchObject({ ratio: 1, within: true, target: true });
    expect(rows.find((r) => r.metric === 'warmResumes')).toMatchObject({ ratio: 1, within: true, target: false });
  });

  it('zero in the lab: both zero is agreement, only the lab zero is no ratio and outside', () => {
    const rows = calibrationRows(metrics({ agentKills: 1 }), [metrics()]);
    expect(rows.find((r) => r.metric === 'agentKills')).toMatchObject({ ratio: null, within: false });
    expect(rows.find((r) => r.metric === 'oomKills')).toMatchObject({ ratio: 1, within: true });
  });

  it('compares only what the lab measures too: a breakdown the lab reports as null has no row', () => {
    const sim = { ...metrics(), cpuMsBy: { agent: 1, kswapd: 2, apps: 3 } } as ReplayMetrics;
    const lab = { ...metrics(), cpuMsBy: null } as unknown as ReplayMetrics;
    const rows = calibrationRows(sim, [lab]);
    expect(rows.some((r) => r.metric.startsWith('cpuMsBy'))).toBe(false);
    expect(rows.some((r) => r.metric === 'foregroundStallMs')).toBe(true);
  });

  it("a verdict is each policy's kills and state loss and the policies by user wait", () => {
    const v = verdictOf(new Map([['reclaim', metrics({ userWaitMs: 300 })], ['lmkd', metrics({ agentKills: 1, oomKills: 1, stateLoss: 1, userWaitMs: 200 })]]));
    expect(v).toEqual({ kills: { reclaim: 0, lmkd: 2 }, stateLoss: { reclaim: 0, lmkd: 1 }, userWaitOrder: ['lmkd', 'reclaim'] });
  });
});
