import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DecisionLog } from '../db/decision-log';
import { openDatabase } from '../db/open';
import { makeDecision } from './helpers/decisions';

const BIN = join(__dirname, '..', 'bin', 'reclaimd.js');
let dir: string;
let db: string;

function cli(args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'reclaimd-clidb-'));
  db = join(dir, 'log.db');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('reclaimd history, runs and priorities', () => {
  it('replay --db stores the runs and exactly its decisions; history lists them newest first', () => {
    const replay = cli(['replay', 'game-call', '--compare', 'lmkd', '--db', db, '--json']);
    expect(replay.code).toBe(0);
    const report = JSON.parse(replay.out);
    const [reclaim, lmkd] = report.runs;
    expect(reclaim.runId).toEqual(expect.any(Number));

    const runs = JSON.parse(cli(['runs', '--db', db, '--json']).out);
    expect(runs.map((r: { policy: string }) => r.policy)).toEqual(['lmkd', 'reclaim']);
    expect(runs[1].metrics).toEqual(reclaim.metrics);

    const rows = JSON.parse(cli(['history', '--db', db, '--run', String(reclaim.runId), '--limit', '10000', '--json']).out);
    expect(rows).toHaveLength(reclaim.metrics.decisions);
    for (const r of rows) expect(Object.keys(r)).toEqual(expect.arrayContaining(['ts', 'policy', 'level', 'app', 'pid', 'action', 'kind', 'requestedBytes', 'reclaimedBytes', 'result']));
    expect(rows.map((r: { ts: number }) => r.ts)).toEqual([...rows.map((r: { ts: number }) => r.ts)].sort((a: number, b: number) => b - a));
    const kills = JSON.parse(cli(['history', '--db', db, '--run', String(lmkd.runId), '--action', 'kill', '--json']).out);
    expect(kills.map((r: { app: string }) => r.app)).toEqual(['notes']); // AOSP lmkd @767ae23: LOW_MEM takes the cached app only
  });

  it('filters by app, kind and result, and exports CSV', () => {
    const game = JSON.parse(cli(['history', '--db', db, '--app', 'game', '--json']).out);
    expect(game.length).toBeGreaterThan(0);
    expect(new Set(game.map((r: { app: string }) => r.app))).toEqual(new Set(['game']));
    const anon = JSON.parse(cli(['history', '--db', db, '--kind', 'anon', '--result', 'ok', '--json']).out);
    expect(anon.every((r: { kind: string; result: string }) => r.kind === 'anon' && r.result === 'ok')).toBe(true);
    const csv = cli(['history', '--db', db, '--csv', '--limit', '3']).out.trim().split('\n');
    expect(csv[0]).toMatch(/^id,ts,time,runId,host,policy,level/);
    expect(csv).toHaveLength(4);
    const text = cli(['history', '--db', db, '--limit', '2']);
    expect(text.out.trim().split('\n')).toHaveLength(2);
    expect(text.err).toMatch(/^more: --after \d+:\d+$/m);
  });

  it('--since keeps only recent decisions', () => {
    // A decision from two hours ago, written by the live agent's writer.
    const handle = openDatabase(db);
    const log = new DecisionLog(handle);
    log.appendDecision(makeDecision(3), Date.now() - 2 * 3_600_000);
    log.close();
    handle.close();
    const all = JSON.parse(cli(['history', '--db', db, '--limit', '10000', '--json']).out);
    const recent = JSON.parse(cli(['history', '--db', db, '--since', '1h', '--limit', '10000', '--json']).out);
    expect(recent.length).toBe(all.length - 1);
    expect(JSON.parse(cli(['history', '--db', db, '--live', '--json']).out)).toHaveLength(1);
    expect(cli(['history', '--db', db, '--since', 'yesterday'])).toMatchObject({ code: 2, err: expect.stringContaining('--since: expected a duration') });
  });

  it('totals and hourly sums', () => {
    const totals = JSON.parse(cli(['history', '--db', db, '--totals', '--json']).out);
    expect(totals.map((t: { app: string }) => t.app)).toContain('game');
    const hourly = JSON.parse(cli(['history', '--db', db, '--hourly', '--json']).out);
    expect(hourly.length).toBeGreaterThan(0);
  });

  it('sets, lists and clears priorities, persistent across runs', () => {
    expect(cli(['priorities', 'set', 'org.example.game', 'protected', '--db', db, '--note', 'my saves'])).toMatchObject({ code: 0, out: 'org.example.game: protected\n' });
    expect(cli(['priorities', 'set', 'chat', 'expendable', '--db', db]).code).toBe(0);
    expect(JSON.parse(cli(['priorities', 'list', '--db', db, '--json']).out)).toEqual([
      expect.objectContaining({ appKey: 'chat', priority: 'expendable' }),
      expect.objectContaining({ appKey: 'org.example.game', priority: 'protected', note: 'my saves' }),
    ]);
    expect(cli(['priorities', 'clear', 'chat', '--db', db]).out).toBe('chat: cleared\n');
    expect(cli(['priorities', 'set', 'chat', 'urgent', '--db', db])).toMatchObject({ code: 2, err: expect.stringContaining('priority must be one of protected, high, normal, low, expendable') });
  });

  it('uses $XDG_DATA_HOME for the default database, and says so when there is none', () => {
    const xdg = join(dir, 'xdg');
    const missing = cli(['history'], { XDG_DATA_HOME: xdg });
    expect(missing.code).toBe(2);
    expect(missing.err).toContain(`no database at ${join(xdg, 'reclaimd', 'reclaimd.db')}`);
    expect(cli(['priorities', 'set', 'maps', 'low'], { XDG_DATA_HOME: xdg }).code).toBe(0);
    expect(cli(['priorities', 'list'], { XDG_DATA_HOME: xdg }).out).toMatch(/^maps\s+low/);
  });

  it('refuses a damaged database with exit 2 and leaves it alone', () => {
    const bad = join(dir, 'bad.db');
    require('node:fs').writeFileSync(bad, 'garbage'.repeat(100));
    for (const args of [['history', '--db', bad], ['replay', 'quiet', '--db', bad]]) {
      const r = cli(args);
      expect(r.code).toBe(2);
      expect(r.err).toContain('not an SQLite database (wrong header); it was left as it is');
      expect(r.err).not.toMatch(/\n\s+at /);
    }
    expect(require('node:fs').readFileSync(bad, 'utf8')).toBe('garbage'.repeat(100));
  });
});
