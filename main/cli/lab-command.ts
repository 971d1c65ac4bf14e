import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { openDatabase } from '../../db/open';
import { RunRecorder } from '../../db/run-recorder';
import { scenarioHash } from '../../db/runs';
import { runLab, type LabRunResult } from '../../host/lab/lab-run';
import { removeMemcg, removeStaleLabCgroups } from '../../host/lab/memcg';
import { projectFile } from '../../host/lab/project-file';
import { zramSwap } from '../../host/lab/zram-swap';
import { loadScenario } from '../../host/scenario/load';
import { replay } from '../../host/sim/replay';
import { METRIC_KEYS, type ReplayMetrics } from '../../host/sim/sim-metrics';
import { createBuiltinRegistry } from '../../policy-engine/policies/index';
import { parseArgs, stringFlag, UsageError } from './args';
import { paramsByPolicy, policiesFromArgs, POLICY_FLAGS } from './policy-args';
import type { CommandIO } from './io';

export const LAB_PREFIX = 'reclaimd-lab';

export interface LabReport {
  scenario: string;
  timeScale: number;
  runs: { policy: string; seed: number; metrics: ReplayMetrics; foregroundStall: LabRunResult['foregroundStall']; prediction: { metrics: ReplayMetrics } }[];
}

/** `reclaimd lab`: the scenario with real processes in a memcg the size of its device. */
export async function labCommand(argv: readonly string[], io: CommandIO): Promise<number> {
  const args = parseArgs(argv, {
    ...POLICY_FLAGS,
    'time-scale': { value: true, description: 'run scenario time K times faster (default 1)' },
    db: { value: true, description: 'store the runs and their decisions' },
    json: { value: false, description: 'print one JSON object' },
  });
  if (args.positionals.length !== 1) throw new UsageError('lab needs exactly one scenario');
  if (process.platform !== 'linux' || process.getuid?.() !== 0) throw new UsageError('lab needs Linux and root (it creates a memory cgroup and sets up zram swap)');
  const registry = createBuiltinRegistry();
  const policies = policiesFromArgs(args, registry);
  const params = paramsByPolicy(args);
  const scaleText = stringFlag(args, 'time-scale') ?? '1';
  const timeScale = Number(scaleText);
  if (!Number.isFinite(timeScale) || timeScale <= 0 || timeScale > 1000) throw new UsageError(`--time-scale: expected a number above 0, got "${scaleText}"`);
  const scenario = loadScenario(args.positionals[0]);

  for (const name of removeStaleLabCgroups(LAB_PREFIX)) io.err(`reclaimd: removed ${name}, left by a lab that died`);
  const dir = mkdtempSync(join('/var/tmp', `reclaimd-lab-${process.pid}-`));
  const workerBin = join(dir, 'lab-worker');
  execFileSync('cc', ['-O2', '-o', workerBin, projectFile('host/lab/lab-worker.c')], { stdio: 'pipe' });
  const restoreSwap = zramSwap(scenario.device.zram.sizeBytes, (note) => io.err(`reclaimd: ${note}`));
  if (typeof restoreSwap === 'string') {
    rmSync(dir, { recursive: true, force: true });
    throw new UsageError(restoreSwap);
  }
  // Whatever ends this process, the machine goes back as it was.
  let cleaned = false;
  const cleanup = () => {
    if (cleaned) return;
    cleaned = true;
    for (const p of policies) removeMemcg(`/sys/fs/cgroup/memory/${LAB_PREFIX}-${process.pid}-${p}`);
    try {
      restoreSwap();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  let aborted = false;
  const onSignal = () => {
    aborted = true;
    io.err('reclaimd: lab interrupted; cleaning up');
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  process.once('exit', cleanup);

  const db = stringFlag(args, 'db') ? openDatabase(stringFlag(args, 'db')!) : null;
  const hash = db ? scenarioHash(readFileSync(scenario.sourcePath ?? args.positionals[0], 'utf8')) : '';
  const report: LabReport = { scenario: scenario.name, timeScale, runs: [] };
  try {
    for (const policy of policies) {
      if (aborted) break;
      io.err(`reclaimd: lab ${scenario.name} under ${policy} (${Math.round(scenario.durationMs / timeScale / 1000)} s)…`);
      const recorder = db ? new RunRecorder(db, { scenario: scenario.name, scenarioHash: hash, policy, params: params[policy] ?? {}, seed: scenario.seed, host: 'lab' }, Date.now(), false) : null;
      const result = await runLab(scenario, { registry, policy, policyConfig: params[policy], timeScale, workerBin, dataDir: dir, cgroupPrefix: LAB_PREFIX, onDecision: recorder?.onDecision, aborted: () => aborted });
      const stored = recorder?.finish({ ...result.metrics });
      if (stored?.notStored) io.err(`reclaimd: lab run ${policy} not stored: ${stored.notStored}`);
      const prediction = replay(scenario, { registry, policy, policyConfig: params[policy] }).metrics;
      report.runs.push({ policy, seed: scenario.seed, metrics: result.metrics, foregroundStall: result.foregroundStall, prediction: { metrics: prediction } });
    }
  } finally {
    db?.close();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    cleanup();
  }
  if (args.flags.has('json')) io.out(JSON.stringify(report));
  else io.out(formatLab(report));
  return aborted ? 130 : 0;
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
