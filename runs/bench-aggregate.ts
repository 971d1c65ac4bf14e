// The pure half of `reclaimd bench`: per-run metrics in, medians with their spread and the
// best policy per metric out, and the table a person reads. No I/O, so it is unit-tested
// apart from the worker threads that produce the runs.
import type { ReplayMetrics } from '../host/sim/sim-metrics';

/** Which way is better for a metric; `none` when more or less is not a verdict in itself. */
export type Better = 'lower' | 'none';

export interface BenchMetric {
  /** The replay metric's name (README "Metrics"), `kills` for agent + OOM kills, or `visibleStallMs`/`perceptibleStallMs` from userWaitByBandMs. */
  key: string;
  better: Better;
  value(m: ReplayMetrics): number;
}

/**
 * The rows of the benchmark, in the order the issue lists them: kills (with the agent's and
 * the kernel's apart), state lost, user wait, foreground stall, refaults, CPU, RAM freed.
 * RAM freed is not ranked: it is the policy's work, not its outcome — `none` frees nothing
 * itself because the kernel does it, and a policy that reclaims too much pays in refaults,
 * which are ranked.
 */
export const BENCH_METRICS: readonly BenchMetric[] = [
  { key: 'kills', better: 'lower', value: (m) => m.agentKills + m.oomKills },
  { key: 'agentKills', better: 'lower', value: (m) => m.agentKills },
  { key: 'oomKills', better: 'lower', value: (m) => m.oomKills },
  { key: 'stateLoss', better: 'lower', value: (m) => m.stateLoss },
  { key: 'userWaitMs', better: 'lower', value: (m) => m.userWaitMs },
  { key: 'foregroundStallMs', better: 'lower', value: (m) => m.foregroundStallMs },
  { key: 'visibleStallMs', better: 'lower', value: (m) => m.userWaitByBandMs?.visible ?? 0 },
  { key: 'perceptibleStallMs', better: 'lower', value: (m) => m.userWaitByBandMs?.perceptible ?? 0 },
  { key: 'refaultsAnon', better: 'lower', value: (m) => m.refaultsAnon },
  { key: 'refaultsFile', better: 'lower', value: (m) => m.refaultsFile },
  { key: 'zramCpuMs', better: 'lower', value: (m) => m.zramCpuMs },
  { key: 'reclaimedBytes', better: 'none', value: (m) => m.reclaimedBytes },
  { key: 'movedBytes', better: 'none', value: (m) => m.movedBytes },
];

export interface Spread {
  median: number;
  min: number;
  max: number;
}

export interface PolicySummary {
  policy: string;
  seeds: number[];
  metrics: Record<string, Spread>;
}

export interface ScenarioSummary {
  name: string;
  policies: PolicySummary[];
  /** Per ranked metric, the policies whose median is the best (more than one: a tie). */
  best: Record<string, string[]>;
}

export interface BenchReport {
  scenarios: ScenarioSummary[];
}

/** One finished run: which scenario, seed and policy, and its replay metrics. */
export interface BenchRun {
  scenario: string;
  policy: string;
  seed: number;
  metrics: ReplayMetrics;
}

/** The median (the mean of the middle two for an even count), min and max. */
export function spread(values: readonly number[]): Spread {
  if (values.length === 0) throw new Error('spread of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { median, min: sorted[0], max: sorted[sorted.length - 1] };
}

/** The policies with the best median for a metric; every one of them on a tie; none if unranked. */
export function bestPolicies(metric: BenchMetric, policies: readonly PolicySummary[]): string[] {
  if (metric.better === 'none' || policies.length === 0) return [];
  const best = Math.min(...policies.map((p) => p.metrics[metric.key].median));
  return policies.filter((p) => p.metrics[metric.key].median === best).map((p) => p.policy);
}

/**
 * Runs grouped by scenario (in `scenarios` order) and policy (in `policies` order), each
 * metric as its median and range over the seeds. A missing run is an error: a summary over
 * fewer seeds than the others would compare unlike things.
 */
export function aggregate(runs: readonly BenchRun[], scenarios: readonly string[], policies: readonly string[], seedCount: number): BenchReport {
  return {
    scenarios: scenarios.map((name) => {
      const summaries = policies.map((policy): PolicySummary => {
        const mine = runs.filter((r) => r.scenario === name && r.policy === policy).sort((a, b) => a.seed - b.seed);
        if (mine.length !== seedCount) throw new Error(`${name} under ${policy}: ${mine.length} runs for ${seedCount} seeds`);
        const metrics: Record<string, Spread> = {};
        for (const m of BENCH_METRICS) metrics[m.key] = spread(mine.map((r) => m.value(r.metrics)));
        return { policy, seeds: mine.map((r) => r.seed), metrics };
      });
      const best: Record<string, string[]> = {};
      for (const m of BENCH_METRICS) if (m.better !== 'none') best[m.key] = bestPolicies(m, summaries);
      return { name, policies: summaries, best };
    }),
  };
}

function number(key: string, v: number): string {
  if (key === 'reclaimedBytes' || key === 'movedBytes') return `${Math.round(v / 1048576)}MiB`;
  return String(Math.round(v * 10) / 10);
}

/**
 * `median` alone when every seed agreed (to the precision shown), else `median (min–max)`;
 * `*` best, `=` tied best.
 */
export function formatCell(key: string, s: Spread, mark: '' | '*' | '='): string {
  const [median, min, max] = [s.median, s.min, s.max].map((v) => number(key, v));
  const text = min === max ? median : `${median} (${min}–${max})`;
  return mark ? `${text} ${mark}` : text;
}

/** One scenario's table: a row per metric, a column per policy, and which way is better. */
export function formatScenarioTable(s: ScenarioSummary): string {
  const header = ['metric', 'better', ...s.policies.map((p) => p.policy)];
  const rows = BENCH_METRICS.map((m) => {
    const best = s.best[m.key] ?? [];
    const mark = (policy: string): '' | '*' | '=' => (!best.includes(policy) ? '' : best.length === 1 ? '*' : '=');
    return [m.key, m.better === 'lower' ? 'lower' : '—', ...s.policies.map((p) => formatCell(m.key, p.metrics[m.key], mark(p.policy)))];
  });
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => [...r[i]].length)));
  return all.map((r) => r.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd()).join('\n');
}

/**
 * Where the first policy (reclaim, by default) stands on user wait against the best of the
 * others — the number a user feels, said plainly whether it wins or loses.
 */
export function userWaitVerdict(s: ScenarioSummary): string {
  const [first, ...others] = s.policies;
  if (!first || others.length === 0) return '';
  const wait = (p: PolicySummary) => p.metrics.userWaitMs.median;
  const rival = others.reduce((a, b) => (wait(b) < wait(a) ? b : a));
  const ours = wait(first);
  const theirs = wait(rival);
  if (ours === theirs) return `user wait: ${first.policy} ties the best of the others (${rival.policy}) at ${number('userWaitMs', ours)} ms`;
  const pct = theirs === 0 ? '' : ` (${ours > theirs ? '+' : ''}${Math.round((100 * (ours - theirs)) / theirs)}%)`;
  const verb = ours > theirs ? 'loses to' : 'beats';
  return `user wait: ${first.policy} ${number('userWaitMs', ours)} ms ${verb} the best of the others, ${rival.policy} ${number('userWaitMs', theirs)} ms${pct}`;
}
