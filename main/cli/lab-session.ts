import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { runLab, type LabRunResult } from '../../runs/lab/lab-run';
import { removeMemcg, removeStaleLabCgroups } from '../../runs/lab/memcg';
import { projectFile } from '../../runs/lab/project-file';
import { zramSwap } from '../../runs/lab/zram-swap';
import type { Scenario } from '../../scenario/scenario';
import { replay } from '../../runs/replay';
import type { ReplayMetrics } from '../../host/sim/sim-metrics';
import type { Decision } from '../../policy-engine/types';
import type { PolicyRegistry } from '../../policy-engine/registry';
import { UsageError } from './args';
import type { CommandIO } from './io';

export const LAB_PREFIX = 'reclaimd-lab';

/** One policy's lab run beside the simulator's prediction (the `runs` of `lab --json`). */
export interface LabRunEntry {
  policy: string;
  seed: number;
  metrics: ReplayMetrics;
  foregroundStall: LabRunResult['foregroundStall'];
  prediction: { metrics: ReplayMetrics };
}

/** The machine set up for one scenario's lab runs; close() puts it back (idempotent). */
export interface LabSession {
  workerBin: string;
  dataDir: string;
  close(): void;
}

/**
 * Remove what a killed lab left, compile the worker, size zram swap for the scenario's device.
 * close() — called by the caller, and on process exit whatever happens — removes the cgroups
 * of `policies`, restores swap and deletes the scratch folder.
 */
export function openLabSession(scenario: Scenario, policies: readonly string[], io: CommandIO): LabSession {
  for (const name of removeStaleLabCgroups(LAB_PREFIX)) io.err(`reclaimd: removed ${name}, left by a lab that died`);
  // Named after this process, so the test guards can tell its leftovers from another run's.
  const dataDir = mkdtempSync(join('/var/tmp', `reclaimd-lab-${process.pid}-`));
  const workerBin = join(dataDir, 'lab-worker');
  try {
    execFileSync('cc', ['-O2', '-o', workerBin, projectFile('runs/lab/lab-worker.c')], { stdio: 'pipe' });
  } catch (err) {
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  const restoreSwap = zramSwap(scenario.device.zram.sizeBytes, (note) => io.err(`reclaimd: ${note}`));
  if (typeof restoreSwap === 'string') {
    rmSync(dataDir, { recursive: true, force: true });
    throw new UsageError(restoreSwap);
  }
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    process.off('exit', close);
    for (const p of policies) removeMemcg(`/sys/fs/cgroup/memory/${LAB_PREFIX}-${process.pid}-${p}`);
    try {
      restoreSwap();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  };
  // Whatever ends this process, the machine goes back as it was.
  process.once('exit', close);
  return { workerBin, dataDir, close };
}

export interface LabPlayOptions {
  registry: PolicyRegistry;
  policyConfig?: unknown;
  timeScale: number;
  onDecision?: (d: Decision) => void;
  aborted: () => boolean;
}

/** One policy's run in an open session, and the simulator's prediction for the same scenario. */
export async function playLabRun(session: LabSession, scenario: Scenario, policy: string, o: LabPlayOptions): Promise<LabRunEntry> {
  const result = await runLab(scenario, { registry: o.registry, policy, policyConfig: o.policyConfig, timeScale: o.timeScale, workerBin: session.workerBin, dataDir: session.dataDir, cgroupPrefix: LAB_PREFIX, onDecision: o.onDecision, aborted: o.aborted });
  const prediction = replay(scenario, { registry: o.registry, policy, policyConfig: o.policyConfig }).metrics;
  return { policy, seed: scenario.seed, metrics: result.metrics, foregroundStall: result.foregroundStall, prediction: { metrics: prediction } };
}

/** SIGINT/SIGTERM set a flag the runs check between steps; off() removes the handlers. */
export function interruptFlag(io: CommandIO, what: string): { aborted: () => boolean; off: () => void } {
  let aborted = false;
  const onSignal = () => {
    aborted = true;
    io.err(`reclaimd: ${what} interrupted; cleaning up`);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    aborted: () => aborted,
    off: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
