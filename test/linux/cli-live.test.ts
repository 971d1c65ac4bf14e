import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { queryHistory } from '../../db/history';
import { openDatabase } from '../../db/open';
import { pressureSamples } from '../../db/pressure-log';
import { ObserveOnlyHost } from '../../host/observe/observe-only-host';
import { kernelTestsUnavailable, skipNote } from '../helpers/kernel';
import { useKernelFixture } from '../helpers/kernel-fixture';

const BIN = join(__dirname, '..', '..', 'bin', 'reclaimd.js');
const unavailable = kernelTestsUnavailable();
const d = unavailable ? describe.skip : describe;
if (unavailable) skipNote('live CLI tests', unavailable);

d('reclaimd run, doctor and the observe-only mode', () => {
  const k = useKernelFixture('run');

  it('doctor reports PSI (and its window), vmpressure, process_madvise and privileges', () => {
    const r = spawnSync(process.execPath, [BIN, 'doctor', '--json'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout);
    const byName = Object.fromEntries(report.checks.map((c: { name: string }) => [c.name, c]));
    expect(byName.psi).toMatchObject({ ok: true, detail: expect.stringMatching(/trigger "some \d+ (1000000|2000000)"/) });
    expect(byName.vmpressure.ok).toBe(true);
    expect(byName.process_madvise).toMatchObject({ ok: true });
    expect(byName.privileges.detail).toMatch(/root/);
    expect(byName['reaction thread']).toMatchObject({ ok: true, detail: expect.stringMatching(/^SCHED_FIFO priority 1/) });
    expect(byName['memory lock']).toMatchObject({ ok: true, detail: expect.stringMatching(/locked as touched \(mlock2 MLOCK_ONFAULT\)/) });
    expect(report.plan.mode).toBe('act');
  });

  it('runs the live agent on a memcg: reclaims the background, never the foreground, logs to the database, stops cleanly on SIGINT', async () => {
    const memcg = k.memcg(`reclaimd-run-${process.pid}`, 256 * 1024 * 1024);
    const background = await k.hogs.start(80, 40, memcg.wrap());
    const fg = await k.hogs.start(40, 10, memcg.wrap());
    const db = join(k.dir, 'run.db');
    const agent = spawn(process.execPath, [BIN, 'run', '--memcg', memcg.path, '--db', db, '--foreground', String(fg.pid), '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    agent.stdout.on('data', (b: Buffer) => (out += b.toString()));
    agent.stderr.on('data', (b: Buffer) => (err += b.toString()));
    const exited = new Promise<number | null>((resolve) => agent.on('exit', (code) => resolve(code)));
    try {
      await new Promise((r) => setTimeout(r, 1500));
      const allocator = await k.hogs.start(300, 0, memcg.wrap());
      const deadline = Date.now() + 20_000;
      while (Date.now() < deadline && !out.includes(`"pid":${background.pid}`)) {
        allocator.kill('SIGUSR1');
        await new Promise((r) => setTimeout(r, 200));
      }
      agent.kill('SIGINT');
      expect(await exited).toBe(0);
    } finally {
      if (agent.exitCode === null) agent.kill('SIGKILL');
    }
    expect(err).toMatch(/running policy reclaim on the linux host/);
    expect(err).toMatch(/vmpressure on \/sys\/fs\/cgroup\/memory\/reclaimd-run-/);
    expect(err).toMatch(/reaction thread: SCHED_FIFO priority 1 \(tid \d+\)/);
    expect(err).toMatch(/memory: \d+ of \d+ code and file mappings \(\d+ MiB\) locked as touched/);
    expect(err).toMatch(/stopped after \d+ decisions; \d+ logged/);
    const lines = out.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.some((l) => l.pid === background.pid && l.result === 'ok')).toBe(true);
    expect(lines.some((l) => l.pid === fg.pid)).toBe(false);
    const handle = openDatabase(db);
    expect(queryHistory(handle, { limit: 10_000 }).rows).toHaveLength(lines.length);
    const samples = pressureSamples(handle, 0);
    expect(samples.length).toBeGreaterThan(0);
    expect(samples.some((x) => x.source === 'vmpressure' && x.host === 'linux')).toBe(true);
    handle.close();
  });

  it('without CAP_SYS_NICE it runs observe-only and logs dry runs', () => {
    const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=-all', '--bounding-set=-all', process.execPath, BIN, 'run', '--no-db', '--duration', '3s'], { encoding: 'utf8', timeout: 30_000 });
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/observe-only: no CAP_SYS_NICE/);
    expect(r.stderr).toMatch(/on the observe host \(dry run: nothing is touched\)/);
    expect(r.stderr).toMatch(/stopped after \d+ decisions/);
  });

  it('the observe-only host reads real memory and processes through systeminformation', async () => {
    const host = new ObserveOnlyHost();
    const s = await host.read();
    expect(s.memory.totalBytes).toBeGreaterThan(512 * 1024 * 1024);
    expect(s.memory.availableBytes).toBeGreaterThan(0);
    await host.refreshProcesses();
    expect(host.snapshot().find((p) => p.pid === process.pid)).toMatchObject({ untouchable: 'the agent itself' });
    const outcome = await new Promise((resolve) => host.execute({ type: 'kill', pid: 1, startTime: 0, appKey: 'x', requestedBytes: 0, reason: '', dryRun: false }).subscribe(resolve));
    expect(outcome).toMatchObject({ result: 'unsupported' });
  });
});
