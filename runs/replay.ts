import { interval } from 'rxjs';
import { createEngine, type EngineStats } from '../policy-engine/engine';
import type { PolicyRegistry } from '../policy-engine/registry';
import type { Decision } from '../policy-engine/types';
import type { Scenario } from '../scenario/scenario';
import { SimHost, type SimEvent, type SimHostOptions } from '../host/sim/sim-host';
import type { ReplayMetrics } from '../host/sim/sim-metrics';
import { VirtualClockScheduler } from '../host/sim/virtual-scheduler';

export interface ReplayOptions {
  registry: PolicyRegistry;
  policy: string;
  /** Validated against the policy's parameter specs. */
  policyConfig?: unknown;
  /** Overrides the scenario's seed. */
  seed?: number;
  /** Wall clock for decision latency (performance.now); latency is reported as 0 without it. */
  wallClock?: () => number;
  /** Called with each decision as it is made (e.g. to log it). */
  onDecision?: (d: Decision) => void;
  /** Keep every decision in the result (tests, UI); off for large benchmarks. */
  keepDecisions?: boolean;
  /** Stop after this much scenario time, even if the scenario is longer. */
  maxDurationMs?: number;
  sim?: SimHostOptions;
  /** Called every `sampleEveryMs` of scenario time with the device (timelines for charts). */
  onSample?: (host: SimHost) => void;
  sampleEveryMs?: number;
}

export interface ReplayResult {
  scenario: string;
  policy: string;
  seed: number;
  metrics: ReplayMetrics;
  decisions: Decision[];
  events: SimEvent[];
  engine: EngineStats;
  /** Invariant violations found at the end (empty when the model stayed consistent). */
  violations: string[];
}

/** Play a scenario through one policy on the simulated device, in virtual time. */
export function replay(scenario: Scenario, options: ReplayOptions): ReplayResult {
  const seeded = options.seed === undefined ? scenario : { ...scenario, seed: options.seed };
  const policy = options.registry.create(options.policy, options.policyConfig);
  const scheduler = new VirtualClockScheduler();
  const host = new SimHost(seeded, scheduler, options.sim);
  const engine = createEngine({ host, policy, scheduler, wallClock: options.wallClock });
  const decisions: Decision[] = [];
  let failure: unknown = null;
  const subscription = engine.decisions$.subscribe({
    next: (d) => {
      if (options.keepDecisions) decisions.push(d);
      options.onDecision?.(d);
    },
    error: (err: unknown) => (failure = err),
  });
  host.start();
  const sampling = options.onSample ? interval(options.sampleEveryMs ?? 1000, scheduler).subscribe(() => options.onSample!(host)) : null;
  const end = Math.min(seeded.durationMs, options.maxDurationMs ?? Infinity);
  scheduler.runUntil(end);
  sampling?.unsubscribe();
  host.stop();
  // Let reclaims still in flight at the end finish, so every planned action has an outcome.
  scheduler.runUntil(end + 60_000);
  subscription.unsubscribe();
  if (failure) throw failure;

  return {
    scenario: seeded.name,
    policy: policy.name,
    seed: seeded.seed,
    metrics: { ...host.metrics(), decisions: engine.stats.decisions, decisionLatencyUs: percentiles(engine.stats.latenciesUs) },
    decisions,
    events: host.events,
    engine: engine.stats,
    violations: host.invariantViolations(),
  };
}

export function percentiles(values: readonly number[]): { p50: number; p99: number } {
  if (values.length === 0) return { p50: 0, p99: 0 };
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { p50: at(0.5), p99: at(0.99) };
}
