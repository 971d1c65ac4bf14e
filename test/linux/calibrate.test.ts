import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { METRIC_KEYS } from '../../host/sim/sim-metrics';
import { flattenMetrics } from '../../main/cli/calibrate-command';
import { kernelTestsUnavailable, skipNote } from '../helpers/kernel';
import { labMachineState } from '../helpers/lab-machine';

const BIN = join(__dirname, '..', '..', 'bin', 'reclaimd.js');
const unavailable = kernelTestsUnavailable();
const d = unavailable ? describe.skip : describe;
if (unavailable) skipNote('calibrate tests', unavailable);
// Run under the caller's flock: a lock taken again by the child would wait for ourselves.
const env = { ...process.env, RECLAIMD_KERNEL_LOCK: '' };

d('reclaimd calibrate', () => {
  it('runs a lab scenario, reports prediction, lab median and spread, ratio and verdict per metric, and leaves nothing behind', () => {
    const before = labMachineState();
    // Kept short: one scenario, one run, one policy (the kernel alone), 8× faster: 5 s.
    const r = spawnSync(process.execPath, [BIN, 'calibrate', 'lab-cached-apps', '--runs', '1', '--policies', 'none', '--time-scale', '8', '--json'], { encoding: 'utf8', timeout: 120_000, env });
    expect(r.stderr).toMatch(/calibrate lab-cached-apps run 1\/1 under none/); // progress on stderr
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report).toMatchObject({ runs: 1, timeScale: 8, factor: 2, interrupted: false });
    expect(report.loadAverage.start).toHaveLength(3);
    expect(report.scenarios).toHaveLength(1);
    const s = report.scenarios[0];
    expect(s.scenario).toBe('lab-cached-apps');
    expect(s.policies.map((p: { policy: string }) => p.policy)).toEqual(['none']);
    const { rows, runs } = s.policies[0];
    expect(runs).toHaveLength(1);
    expect(Object.keys(runs[0].metrics).sort()).toEqual([...METRIC_KEYS].sort());
    // A row per metric the lab measures too (nested ones flattened; the breakdowns the lab
    // cannot make are null there and have none); the target metrics marked.
    const names = rows.map((x: { metric: string }) => x.metric);
    for (const k of METRIC_KEYS) {
      const measured = runs[0].metrics[k] !== null;
      expect([k, names.some((n: string) => n === k || n.startsWith(`${k}.`))]).toEqual([k, measured]);
    }
    expect(rows.filter((x: { target: boolean }) => x.target).map((x: { metric: string }) => x.metric).sort()).toEqual(['foregroundStallMs', 'refaultsAnon', 'refaultsFile']);
    for (const row of rows) {
      expect(row.labMin).toBe(row.labMedian); // one run: no spread
      expect(row.labMax).toBe(row.labMedian);
      expect(row.sim).toBe(flattenMetrics(runs[0].prediction.metrics)[row.metric]);
      expect(row.labMedian).toBe(flattenMetrics(runs[0].metrics)[row.metric]);
    }
    expect(s.labVerdicts).toHaveLength(1);
    expect(s.verdictStable).toBe(true); // one run agrees with itself
    expect(Object.keys(s.simVerdict.kills)).toEqual(['none']);
    expect(labMachineState()).toEqual(before);
  });

  it('cleans up after Ctrl-C mid-way and reports it with exit 130', async () => {
    const before = labMachineState();
    const cal = spawn(process.execPath, [BIN, 'calibrate', 'lab-cached-apps', '--runs', '2', '--policies', 'none', '--time-scale', '2', '--json'], { stdio: ['ignore', 'pipe', 'pipe'], env });
    let err = '';
    let out = '';
    cal.stderr.on('data', (b: Buffer) => (err += b.toString()));
    cal.stdout.on('data', (b: Buffer) => (out += b.toString()));
    const exited = new Promise<number | null>((resolve) => cal.on('exit', (code) => resolve(code)));
    // Mid-run: wait until its cgroup exists (the first run is 20 s long).
    for (let i = 0; i < 300 && labMachineState().cgroups.length === before.cgroups.length; i++) await new Promise((r) => setTimeout(r, 100));
    expect(labMachineState().cgroups.length).toBe(before.cgroups.length + 1);
    await new Promise((r) => setTimeout(r, 2000));
    cal.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(err).toContain('calibrate interrupted; cleaning up');
    expect(JSON.parse(out)).toMatchObject({ interrupted: true, scenarios: [] }); // a cut-short run is no sample
    expect(labMachineState()).toEqual(before);
  }, 60_000);
});
