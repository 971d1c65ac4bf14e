import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { METRIC_KEYS } from '../host/sim/sim-metrics';
import { validateScenario } from '../scenario/validate';
import { rawScenario } from './helpers/scenarios';

// The real command, as a user runs it (built by `npm run build`, which `npm test` runs first).
const BIN = join(__dirname, '..', 'bin', 'reclaimd.js');

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

let dir: string;
beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'reclaimd-cli-'))));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('reclaimd CLI', () => {
  it('replay --json prints exactly one JSON object with every metric of each policy', () => {
    const r = cli('replay', 'scenarios/game-call.json', '--compare', 'lmkd', '--json');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.out);
    expect(r.out.trim().split('\n')).toHaveLength(1);
    expect(report.scenario).toBe('game-call');
    expect(report.runs.map((x: { policy: string }) => x.policy)).toEqual(['reclaim', 'lmkd']);
    for (const run of report.runs) expect(Object.keys(run.metrics).sort()).toEqual([...METRIC_KEYS].sort());
    const [reclaim, lmkd] = report.runs.map((x: { metrics: Record<string, number> }) => x.metrics);
    expect(reclaim.agentKills + reclaim.oomKills + reclaim.stateLoss).toBe(0);
    // AOSP lmkd @767ae23 kills only the cached notes app here (LOW_MEM); the game survives.
    expect(lmkd.agentKills).toBeGreaterThanOrEqual(1);
    expect(lmkd.reclaimedBytes).toBe(0);
  });

  it('replay prints the metrics side by side and a one-line verdict', () => {
    const r = cli('replay', 'game-call', '--compare', 'lmkd,none');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^metric\s+reclaim\s+lmkd\s+none$/m);
    expect(r.out).toMatch(/^agentKills\s+0\s+1\s+0$/m);
    const verdicts = r.out.split('\n').filter((l) => l.startsWith('verdict:'));
    expect(verdicts).toEqual([expect.stringMatching(/^verdict: reclaim against lmkd: 0 kills vs 1, \d+% (less|more) user wait; against none: /)]);
  });

  it('stops quietly when its reader goes away (| head)', () => {
    const r = spawnSync('sh', ['-c', `"${process.execPath}" "${BIN}" replay day-2g --compare lmkd,none,proactive | head -1`], { encoding: 'utf8' });
    expect(r.stdout).toMatch(/^scenario day-2g/);
    expect(r.stderr).toBe('');
  });

  it('replay --seed overrides the scenario seed', () => {
    const r = cli('replay', 'tabs', '--seed', '9', '--json');
    expect(JSON.parse(r.out).runs[0].seed).toBe(9);
  });

  it('exits 2 with the JSON path on stderr for a bad scenario, never a stack trace', () => {
    const file = join(dir, 'bad.json');
    const raw = rawScenario();
    raw.timeline[2].size = '12 parsecs';
    writeFileSync(file, JSON.stringify(raw));
    for (const args of [['replay', file], ['scenario', 'validate', file]]) {
      const r = cli(...args);
      expect(r.code).toBe(2);
      expect(r.out).toBe('');
      expect(r.err).toContain('timeline[2].size: expected a size like "64MiB", got "12 parsecs"');
      expect(r.err).not.toMatch(/\n\s+at /);
    }
  });

  it('exits 2 for unknown policies, options, commands and bad parameters', () => {
    expect(cli('replay', 'quiet', '--policy', 'oomd')).toMatchObject({ code: 2, err: expect.stringContaining('unknown policy "oomd"') });
    expect(cli('replay', 'quiet', '--polcy', 'lmkd')).toMatchObject({ code: 2, err: expect.stringContaining('unknown option --polcy') });
    expect(cli('replay', 'quiet', '--seed', 'abc')).toMatchObject({ code: 2, err: expect.stringContaining('--seed: expected a whole number') });
    expect(cli('replay', 'quiet', '--params', '{"reclaim":{"cooldownMs":"x"}}')).toMatchObject({ code: 2, err: expect.stringContaining('reclaim.cooldownMs: expected a number') });
    expect(cli('replay', '/no/such/file.json')).toMatchObject({ code: 2, err: expect.stringContaining('cannot read: no such file') });
    expect(cli('frobnicate')).toMatchObject({ code: 2, err: expect.stringContaining('unknown command "frobnicate"') });
  });

  it('lists bundled scenarios and policies with their parameters', () => {
    const scenarios = JSON.parse(cli('scenarios', '--json').out);
    expect(scenarios.map((s: { name: string }) => s.name)).toEqual(expect.arrayContaining(['game-call', 'camera-burst', 'day-2g', 'leak', 'tabs', 'quiet']));
    const text = cli('policies').out;
    expect(text).toMatch(/^reclaim \(default\): /m);
    expect(text).toMatch(/^ {2}cooldownMs = 10000 {2}\(0..3600000 ms\)/m);
    const policies = JSON.parse(cli('policies', '--json').out);
    expect(policies.map((p: { name: string }) => p.name).sort()).toEqual(['android', 'lmkd', 'none', 'proactive', 'reclaim']);
  });

  it('generates a valid scenario from a seed', () => {
    const r = cli('scenario', 'generate', '--apps', '50', '--duration', '1h', '--seed', '1');
    expect(r.code).toBe(0);
    const s = validateScenario(JSON.parse(r.out));
    expect(s.apps).toHaveLength(50);
    expect(s.durationMs).toBe(3_600_000);
    const out = join(dir, 'gen.json');
    expect(cli('scenario', 'generate', '--apps', '5', '--out', out).code).toBe(0);
    expect(cli('scenario', 'validate', out)).toMatchObject({ code: 0, out: expect.stringContaining('valid scenario') });
  });
});
