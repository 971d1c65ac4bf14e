// `reclaimd bench`: the agreed-upon benchmark. Every scenario × seed × policy is one replay,
// run exactly as `reclaimd replay --seed S --policy P` runs it, on the daemon's replay worker
// threads (one per core here), and summarised as median and min–max per metric.
import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { bundledScenarioFiles, loadScenario } from '../../scenario/load';
import type { Scenario } from '../../scenario/scenario';
import { createBuiltinRegistry } from '../../policy-engine/policies/index';
import type { PolicyRegistry } from '../../policy-engine/registry';
import { ReplayRunner } from '../../runs/replay-pool';
import { aggregate, formatScenarioTable, userWaitVerdict, type BenchRun } from '../../runs/bench-aggregate';
import { intFlag, parseArgs, stringFlag, UsageError } from './args';
import type { CommandIO } from './io';
import { paramsByPolicy, POLICY_FLAGS } from './policy-args';

/** The policies compared by default, those of them this build registers (android may be missing). */
export const DEFAULT_BENCH_POLICIES = ['reclaim', 'android', 'lmkd', 'none', 'proactive'];
/** Seeds per scenario and policy by default: enough for a median and a range, under a minute here. */
const DEFAULT_SEEDS = 5;
/** At most this many seeds: 100 × 8 scenarios × 5 policies is already ~15 min on 2 cores. */
const MAX_SEEDS = 100;
/** At most this many threads: beyond the cores they only queue for the CPU. */
const MAX_JOBS = 64;

/**
 * What a seed changes, found by reading the simulator: a scenario's timeline and sizes are
 * fixed, and the only randomness is the rounding of background apps' page touches per tick
 * (SimHost.touch). So the min–max is how much the outcome moves with that noise, not with
 * different workloads; a scenario with no background refaults gives the same run every seed.
 */
export const SEED_NOTE =
  'seeds vary only the random rounding of background apps\' page touches (the timeline is fixed), so a min–max range is that noise alone; one value means every seed agreed';

export const BENCH_FLAGS = {
  scenarios: { value: true, description: 'run every .json scenario file in this folder' },
  seeds: { value: true, description: `seeds per scenario and policy: the scenario's seed and the next ones (default ${DEFAULT_SEEDS})` },
  policies: { value: true, description: `comma-separated policies (default: those registered of ${DEFAULT_BENCH_POLICIES.join(', ')})` },
  params: POLICY_FLAGS.params,
  jobs: { value: true, description: 'worker threads (default: one per core)' },
  json: { value: false, description: 'print one JSON object' },
};

interface BenchScenario {
  scenario: Scenario;
  file: string;
  text: string;
}

export async function benchCommand(argv: readonly string[], io: CommandIO, registry: PolicyRegistry = createBuiltinRegistry()): Promise<number> {
  const args = parseArgs(argv, BENCH_FLAGS);
  const seedCount = intFlag(args, 'seeds', 1, MAX_SEEDS) ?? DEFAULT_SEEDS;
  const threads = intFlag(args, 'jobs', 1, MAX_JOBS) ?? availableParallelism();
  const policies = benchPolicies(stringFlag(args, 'policies'), registry, io);
  const params = paramsByPolicy(args);
  // Bad parameters fail here, naming the parameter, before any thread starts.
  for (const p of policies) registry.create(p, params[p]);
  const scenarios = benchScenarios(args.positionals, stringFlag(args, 'scenarios'));

  const jobs = scenarios.flatMap((s) =>
    seedsOf(s.scenario, seedCount).flatMap((seed) => policies.map((policy) => ({ s, seed, policy }))),
  );
  const started = performance.now();
  io.err(`bench: ${scenarios.length} scenarios × ${seedCount} seeds × ${policies.length} policies = ${jobs.length} replays on ${threads} threads`);
  const runner = new ReplayRunner(threads);
  let done = 0;
  const runs = await inParallel(jobs, threads, async ({ s, seed, policy }): Promise<BenchRun> => {
    const t0 = performance.now();
    let report;
    try {
      report = await runner.run({ text: s.text, policies: [policy], seed, params, dbPath: null });
    } catch (err) {
      throw new Error(`${s.file} seed ${seed} under ${policy}: ${(err as Error).message}`);
    }
    done++;
    io.err(`bench: [${done}/${jobs.length}] ${s.scenario.name} seed ${seed} ${policy} ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    return { scenario: s.scenario.name, policy, seed, metrics: report.runs[0].metrics };
  });
  io.err(`bench: done in ${((performance.now() - started) / 1000).toFixed(1)} s`);

  const report = aggregate(runs, scenarios.map((s) => s.scenario.name), policies, seedCount);
  if (args.flags.has('json')) {
    io.out(JSON.stringify(report));
    return 0;
  }
  io.out(`reclaimd bench: median (min–max) over ${seedCount} seeds per scenario and policy; * best median, = tied best; "better" says which way`);
  io.out(SEED_NOTE);
  report.scenarios.forEach((summary, i) => {
    const { scenario } = scenarios[i];
    const seeds = summary.policies[0]?.seeds ?? [];
    io.out('');
    io.out(`${summary.name} on ${scenario.device.name}, ${Math.round(scenario.durationMs / 1000)} s, seeds ${seeds.join(', ')}`);
    io.out(formatScenarioTable(summary));
    const verdict = userWaitVerdict(summary);
    if (verdict) io.out(verdict);
  });
  return 0;
}

/** The scenario's own seed first (so seed one is the plain `replay`), then the next ones. */
function seedsOf(scenario: Scenario, count: number): number[] {
  return Array.from({ length: count }, (_, i) => (scenario.seed + i) >>> 0);
}

/** Named policies must all exist; by default the registered ones, a missing one noted. */
function benchPolicies(flag: string | undefined, registry: PolicyRegistry, io: CommandIO): string[] {
  if (flag !== undefined) {
    const named = [...new Set(flag.split(',').map((p) => p.trim()).filter(Boolean))];
    if (named.length === 0) throw new UsageError('--policies: expected comma-separated policy names');
    for (const p of named) registry.get(p);
    return named;
  }
  const missing = DEFAULT_BENCH_POLICIES.filter((p) => !registry.has(p));
  if (missing.length) io.err(`bench: skipping ${missing.join(', ')}: not registered in this build (known: ${registry.names().join(', ')})`);
  return DEFAULT_BENCH_POLICIES.filter((p) => registry.has(p));
}

/** Named scenarios, then a folder's, else every bundled one; all validated before any run. */
function benchScenarios(refs: readonly string[], dir: string | undefined): BenchScenario[] {
  const files = [...refs, ...(dir === undefined ? [] : folderFiles(dir))];
  const loaded = (files.length ? files : bundledScenarioFiles()).map((ref): BenchScenario => {
    const scenario = loadScenario(ref);
    return { scenario, file: ref, text: readFileSync(scenario.sourcePath ?? ref, 'utf8') };
  });
  const byName = new Map<string, string>();
  for (const { scenario, file } of loaded) {
    const other = byName.get(scenario.name);
    if (other !== undefined) throw new UsageError(`two scenarios are named "${scenario.name}" (${other}, ${file}); the table would mix them — rename one`);
    byName.set(scenario.name, file);
  }
  return loaded;
}

function folderFiles(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(`--scenarios ${dir}: cannot read the folder: ${code === 'ENOENT' ? 'no such folder' : code === 'ENOTDIR' ? 'not a folder' : (err as Error).message}`);
  }
  const files = names.filter((n) => n.endsWith('.json')).sort().map((n) => join(dir, n));
  if (files.length === 0) throw new UsageError(`--scenarios ${dir}: no .json scenario files in the folder`);
  return files;
}

/** `fn` over every item, at most `limit` at once; results in the items' order; the first failure rejects. */
async function inParallel<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  let failed = false;
  const lane = async () => {
    while (next < items.length && !failed) {
      const i = next++;
      try {
        results[i] = await fn(items[i]);
      } catch (err) {
        failed = true; // the other lanes finish their current run and start no more
        throw err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
}
