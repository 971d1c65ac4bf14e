import type { ReplayMetrics } from '../host/sim/sim-metrics';

/** One line that says how the first policy did against the others (the UI shows the same line). */
export function verdict(report: { runs: readonly { policy: string; metrics: ReplayMetrics }[] }): string {
  const [first, ...others] = report.runs;
  const m = first.metrics;
  const kills = (x: ReplayMetrics) => x.agentKills + x.oomKills;
  if (others.length === 0) {
    return `verdict: ${first.policy}: ${kills(m)} kills, ${m.stateLoss} state lost, ${m.coldStarts} cold starts, user waited ${(m.userWaitMs / 1000).toFixed(1)} s`;
  }
  const parts = others.map((o) => {
    const om = o.metrics;
    const killText = kills(m) === kills(om) ? `the same kills (${kills(m)})` : `${kills(m)} kills vs ${kills(om)}`;
    const wait = om.userWaitMs > 0 ? Math.round((100 * (om.userWaitMs - m.userWaitMs)) / om.userWaitMs) : 0;
    const waitText = m.userWaitMs === om.userWaitMs ? 'the same user wait' : wait > 0 ? `${wait}% less user wait` : `${-wait}% more user wait`;
    const lossText = m.stateLoss === om.stateLoss ? '' : `, state lost ${m.stateLoss} vs ${om.stateLoss}`;
    return `against ${o.policy}: ${killText}${lossText}, ${waitText}`;
  });
  return `verdict: ${first.policy} ${parts.join('; ')}`;
}
