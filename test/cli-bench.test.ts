import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBuiltinRegistry } from '../policy-engine/policies/index';
import { BENCH_METRICS } from '../runs/bench-aggregate';
import { DEFAULT_BENCH_POLICIES, SEED_NOTE } from '../main/cli/bench-command';
import { rawScenario } from './helpers/scenarios';

// The real command, as a user runs it (built by `npm run build`, which `npm test` runs first).
const BIN = join(__dirname, '..', 'bin', 'reclaimd.js');

const DEMO_SEED: number = JSON.parse(readFileSync(join(__dirname, '..', 'scenarios', 'demo.json'), 'utf8')).seed;

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

let dir: string;
let folder: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'reclaimd-bench-'));
  folder = join(dir, 'scenarios');
  mkdirSync(folder);
  // Two small scenarios, named so that the file order and the name order differ; b's
  // allocation brings pressure, so policies differ.
  const pressed = rawScenario();
  pressed.timeline[2].size = '1100MiB';
  writeFileSync(join(folder, '1-second.json'), JSON.stringify({ ...pressed, name: 'tiny-b' }));
  writeFileSync(join(folder, '2-first.json'), JSON.stringify({ ...rawScenario(), name: 'tiny-a', seed: 40 }));
  writeFileSync(join(folder, 'notes.txt'), 'not a scenario');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Spread = { median: number; min: number; max: number };
type Report = { scenarios: { name: string; policies: { policy: string; seeds: number[]; metrics: Record<string, Spread> }[]; best: Record<string, string[]> }[] };

describe('reclaimd bench', () => {
  it('--json: one object of medians and ranges per scenario and policy, the same numbers as replay --seed for each seed', () => {
    const r = cli('bench', 'demo', '--seeds', '2', '--policies', 'reclaim,lmkd', '--json');
    expect(r.code).toBe(0);
    expect(r.out.trim().split('\n')).toHaveLength(1);
    const report: Report = JSON.parse(r.out);
    expect(report.scenarios.map((s) => s.name)).toEqual(['demo']);
    const [demo] = report.scenarios;
    expect(demo.policies.map((p) => p.policy)).toEqual(['reclaim', 'lmkd']);
    // The scenario's own seed first, so the first run is the plain `replay demo`.
    const seeds = demo.policies[0].seeds;
    expect(seeds).toEqual([DEMO_SEED, DEMO_SEED + 1]);

    // Each seed's run through the bench is the run `replay --seed` makes.
    const replays = seeds.map((seed) => JSON.parse(cli('replay', 'demo', '--policy', 'reclaim', '--compare', 'lmkd', '--seed', String(seed), '--json').out));
    for (const [i, p] of demo.policies.entries()) {
      expect(p.seeds).toEqual(seeds);
      expect(Object.keys(p.metrics)).toEqual(BENCH_METRICS.map((m) => m.key));
      for (const m of BENCH_METRICS) {
        const values = replays.map((rep) => m.value(rep.runs[i].metrics));
        expect([p.policy, m.key, p.metrics[m.key]]).toEqual([p.policy, m.key, { median: (values[0] + values[1]) / 2, min: Math.min(...values), max: Math.max(...values) }]);
      }
    }
    expect(demo.best.kills).toEqual(['reclaim']);
    expect(demo.best).not.toHaveProperty('reclaimedBytes');

    // Progress goes to stderr, never into the JSON on stdout.
    expect(r.err).toContain('bench: 1 scenarios × 2 seeds × 2 policies = 4 replays on');
    expect(r.err.split('\n').filter((l) => /^bench: \[\d\/4\] demo seed \d+ (reclaim|lmkd) /.test(l))).toHaveLength(4);
    expect(r.out).not.toContain('bench:');
  });

  it('--scenarios DIR runs every .json file in the folder, in file order', () => {
    const r = cli('bench', '--scenarios', folder, '--seeds', '2', '--policies', 'reclaim,none', '--json');
    expect(r.err).not.toContain('internal error');
    expect(r.code).toBe(0);
    const report: Report = JSON.parse(r.out);
    expect(report.scenarios.map((s) => s.name)).toEqual(['tiny-b', 'tiny-a']);
    expect(report.scenarios[1].policies[0].seeds).toEqual([40, 41]);
  });

  it('prints a table per scenario with the direction, the marks, what a seed varies and the user-wait verdict', () => {
    const r = cli('bench', '--scenarios', folder, '--seeds', '2', '--policies', 'reclaim,none');
    expect(r.code).toBe(0);
    expect(r.out).toContain(SEED_NOTE);
    expect(r.out).toMatch(/^tiny-b on phone-2g, 30 s, seeds 3, 4$/m);
    expect(r.out).toMatch(/^metric\s+better\s+reclaim\s+none$/m);
    expect(r.out).toMatch(/^kills\s+lower\s+\S.*[*=]/m);
    expect(r.out).toMatch(/^reclaimedBytes\s+—\s+\d+MiB/m);
    expect(r.out).toMatch(/^user wait: reclaim (.* (beats|loses to) |ties )the best of the others/m);
    expect(r.out).not.toContain('bench: [');
    // The progress still goes to stderr when stdout is a table.
    expect(r.err).toMatch(/^bench: \[8\/8\] /m);
  });

  it('prints a help line', () => {
    expect(cli('help').out).toMatch(/^  bench \[<scenario>\.\.\.\] \[--scenarios DIR\] \[--seeds 5\]/m);
  });

  it('by default compares the registered ones of reclaim, android, lmkd, none, proactive, naming any it skips', () => {
    const registry = createBuiltinRegistry();
    const r = cli('bench', join(folder, '2-first.json'), '--seeds', '1', '--json');
    expect(r.code).toBe(0);
    const report: Report = JSON.parse(r.out);
    expect(report.scenarios[0].policies.map((p) => p.policy)).toEqual(DEFAULT_BENCH_POLICIES.filter((p) => registry.has(p)));
    for (const p of DEFAULT_BENCH_POLICIES.filter((x) => !registry.has(x))) expect(r.err).toMatch(new RegExp(`^bench: skipping .*\\b${p}\\b.*: not registered`, 'm'));
  });

  it('exits 2 naming the file and the JSON path for a bad scenario in the folder, before any run', () => {
    const bad = join(dir, 'bad');
    mkdirSync(bad);
    writeFileSync(join(bad, 'a-good.json'), JSON.stringify(rawScenario()));
    const raw = rawScenario();
    raw.timeline[2].size = '12 parsecs';
    writeFileSync(join(bad, 'b-bad.json'), JSON.stringify(raw));
    const r = cli('bench', '--scenarios', bad, '--seeds', '2');
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toContain(`invalid scenario ${join(bad, 'b-bad.json')}`);
    expect(r.err).toContain('timeline[2].size: expected a size like "64MiB", got "12 parsecs"');
    expect(r.err).not.toContain('bench: [');
    expect(r.err).not.toMatch(/\n\s+at /);
  });

  it('exits 2 for an unknown policy, naming it and the known ones', () => {
    const r = cli('bench', 'demo', '--seeds', '2', '--policies', 'reclaim,oomd');
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toContain(`unknown policy "oomd" (known: ${createBuiltinRegistry().names().join(', ')})`);
  });

  it('exits 2 for bad seeds, a missing or empty folder, two scenarios of one name, and bad parameters', () => {
    expect(cli('bench', 'demo', '--seeds', '0')).toMatchObject({ code: 2, err: expect.stringContaining('--seeds: expected a whole number from 1 to 100, got "0"') });
    expect(cli('bench', '--scenarios', join(dir, 'nope'))).toMatchObject({ code: 2, err: expect.stringContaining('cannot read the folder: no such folder') });
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    expect(cli('bench', '--scenarios', empty)).toMatchObject({ code: 2, err: expect.stringContaining('no .json scenario files in the folder') });
    const twice = join(dir, 'twice.json');
    writeFileSync(twice, JSON.stringify({ ...rawScenario(), name: 'demo' }));
    expect(cli('bench', 'demo', twice, '--seeds', '1')).toMatchObject({ code: 2, err: expect.stringContaining('two scenarios are named "demo"') });
    expect(cli('bench', 'demo', '--seeds', '1', '--policies', 'reclaim', '--params', '{"reclaim":{"cooldownMs":"x"}}')).toMatchObject({
      code: 2,
      err: expect.stringContaining('reclaim.cooldownMs: expected a number'),
    });
  });
});
