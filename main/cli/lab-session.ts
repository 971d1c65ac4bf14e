import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { runLab, type LabRunResult } from '../../runs/lab/lab-run';
import { removeMemcg, removeStaleLabCgroups } from '../../runs/lab/memcg';
import { projectFile } from '../../runs/lab/project-file';
import { zramPresent, zramSwap } from '../../runs/lab/zram-swap';
import { recoverStaleZswap, zswapSwap } from '../../runs/lab/zswap-swap';
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

/** The lab's compressed tier: zram0 as swap, or zswap in front of a swap file it creates. */
export type LabSwap = 'zram' | 'zswap';

/**
 * Remove what a killed lab left, compile the worker, size zram swap for the scenario's device
 * (or zswap in front of a swap file of that size: `swap`, or where there is no zram).
 * close() — called by the caller, and on process exit whatever happens — removes the cgroups
 * of `policies`, restores swap and deletes the scratch folder.
 */
export function openLabSession(scenario: Scenario, policies: readonly string[], io: CommandIO, swap?: LabSwap): LabSession {
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
  // zswap where there is no zram (or when asked for), sized as zram would be: the device's zram size.
  const tier = swap ?? (zramPresent() ? 'zram' : 'zswap');
  const note = (n: string) => io.err(`reclaimd: ${n}`);
  // A zswap setup a killed lab left is put back whichever tier this one uses (zramSwap does the same for zram0).
  try {
    const repaired = recoverStaleZswap();
    if (repaired) note(repaired);
  } catch (err) {
    rmSync(dataDir, { recursive: true, force: true });
    throw new UsageError(`zswap was left changed by a lab that died, and cannot be restored: ${(err as Error).message}`);
  }
  if (tier === 'zswap' && swap === undefined) note('no zram on this machine: the lab uses zswap in front of a swap file instead');
  const restoreSwap = tier === 'zram' ? zramSwap(scenario.device.zram.sizeBytes, note) : zswapSwap(scenario.device.zram.sizeBytes, note);
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
