import Database from 'better-sqlite3';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmdirSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asyncScheduler } from 'rxjs';
import { DecisionLog } from '../db/decision-log';
import { migrate } from '../db/migrate';
import { MIGRATIONS } from '../db/migrations/index';
import { openDatabase, type Db } from '../db/open';
import { getRecording, listRecordings, recordingRows } from '../db/recordings';
import { pruneChunk } from '../db/retention';
import { psiDetectorFor } from '../policy-engine/detectors/psi-detector';
import { SimHost } from '../host/sim/sim-host';
import { Recorder } from '../main/daemon/recorder';
import { exportRecording, RecordingExportError } from '../runs/recording-export';
import { validateScenario } from '../scenario/validate';
import type { RecordedDevice } from '../db/recordings';
import { makeDecision } from './helpers/decisions';
import { rawScenario, scenarioFrom } from './helpers/scenarios';
import { Tmpfs } from './helpers/tmpfs';
import { startServe } from './helpers/serve';

const CLI = join(__dirname, '..', 'bin', 'reclaimd.js');
const cli = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 60_000 });

const DEVICE: RecordedDevice = {
  memTotalBytes: 4 * 1024 ** 3,
  memcgLimitBytes: null,
  zram: { disksizeBytes: 1024 ** 3, algorithm: 'lzo-rle', origDataBytes: 300 * 1024 ** 2, comprDataBytes: 100 * 1024 ** 2 },
  watermarks: { minBytes: 16 * 1024 ** 2, lowBytes: 80 * 1024 ** 2, highBytes: 128 * 1024 ** 2 },
  cores: 2,
  kernel: 'test',
};

/** A scenario that moves within the first seconds of real time: launches, a switch, an allocation. */
function busyScenario() {
  const raw = rawScenario();
  raw.name = 'busy';
  raw.timeline = [
    { at: '0s', do: 'foreground', app: 'a' },
    { at: '0s', do: 'launch', app: 'b' },
    { at: '1s', do: 'allocate', app: 'b', size: '64MiB', over: '500ms' },
    { at: '2s', do: 'foreground', app: 'b' },
    { at: '2500ms', do: 'close', app: 'a' },
  ];
  return scenarioFrom(raw);
}

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Record the busy scenario on the simulated host for a few seconds of real time. */
async function recordSim(db: Db, ms: number, scope: string | null = null): Promise<{ recorder: Recorder; sim: SimHost }> {
  const sim = new SimHost(busyScenario(), asyncScheduler, { loop: false });
  sim.start();
  const recorder = Recorder.start({ db, host: sim, detector: psiDetectorFor(sim.scenario.device), scope, device: DEVICE, settings: { policy: 'reclaim', params: {}, dryRun: false, allowKill: true } });
  await wait(ms);
  return { recorder, sim };
}

let dir: string;
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'reclaimd-rec-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('migration 3: recordings', () => {
  it('a fresh database has the recordings tables', () => {
    const db = openDatabase(join(dir, 'fresh.db'));
    expect(getRecording(db, 1)).toBeNull();
    expect(listRecordings(db)).toEqual([]);
    db.close();
  });
});

describe('the recorder', () => {
  it('records appearances, changes, RSS moves, exits and pressure of the host, and the export replays', async () => {
    const file = join(dir, 'rec.db');
    const db = openDatabase(file);
    const { recorder, sim } = await recordSim(db, 3500);
    // The agent's decisions are referenced by host and time, not copied.
    const log = new DecisionLog(db, { batchSize: 1 });
    const now = Date.now();
    for (let i = 0; i < 5; i++) log.appendDecision(makeDecision(i, now - 1000 + i), now - 1000 + i);
    log.appendDecision(makeDecision(49, now - 10), now - 10); // a kill the host refused: no agent kill
    log.close();
    recorder.stop();
    sim.stop();
    const status = recorder.status;
    expect(status.active).toBe(false);
    expect(status.stopReason).toBeNull();
    const rows = recordingRows(db, status.id);
    const kinds = new Set(rows.map((r) => r.kind));
    // b's growth lands in an 'rss' row or, when its band moved in the same tick, a 'change' row:
    // which one depends on when the ticks fall; the allocate step below checks it either way.
    for (const k of ['appear', 'pressure', 'change', 'exit']) expect(kinds).toContain(k);
    expect(rows.filter((r) => r.kind === 'appear').map((r) => r.appKey).sort()).toEqual(['a', 'b']);
    expect(rows.find((r) => r.kind === 'appear')!.cmdline).toBeNull(); // a simulated pid is no process to read

    const scenario = exportRecording(db, status.id);
    db.close();
    const parsed = validateScenario(scenario, 'export');
    expect(parsed.apps.map((a) => a.id).sort()).toEqual(['a', 'b']);
    const steps = parsed.timeline.map((s) => `${s.do}:${s.app}`);
    expect(steps).toEqual(expect.arrayContaining(['foreground:a', 'allocate:b', 'foreground:b', 'close:a']));
    const alloc = parsed.timeline.find((s) => s.do === 'allocate');
    expect(alloc && 'bytes' in alloc ? alloc.bytes : 0).toBeGreaterThanOrEqual(60 * 1024 * 1024);
    expect(parsed.recorded).toMatchObject({ policy: 'reclaim', dryRun: false, decisions: 6, agentKills: 0 });
    // makeDecision: results ok for i % 5 < 3 → decisions 0, 1, 2 reclaimed 40 MiB each.
    expect(parsed.recorded!.reclaimedBytes).toBe(3 * 40 * 1024 * 1024);
    expect(parsed.description).toMatch(/Not inferred/);
    expect(parsed.device.zram.ratio).toBe(3);

    // The CLI: export, validate, replay with the recorded column.
    const out = join(dir, 'rec.json');
    const exp = cli('recording', 'export', String(status.id), '--db', file, '--out', out);
    expect(exp.stderr).toContain(`wrote ${out}`);
    expect(exp.status).toBe(0);
    expect(cli('scenario', 'validate', out).status).toBe(0);
    const replay = cli('replay', out, '--policy', 'reclaim', '--compare', 'lmkd');
    expect(replay.status).toBe(0);
    const header = replay.stdout.split('\n').find((l) => l.startsWith('metric'))!;
    expect(header.trim().split(/\s+/)).toEqual(['metric', 'reclaim', 'lmkd', 'recorded']);
    expect(replay.stdout).toMatch(/^agentKills\s+\d+\s+\d+\s+0$/m);
    expect(replay.stdout).toMatch(/^refaultsAnon\s+\d+\s+\d+\s+-$/m);
    const json = JSON.parse(cli('replay', out, '--compare', 'lmkd', '--json').stdout);
    expect(Object.keys(json)).toEqual(['scenario', 'runs', 'recorded']);
    expect(json.recorded).toEqual(parsed.recorded);
  }, 60_000);

  it('a scope (memcg) that goes away stops the recording with the reason; the host goes on', async () => {
    const db = openDatabase(join(dir, 'scope.db'));
    const scope = join(dir, 'memcg-stand-in');
    mkdirSync(scope);
    const { recorder, sim } = await recordSim(db, 1200, scope);
    rmdirSync(scope);
    await wait(1500);
    const status = recorder.status;
    expect(status.active).toBe(false);
    expect(status.stopReason).toBe(`its memcg ${scope} is gone`);
    expect(getRecording(db, status.id)!.stopReason).toBe(`its memcg ${scope} is gone`);
    expect(sim.snapshot().length).toBeGreaterThan(0);
    sim.stop();
    db.close();
  }, 30_000);

  const root = process.getuid?.() === 0;
  (root ? it : it.skip)('a full disk mid-recording stops it with the reason, never throwing into the agent', async () => {
    const fs = Tmpfs.create(8192);
    if (typeof fs === 'string') throw new Error(fs);
    try {
      const db = openDatabase(join(fs.dir, 'rec.db'));
      const { recorder, sim } = await recordSim(db, 1200);
      fs.fill();
      // Rows keep coming each tick; the writer's next flush meets the full disk.
      for (let i = 0; i < 40 && recorder.status.active; i++) await wait(250);
      const status = recorder.status;
      expect(status.active).toBe(false);
      expect(status.stopReason).toMatch(/^the database stopped taking the recording's rows: .*full/i);
      expect(sim.snapshot().length).toBeGreaterThan(0);
      sim.stop();
      db.close();
    } finally {
      fs.dispose();
    }
  }, 60_000);

  it('a read-only database refuses the recording at its start, saying so', () => {
    const file = join(dir, 'ro.db');
    openDatabase(file).close();
    const db = openDatabase(file, { readonly: true });
    const sim = new SimHost(busyScenario(), asyncScheduler, { loop: false });
    expect(() => Recorder.start({ db, host: sim, detector: psiDetectorFor(sim.scenario.device), scope: null, device: DEVICE, settings: { policy: 'reclaim', params: {}, dryRun: false, allowKill: true } })).toThrow(
      /^cannot start a recording: the database refused it \(.*readonly/,
    );
    db.close();
  });
});

describe('recording export and list (CLI)', () => {
  let file: string;
  let id: number;
  beforeEach(async () => {
    file = join(dir, 'cli.db');
    const db = openDatabase(file);
    const { recorder, sim } = await recordSim(db, 1500);
    recorder.stop();
    sim.stop();
    id = recorder.status.id;
    db.close();
  }, 30_000);

  it('lists recordings, as text and JSON', () => {
    const text = cli('recording', 'list', '--db', file);
    expect(text.status).toBe(0);
    expect(text.stdout).toMatch(new RegExp(`^#${id}\\s.*sim\\s+policy reclaim\\s+2 processes`, 'm'));
    const json = JSON.parse(cli('recording', 'list', '--db', file, '--json').stdout);
    expect(json[0]).toMatchObject({ id, host: 'sim', processes: 2, stopReason: null });
  });

  it('never overwrites --out without --force; errors name the recording and the field', () => {
    const out = join(dir, 'taken.json');
    writeFileSync(out, 'mine');
    const refused = cli('recording', 'export', String(id), '--db', file, '--out', out);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain(`--out ${out}: the file exists; choose another name, or add --force to overwrite it`);
    expect(readFileSync(out, 'utf8')).toBe('mine');
    expect(cli('recording', 'export', String(id), '--db', file, '--out', out, '--force').status).toBe(0);
    expect(JSON.parse(readFileSync(out, 'utf8')).name).toBe(`recording-${id}`);
    const missing = cli('recording', 'export', '999', '--db', file, '--out', join(dir, 'x.json'));
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('recording export 999: no recording #999 in this database');
    const noOut = cli('recording', 'export', String(id), '--db', file);
    expect(noOut.stderr).toContain('--out FILE is required');
    expect(() => exportRecording(openDatabase(file, { readonly: true }), 999)).toThrow(RecordingExportError);
  });

  it('validate accepts the recorded field and names a bad one', () => {
    const raw = rawScenario();
    raw.recorded = { policy: 'reclaim', agentKills: 1, reclaimedBytes: '10MiB', timeAtLevelMs: { low: 0, medium: 10, critical: 0 }, decisions: 3 };
    expect(validateScenario(raw).recorded).toEqual({ policy: 'reclaim', dryRun: false, agentKills: 1, reclaimedBytes: 10 * 1024 * 1024, timeAtLevelMs: { low: 0, medium: 10, critical: 0 }, decisions: 3 });
    raw.recorded.agentKills = -1;
    raw.recorded.timeAtLevelMs.high = 3;
    expect(() => validateScenario(raw)).toThrow(/recorded\.agentKills: expected a whole number from 0.*recorded\.timeAtLevelMs\.high: unknown field/);
  });

  it('retention deletes recordings past the age, rows by age and by count', () => {
    const db = openDatabase(file);
    const rows = recordingRows(db, id).length;
    expect(rows).toBeGreaterThan(2);
    // By count: at most maxRows recording rows are kept.
    while (pruneChunk(db, { maxAgeMs: 0, maxRows: 2 }, Date.now()) > 0);
    expect(recordingRows(db, id).length).toBe(2);
    // By age: the finished recording goes, its rows with it.
    while (pruneChunk(db, { maxAgeMs: 1, maxRows: 0 }, Date.now() + 10_000) > 0);
    expect(getRecording(db, id)).toBeNull();
    expect(recordingRows(db, id)).toEqual([]);
    db.close();
  });
});

describe('recordings through the API (real serve, real HTTP)', () => {
  it('recordings.list and recordings.export (anonymized too); an unknown id is a 404 naming params.id; record on the sim host is a 409', async () => {
    const file = join(dir, 'api.db');
    const db = openDatabase(file);
    const { recorder, sim } = await recordSim(db, 1500);
    recorder.stop();
    sim.stop();
    db.close();
    const d = await startServe(['--scenario', 'demo', '--db', file]);
    try {
      const list = await d.client.call('recordings.list', {});
      expect(list).toEqual([expect.objectContaining({ id: 1, host: 'sim', policy: 'reclaim', processes: 2, stopReason: null })]);
      const exported = await d.client.call('recordings.export', { id: 1 });
      expect(exported.name).toBe('recording-1');
      expect(validateScenario(JSON.parse(exported.text)).apps.map((a) => a.id).sort()).toEqual(['a', 'b']);
      const anon = await d.client.call('recordings.export', { id: 1, anonymize: true });
      expect(JSON.parse(anon.text).apps.map((a: { id: string }) => a.id)).toEqual(['app-1', 'app-2']);
      await expect(d.client.call('recordings.export', { id: 99 })).rejects.toMatchObject({ status: 404, field: 'params.id' });
      await expect(d.client.call('settings.set', { record: true })).rejects.toMatchObject({ status: 409, field: 'params.record' });
      expect((await d.client.call('status', {})).recording).toBeNull();
      // The replay of the exported text carries the recorded outcome.
      const report = await d.client.call('replay.run', { scenario: { text: exported.text }, policies: ['reclaim'], store: false });
      expect(report.recorded).toEqual(JSON.parse(exported.text).recorded);
    } finally {
      await d.dispose();
    }
  }, 60_000);
});

describe('run --record refusals', () => {
  it('--record needs a database', () => {
    const r = cli('run', '--record', '--no-db', '--duration', '1s');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--record needs a database: it cannot go with --no-db');
  });

  const root = process.getuid?.() === 0;
  (root ? it : it.skip)('on the observe-only host (no CAP_SYS_NICE) it is refused with the reason, and nothing keeps running', () => {
    const nobody = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=-all', '--bounding-set=-all'];
    // /var/tmp: the run's tmpdir() is not open to nobody; named after its owner (see machine-state).
    const open = mkdtempSync(join('/var/tmp', `reclaimd-rec-${process.pid}-`));
    try {
      spawnSync('chmod', ['0777', open]);
      const r = spawnSync(nobody[0], [...nobody.slice(1), process.execPath, CLI, 'run', '--record', '--db', join(open, 'r.db'), '--duration', '30s'], { encoding: 'utf8', timeout: 60_000 });
      expect(r.stderr).toMatch(/--record: recording needs the linux host; this agent runs on this machine, observe-only/);
      expect(r.status).toBe(2);
    } finally {
      rmSync(open, { recursive: true, force: true });
    }
  }, 60_000);
});
