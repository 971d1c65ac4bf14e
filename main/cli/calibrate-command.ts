import { loadavg } from 'node:os';
import { loadScenario } from '../../scenario/load';
import type { Scenario } from '../../scenario/scenario';
import { METRIC_KEYS, type ReplayMetrics } from '../../host/sim/sim-metrics';
import { createBuiltinRegistry } from '../../policy-engine/policies/index';
import { intFlag, parseArgs, stringFlag, UsageError } from './args';
import { spread } from '../../runs/bench-aggregate';
import type { CommandIO } from './io';
import { acquireKernelLock } from './kernel-lock';
import { interruptFlag, openLabSession, playLabRun, type LabRunEntry } from './lab-session';

/** The bundled lab scenarios: a foreground allocation, many cached apps, a leak. */
export const CALIBRATION_SCENARIOS = ['lab-game-call', 'lab-cached-apps', 'lab-leak'];
const DEFAULT_POLICIES = ['reclaim', 'lmkd', 'none'];
/** Three runs show a spread (min–max around a median) at ~40 s per run and policy. */
const DEFAULT_RUNS = 3;
/** 20 runs × 3 scenarios × 3 policies × 40 s is over two hours: more is not a calibration. */
const MAX_RUNS = 20;
/** The simulator is calibrated when its prediction is within this factor of the lab's median. */
export const CALIBRATION_FACTOR = 2;
/** The metrics the calibration target names (issue 11): foreground stall and refaults. */
export const TARGET_METRICS = ['foregroundStallMs', 'refaultsAnon', 'refaultsFile'];

/** One metric of one scenario × policy: the prediction beside the spread of the lab runs. */
export interface CalibrationRow {
  metric: string;
  sim: number;
  labMedian: number;
  labMin: number;
  labMax: number;
  /** sim / lab median; 1 when both are 0; null when only the lab's is 0. */
  ratio: number | null;
  within: boolean;
  target: boolean;
}

/** What a run's lab (or the simulator) concluded: the outcome a reader compares policies by. */
export interface Verdict {
  kills: Record<string, number>;
  stateLoss: Record<string, number>;
  /** Policies from least to most user wait. */
  userWaitOrder: string[];
}

export interface CalibrationScenario {
  scenario: string;
  policies: { policy: string; rows: CalibrationRow[]; runs: LabRunEntry[] }[];
  labVerdicts: Verdict[];
  simVerdict: Verdict;
  /** Every run's lab reached the same verdict. */
  verdictStable: boolean;
  /** ...and it is the simulator's. */
  verdictMatchesSim: boolean;
}

export interface CalibrationReport {
  runs: number;
  timeScale: number;
  factor: number;
  /** 1/5/15-minute load averages at the start and end: the lab shares the CPUs. */
  loadAverage: { start: number[]; end: number[] };
  /** Stopped by Ctrl-C: what ran is reported, the rest is missing. */
  interrupted: boolean;
  scenarios: CalibrationScenario[];
}

/** Every metric as a number, nested ones as `parent.child`: no metric is named here but the targets. */
export function flattenMetrics(m: ReplayMetrics): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of METRIC_KEYS) {
    const v = m[k] as unknown;
    if (typeof v === 'number') out[k] = v;
    else if (v && typeof v === 'object') for (const [sub, x] of Object.entries(v)) if (typeof x === 'number') out[`${k}.${sub}`] = x;
  }
  return out;
}

export function calibrationRows(prediction: ReplayMetrics, lab: readonly ReplayMetrics[]): CalibrationRow[] {
  const sim = flattenMetrics(prediction);
  const labs = lab.map(flattenMetrics);
  // Only what both measure: the lab cannot split CPU by who or wait by band (those are null there).
  return Object.keys(sim).filter((metric) => labs.length > 0 && labs.every((l) => metric in l)).map((metric) => {
    const values = labs.map((l) => l[metric]);
    const { median: labMedian, min: labMin, max: labMax } = spread(values);
    const ratio = labMedian === 0 ? (sim[metric] === 0 ? 1 : null) : sim[metric] / labMedian;
    const within = ratio !== null && ratio <= CALIBRATION_FACTOR && ratio >= 1 / CALIBRATION_FACTOR;
    return { metric, sim: sim[metric], labMedian, labMin, labMax, ratio: ratio === null ? null : Math.round(ratio * 100) / 100, within, target: TARGET_METRICS.includes(metric) };
  });
}

export function verdictOf(byPolicy: ReadonlyMap<string, ReplayMetrics>): Verdict {
  const kills: Record<string, number> = {};
  const stateLoss: Record<string, number> = {};
  for (const [p, m] of byPolicy) {
    kills[p] = m.agentKills + m.oomKills;
    stateLoss[p] = m.stateLoss;
  }
  const userWaitOrder = [...byPolicy.keys()].sort((a, b) => byPolicy.get(a)!.userWaitMs - byPolicy.get(b)!.userWaitMs);
  return { kills, stateLoss, userWaitOrder };
}

const sameVerdict = (a: Verdict, b: Verdict) => JSON.stringify(a) === JSON.stringify(b);

/** `reclaimd calibrate`: each lab scenario `--runs` times per policy, beside the simulator. */
export async function calibrateCommand(argv: readonly string[], io: CommandIO): Promise<number> {
  const args = parseArgs(argv, {
    runs: { value: true, description: `runs per scenario and policy (default ${DEFAULT_RUNS}, at most ${MAX_RUNS})` },
    policies: { value: true, description: `comma-separated policies (default ${DEFAULT_POLICIES.join(',')})` },
    'time-scale': { value: true, description: 'run scenario time K times faster (default 1)' },
    json: { value: false, description: 'print one JSON object' },
  });
  if (process.platform !== 'linux' || process.getuid?.() !== 0) throw new UsageError('calibrate needs Linux and root (it creates memory cgroups and sets up zram swap)');
  const registry = createBuiltinRegistry();
  const runs = intFlag(args, 'runs', 1, MAX_RUNS) ?? DEFAULT_RUNS;
  const policies = [...new Set((stringFlag(args, 'policies') ?? DEFAULT_POLICIES.join(',')).split(',').map((s) => s.trim()).filter(Boolean))];
  if (policies.length === 0) throw new UsageError('--policies: expected at least one policy');
  for (const p of policies) registry.get(p);
  const scaleText = stringFlag(args, 'time-scale') ?? '1';
  const timeScale = Number(scaleText);
  if (!Number.isFinite(timeScale) || timeScale <= 0 || timeScale > 1000) throw new UsageError(`--time-scale: expected a number above 0, got "${scaleText}"`);
  // Every scenario is read and checked before the first run.
  const scenarios: Scenario[] = (args.positionals.length > 0 ? args.positionals : CALIBRATION_SCENARIOS).map((ref) => loadScenario(ref));
  const lockPath = process.env.RECLAIMD_KERNEL_LOCK;

  const interrupt = interruptFlag(io, 'calibrate');
  const report: CalibrationReport = { runs, timeScale, factor: CALIBRATION_FACTOR, loadAverage: { start: loadavg().map(round2), end: [] }, interrupted: false, scenarios: [] };
  try {
    for (const scenario of scenarios) {
      const entries = new Map<string, LabRunEntry[]>(policies.map((p) => [p, []]));
      // Run by run, each policy in turn: a slow minute of the machine falls on every policy alike.
      for (let r = 1; r <= runs && !interrupt.aborted(); r++) {
        for (const policy of policies) {
          if (interrupt.aborted()) break;
          if (lockPath) io.err(`reclaimd: calibrate waiting for ${lockPath}…`);
          const release = lockPath ? await acquireKernelLock(lockPath, interrupt.aborted) : async () => undefined;
          if (!release) break;
          try {
            io.err(`reclaimd: calibrate ${scenario.name} run ${r}/${runs} under ${policy} (${Math.round(scenario.durationMs / timeScale / 1000)} s, load ${loadavg()[0].toFixed(1)})…`);
            const session = openLabSession(scenario, [policy], io);
            try {
              const entry = await playLabRun(session, scenario, policy, { registry, timeScale, aborted: interrupt.aborted });
              // A run cut short by Ctrl-C measured part of the scenario: it is not a sample.
              if (!interrupt.aborted()) entries.get(policy)!.push(entry);
            } finally {
              session.close();
            }
          } finally {
            await release();
          }
        }
      }
      const complete = Math.min(...[...entries.values()].map((e) => e.length));
      if (complete === 0) break;
      const labVerdicts = Array.from({ length: complete }, (_, i) => verdictOf(new Map(policies.map((p) => [p, entries.get(p)![i].metrics]))));
      const simVerdict = verdictOf(new Map(policies.map((p) => [p, entries.get(p)![0].prediction.metrics])));
      report.scenarios.push({
        scenario: scenario.name,
        policies: policies.map((policy) => {
          const runsOf = entries.get(policy)!.slice(0, complete);
          return { policy, rows: calibrationRows(runsOf[0].prediction.metrics, runsOf.map((e) => e.metrics)), runs: runsOf };
        }),
        labVerdicts,
        simVerdict,
        verdictStable: labVerdicts.every((v) => sameVerdict(v, labVerdicts[0])),
        verdictMatchesSim: labVerdicts.every((v) => sameVerdict(v, simVerdict)),
      });
    }
  } finally {
    interrupt.off();
  }
  report.interrupted = interrupt.aborted();
  report.loadAverage.end = loadavg().map(round2);
  if (args.flags.has('json')) io.out(JSON.stringify(report));
  else io.out(formatCalibration(report));
  return report.interrupted ? 130 : 0;
}

const round2 = (x: number) => Math.round(x * 100) / 100;

function num(x: number, metric = ''): string {
  if (metric === 'reclaimedBytes') return `${Math.round(x / 1048576)}MiB`;
  return Number.isInteger(x) ? String(x) : x.toFixed(1);
}

function verdictText(v: Verdict): string {
  const per = Object.keys(v.kills).map((p) => `${p} ${v.kills[p]}k/${v.stateLoss[p]}s`);
  return `${per.join(', ')}; wait ${v.userWaitOrder.join(' < ')}`;
}

/** Per scenario: a row per policy × metric, the ones outside the factor marked. */
export function formatCalibration(report: CalibrationReport): string {
  const lines = [
    `calibrate: ${report.runs} run(s) per scenario and policy at ${report.timeScale}× speed; load average ${report.loadAverage.start.join(' ')} → ${report.loadAverage.end.join(' ')}`,
    `ratio = sim / lab median; "!" outside ${report.factor}×, "!!" on a target metric (${TARGET_METRICS.join(', ')})`,
  ];
  for (const s of report.scenarios) {
    lines.push('', `${s.scenario}`);
    const header = ['policy', 'metric', 'sim', 'lab median', 'lab min–max', 'ratio', ''];
    const rows = [header];
    for (const p of s.policies) {
      for (const r of p.rows) rows.push([p.policy, r.metric, num(r.sim, r.metric), num(r.labMedian, r.metric), `${num(r.labMin, r.metric)}–${num(r.labMax, r.metric)}`, r.ratio === null ? '∞' : r.ratio.toFixed(2), r.within ? '' : r.target ? '!!' : '!']);
    }
    const widths = header.map((_, i) => Math.max(...rows.map((r) => r[i].length)));
    for (const r of rows) lines.push(r.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd());
    lines.push(`verdict (kills k / state loss s; user wait order): sim: ${verdictText(s.simVerdict)}`);
    s.labVerdicts.forEach((v, i) => lines.push(`  lab run ${i + 1}: ${verdictText(v)}`));
    lines.push(`  the lab's verdict was ${s.verdictStable ? 'the same in every run' : 'NOT the same in every run'}; ${s.verdictMatchesSim ? 'it is the simulator\'s' : 'the simulator\'s differs'}`);
  }
  return lines.join('\n');
}
