import { readFileSync } from 'node:fs';
import { bundledScenarioFiles } from '../scenario/load';
import { ScenarioError } from '../scenario/scenario';
import { validateScenario } from '../scenario/validate';
import { Rng } from '../common/rng';
import { replay } from '../runs/replay';
import { registry } from './helpers/replay';
import { rawScenario } from './helpers/scenarios';

const ITERATIONS = 1200;
const POLICIES = ['reclaim', 'android', 'lmkd', 'proactive', 'none'];

/** Values that tend to break parsers and models: wrong types, extremes, near-misses. */
function nasty(rng: Rng): unknown {
  return rng.pick<() => unknown>([
    () => null,
    () => -1,
    () => 0,
    () => 1e308,
    () => Number.MAX_SAFE_INTEGER,
    () => rng.next(),
    () => '',
    () => '12 parsecs',
    () => '900TiB',
    () => `${rng.int(0, 5000)}MiB`,
    () => `${rng.int(0, 600)}s`,
    () => '1m1',
    () => 'phone-4g',
    () => ['a'],
    () => ({}),
    () => true,
    () => '\u0000',
    () => 'x'.repeat(300),
  ])();
}

function mutate(value: unknown, rng: Rng, depth = 0): unknown {
  if (Array.isArray(value)) {
    const copy = value.map((v) => (rng.next() < 0.15 ? mutate(v, rng, depth + 1) : v));
    const r = rng.next();
    if (r < 0.1 && copy.length > 0) copy.splice(rng.int(0, copy.length - 1), 1);
    else if (r < 0.2 && copy.length > 0) copy.push(copy[rng.int(0, copy.length - 1)]);
    else if (r < 0.25) copy.push(nasty(rng));
    return copy;
  }
  if (value !== null && typeof value === 'object') {
    const copy: Record<string, unknown> = { ...(value as Record<string, unknown>) };
    const keys = Object.keys(copy);
    const mutations = 1 + (depth === 0 ? rng.int(0, 3) : 0);
    for (let i = 0; i < mutations && keys.length > 0; i++) {
      const key = rng.pick(keys);
      const r = rng.next();
      if (r < 0.15) delete copy[key];
      else if (r < 0.55) copy[key] = mutate(copy[key], rng, depth + 1);
      else copy[key] = nasty(rng);
    }
    return copy;
  }
  return rng.next() < 0.5 ? nasty(rng) : value;
}

describe('fuzz: mutated scenarios through validation and simulation', () => {
  it(`handles ${ITERATIONS} mutated scenarios with clean errors, no crash and no hang`, () => {
    const seeds = [rawScenario(), ...bundledScenarioFiles().map((f) => JSON.parse(readFileSync(f, 'utf8')))];
    const rng = new Rng(20261123);
    let valid = 0;
    let rejected = 0;
    for (let i = 0; i < ITERATIONS; i++) {
      const input = mutate(seeds[i % seeds.length], rng);
      let scenario;
      try {
        scenario = validateScenario(input, `mutant ${i}`);
      } catch (err) {
        if (!(err instanceof ScenarioError)) throw new Error(`mutant ${i}: validation threw ${String(err)}: ${JSON.stringify(input).slice(0, 300)}`);
        expect(err.issues.length).toBeGreaterThan(0);
        for (const issue of err.issues) expect(issue.path).toMatch(/^(\(root\)|[A-Za-z_$])/);
        rejected++;
        continue;
      }
      valid++;
      // Simulate a bounded slice: a mutant may legitimately ask for a week.
      const result = replay(scenario, { registry, policy: POLICIES[i % POLICIES.length], maxDurationMs: 30_000, sim: { checkInvariants: true } });
      expect(result.violations).toEqual([]);
      for (const v of Object.values(result.metrics)) {
        if (typeof v === 'number') expect(v).toBeGreaterThanOrEqual(0);
      }
    }
    expect(valid).toBeGreaterThan(100);
    expect(rejected).toBeGreaterThan(100);
  });
});
