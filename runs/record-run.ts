import { performance } from 'node:perf_hooks';
import type { Db } from '../db/open';
import { RunRecorder, type RecordedRun } from '../db/run-recorder';
import { scenarioHash } from '../db/runs';
import type { SimHost } from '../host/sim/sim-host';
import type { PolicyRegistry } from '../policy-engine/registry';
import type { Scenario } from '../scenario/scenario';
import { replay, type ReplayResult } from './replay';

export interface RecordRunOptions {
  registry: PolicyRegistry;
  policy: string;
  /** Every policy's parameters, by name; this run takes its policy's. */
  params: Record<string, unknown>;
  /** Overrides the scenario's seed. */
  seed?: number;
  /** Where the run and each decision are stored, or null for none. */
  db: Db | null;
  /** The scenario file's text: the stored run names its hash. */
  scenarioText: string;
  onSample?: (host: SimHost) => void;
  sampleEveryMs?: number;
}

/**
 * Replay one policy on a scenario and store the run with every decision: the one way the
 * CLI (`reclaimd replay --db`) and the daemon (the Replay page) run and record. The same run
 * again (inputs and outcome) is not stored twice: `stored.reused` names the stored one.
 */
export function runAndRecord(scenario: Scenario, o: RecordRunOptions): { result: ReplayResult; stored: RecordedRun | null } {
  const recorder = o.db
    ? new RunRecorder(o.db, { scenario: scenario.name, scenarioHash: scenarioHash(o.scenarioText), policy: o.policy, params: o.params[o.policy] ?? {}, seed: o.seed ?? scenario.seed, host: 'sim' })
    : null;
  const result = replay(scenario, {
    registry: o.registry,
    policy: o.policy,
    policyConfig: o.params[o.policy],
    seed: o.seed,
    wallClock: () => performance.now(),
    onDecision: recorder?.onDecision,
    onSample: o.onSample,
    sampleEveryMs: o.sampleEveryMs,
  });
  return { result, stored: recorder?.finishUnlessStored({ ...result.metrics }) ?? null };
}
