import { createBuiltinRegistry } from '../../policy-engine/policies/index';
import type { PolicyRegistry } from '../../policy-engine/registry';
import { loadScenario } from '../../scenario/load';
import { runAndRecord } from '../../runs/record-run';
import type { ReplayResult } from '../../runs/replay';
import { verdict } from '../../runs/verdict';
import { METRIC_KEYS, type ReplayMetrics } from '../../host/sim/sim-metrics';
import { readFileSync } from 'node:fs';
import { DatabaseError } from '../../db/errors';
import { openDatabase, type Db } from '../../db/open';
import { intFlag, parseArgs, stringFlag, UsageError, type FlagSpec } from './args';
import { paramsByPolicy, policiesFromArgs, POLICY_FLAGS } from './policy-args';
import type { CommandIO } from './io';
import { termSafe } from './terminal-text';
import { RECORDED_METRIC_KEYS, type RecordedOutcome } from '../../common/recorded';

export const REPLAY_FLAGS: Record<string, FlagSpec> = {
  ...POLICY_FLAGS,
  seed: { value: true, description: "override the scenario's seed" },
  json: { value: false, description: 'print one JSON object' },
  db: { value: true, description: 'store the runs and every decision in this SQLite file' },
};

export interface ReplayReport {
  scenario: string;
  runs: { policy: string; seed: number; metrics: ReplayMetrics; runId?: number | null; notStored?: string | null; reused?: boolean }[];
  /** What really happened, for a scenario exported from a recording: the "recorded" column. */
  recorded?: RecordedOutcome;
}

/**
 * Exit code of `replay --db` when the replay ran but not every run and decision was stored
 * (a full, read-only or damaged log): the report is printed, and scripts can tell it from
 * success (0), bad input (2) and internal errors (1).
 */
export const EXIT_NOT_STORED = 3;

export function replayCommand(argv: readonly string[], io: CommandIO, registry: PolicyRegistry = createBuiltinRegistry()): number {
  const args = parseArgs(argv, REPLAY_FLAGS);
  if (args.positionals.length !== 1) throw new UsageError('replay needs exactly one scenario (a file or a bundled name)');
  const policies = policiesFromArgs(args, registry);
  const seed = intFlag(args, 'seed', 0, 0xffffffff);
  const params = paramsByPolicy(args);

  const scenario = loadScenario(args.positionals[0]);
  const dbFile = stringFlag(args, 'db');
  const opened = dbFile === undefined ? null : openLogOrWarn(dbFile, io);
  const db = typeof opened === 'string' ? null : opened;
  const text = db ? readFileSync(scenario.sourcePath ?? args.positionals[0], 'utf8') : '';
  let results: ReplayResult[];
  const stored: { runId: number | null; notStored: string | null; reused: boolean }[] = [];
  try {
    results = policies.map((policy) => {
      const { result, stored: rec } = runAndRecord(scenario, { registry, policy, params, seed, db, scenarioText: text });
      if (rec) {
        // The same run again (inputs and outcome) is named, not stored twice, as on the Replay page.
        stored.push({ runId: rec.runId, notStored: rec.notStored, reused: rec.reused ?? false });
        if (rec.notStored) io.err(`reclaimd: run ${policy} not stored (none of its ${result.metrics.decisions} decisions): ${rec.notStored}`);
        if (rec.reused) io.err(`reclaimd: run ${policy} is already stored as #${rec.runId} (same scenario, policy, parameters, seed and result): not stored again`);
      }
      return result;
    });
  } finally {
    db?.close();
  }
  const report: ReplayReport = {
    scenario: scenario.name,
    runs: results.map((r, i) => ({
      policy: r.policy,
      seed: r.seed,
      metrics: r.metrics,
      ...(dbFile === undefined ? {} : { runId: stored[i]?.runId ?? null, notStored: db ? (stored[i]?.notStored ?? null) : (opened as string), reused: stored[i]?.reused ?? false }),
    })),
    ...(scenario.recorded ? { recorded: scenario.recorded } : {}),
  };
  const code = report.runs.some((r) => r.notStored) ? EXIT_NOT_STORED : 0;
  if (args.flags.has('json')) {
    io.out(JSON.stringify(report));
    return code;
  }
  io.out(`scenario ${termSafe(scenario.name)} on ${termSafe(scenario.device.name)}, ${Math.round(scenario.durationMs / 1000)} s, seed ${results[0].seed}`);
  if (scenario.recorded) io.out(termSafe(`recorded: the live agent ran ${scenario.recorded.policy}${scenario.recorded.dryRun ? ' as a dry run' : ''}; "-" where a recording has no such metric`));
  io.out(formatMetricsTable(report));
  io.out(verdict(report));
  return code;
}

/** The replay still runs when the disk refuses the log (returns why); a damaged or newer file is an error. */
function openLogOrWarn(file: string, io: CommandIO): Db | string {
  try {
    return openDatabase(file);
  } catch (err) {
    if (err instanceof DatabaseError && err.kind === 'storage') {
      io.err(`reclaimd: decision log disabled: ${termSafe(err.message)}`);
      return err.message;
    }
    throw err;
  }
}

function cell(metrics: ReplayMetrics, key: keyof ReplayMetrics): string {
  const v = metrics[key];
  if (key === 'timeAtLevelMs') {
    const t = v as ReplayMetrics['timeAtLevelMs'];
    return `${t.low}/${t.medium}/${t.critical}`;
  }
  if (key === 'userWaitByBandMs') {
    const b = v as ReplayMetrics['userWaitByBandMs'];
    return b === null ? '-' : `${b.foreground}/${b.visible}/${b.perceptible}/${b.coldStart}/${b.warmResume}`;
  }
  if (key === 'cpuMsBy') {
    const c = v as ReplayMetrics['cpuMsBy'];
    return c === null ? '-' : `${c.agent}/${c.kswapd}/${c.apps}`;
  }
  if (key === 'decisionLatencyUs') {
    const l = v as ReplayMetrics['decisionLatencyUs'];
    return `${l.p50}/${l.p99}`;
  }
  if (key === 'reclaimedBytes' || key === 'movedBytes') return `${((v as number) / 1024 / 1024).toFixed(0)}MiB`;
  return String(v);
}

export function formatMetricsTable(report: ReplayReport): string {
  const label = (k: string) => (k === 'timeAtLevelMs' ? 'timeAtLevelMs (l/m/c)' : k === 'decisionLatencyUs' ? 'decisionLatencyUs (p50/p99)' : k === 'cpuMsBy' ? 'cpuMsBy (agent/kswapd/apps)' : k === 'userWaitByBandMs' ? 'userWaitByBandMs (fg/vis/perc/cold/warm)' : k);
  const recorded = report.recorded;
  // The recorded column has only the metrics a recording measures (common/recorded.ts); "-" for the rest.
  const recordedCell = (k: keyof ReplayMetrics) => (recorded && (RECORDED_METRIC_KEYS as readonly string[]).includes(k) ? cell(recorded as unknown as ReplayMetrics, k) : '-');
  const rows = [
    ['metric', ...report.runs.map((r) => r.policy), ...(recorded ? ['recorded'] : [])],
    ...METRIC_KEYS.map((k) => [label(k), ...report.runs.map((r) => cell(r.metrics, k)), ...(recorded ? [recordedCell(k)] : [])]),
  ];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ')).join('\n');
}

