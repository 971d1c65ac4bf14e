import { readFileSync } from 'node:fs';
import { openDatabase } from '../../db/open';
import { RunRecorder } from '../../db/run-recorder';
import { scenarioHash } from '../../db/runs';
import { loadScenario } from '../../scenario/load';
import { METRIC_KEYS, type ReplayMetrics } from '../../host/sim/sim-metrics';
import { createBuiltinRegistry } from '../../policy-engine/policies/index';
import { parseArgs, stringFlag, UsageError } from './args';
import { paramsByPolicy, policiesFromArgs, POLICY_FLAGS } from './policy-args';
import type { CommandIO } from './io';
import { interruptFlag, openLabSession, playLabRun, type LabRunEntry } from './lab-session';

export interface LabReport {
  scenario: string;
  timeScale: number;
  runs: LabRunEntry[];
}

/** `reclaimd lab`: the scenario with real processes in a memcg the size of its device. */
export async function labCommand(argv: readonly string[], io: CommandIO): Promise<number> {
  const args = parseArgs(argv, {
    ...POLICY_FLAGS,
    'time-scale': { value: true, description: 'run scenario time K times faster (default 1)' },
    db: { value: true, description: 'store the runs and their decisions' },
    json: { value: false, description: 'print one JSON object' },
    swap: { value: true, description: 'compressed tier: zram (default where the machine has it) or zswap (in front of a swap file the lab creates)' },
  });
  if (args.positionals.length !== 1) throw new UsageError('lab needs exactly one scenario');
  if (process.platform !== 'linux' || process.getuid?.() !== 0) throw new UsageError('lab needs Linux and root (it creates a memory cgroup and sets up zram or zswap swap)');
  const registry = createBuiltinRegistry();
  const policies = policiesFromArgs(args, registry);
  const params = paramsByPolicy(args);
  const scaleText = stringFlag(args, 'time-scale') ?? '1';
  const timeScale = Number(scaleText);
  if (!Number.isFinite(timeScale) || timeScale <= 0 || timeScale > 1000) throw new UsageError(`--time-scale: expected a number above 0, got "${scaleText}"`);
  const swap = stringFlag(args, 'swap');
  if (swap !== undefined && swap !== 'zram' && swap !== 'zswap') throw new UsageError(`--swap: expected zram or zswap, got "${swap}"`);
  const scenario = loadScenario(args.positionals[0]);

  const session = openLabSession(scenario, policies, io, swap);
  const interrupt = interruptFlag(io, 'lab');
  const db = stringFlag(args, 'db') ? openDatabase(stringFlag(args, 'db')!) : null;
  const hash = db ? scenarioHash(readFileSync(scenario.sourcePath ?? args.positionals[0], 'utf8')) : '';
  const report: LabReport = { scenario: scenario.name, timeScale, runs: [] };
  try {
    for (const policy of policies) {
      if (interrupt.aborted()) break;
      io.err(`reclaimd: lab ${scenario.name} under ${policy} (${Math.round(scenario.durationMs / timeScale / 1000)} s)…`);
      const recorder = db ? new RunRecorder(db, { scenario: scenario.name, scenarioHash: hash, policy, params: params[policy] ?? {}, seed: scenario.seed, host: 'lab' }, Date.now(), false) : null;
      const entry = await playLabRun(session, scenario, policy, { registry, policyConfig: params[policy], timeScale, onDecision: recorder?.onDecision, aborted: interrupt.aborted });
      const stored = recorder?.finish({ ...entry.metrics });
      if (stored?.notStored) io.err(`reclaimd: lab run ${policy} not stored: ${stored.notStored}`);
      report.runs.push(entry);
    }
  } finally {
    db?.close();
    interrupt.off();
    session.close();
  }
  if (args.flags.has('json')) io.out(JSON.stringify(report));
  else io.out(formatLab(report));
  return interrupt.aborted() ? 130 : 0;
}

function value(m: ReplayMetrics, k: keyof ReplayMetrics): string {
  const v = m[k];
  if (typeof v === 'number') return k === 'reclaimedBytes' || k === 'movedBytes' ? `${Math.round(v / 1048576)}MiB` : String(v);
  if (k === 'userWaitByBandMs') return m.userWaitByBandMs === null ? '-' : Object.values(m.userWaitByBandMs).join('/');
  if (k === 'cpuMsBy') return m.cpuMsBy === null ? '-' : `${m.cpuMsBy.agent}/${m.cpuMsBy.kswapd}/${m.cpuMsBy.apps}`;
  if (k === 'timeAtLevelMs') return `${m.timeAtLevelMs.low}/${m.timeAtLevelMs.medium}/${m.timeAtLevelMs.critical}`;
  return `${m.decisionLatencyUs.p50}/${m.decisionLatencyUs.p99}`;
}

/** Lab and simulator side by side, per policy. */
export function formatLab(report: LabReport): string {
  const header = ['metric', ...report.runs.flatMap((r) => [`${r.policy} lab`, `${r.policy} sim`])];
  const rows = [header, ...METRIC_KEYS.map((k) => [k, ...report.runs.flatMap((r) => [value(r.metrics, k), value(r.prediction.metrics, k)])])];
  rows.push(['stall p50/p99 ms', ...report.runs.flatMap((r) => [`${r.foregroundStall.p50Ms}/${r.foregroundStall.p99Ms}`, '-'])]);
  const widths = header.map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return [`lab ${report.scenario} at ${report.timeScale}× speed`, ...rows.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  '))].join('\n');
}
