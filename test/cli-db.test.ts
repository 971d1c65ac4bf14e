import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DecisionLog } from '../db/decision-log';
import { openDatabase } from '../db/open';
import { termSafe } from '../main/cli/terminal-text';
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
    // The same replay again: named as stored, not stored twice.
    const again = cli(['replay', 'game-call', '--compare', 'lmkd', '--db', db, '--json']);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.out).runs.map((r: { runId: number; reused: boolean }) => [r.runId, r.reused])).toEqual([[reclaim.runId, true], [lmkd.runId, true]]);
    expect(again.err).toContain(`reclaimd: run reclaim is already stored as #${reclaim.runId}`);
    expect(JSON.parse(cli(['runs', '--db', db, '--json']).out)).toHaveLength(2);

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

  it('prints control characters in app keys, notes and reasons escaped; --json keeps them exact', () => {
    const file = join(dir, 'escapes.db');
    const evil = 'evil\x1b[2J\rapp\u009b31m';
    const handle = openDatabase(file);
    const log = new DecisionLog(handle);
    const d = makeDecision(1);
    (d.action as { appKey: string; reason: string }).appKey = evil;
    (d.action as { appKey: string; reason: string }).reason = 'why\x1b]0;title\x07';
    log.appendDecision(d, Date.now());
    log.close();
    handle.close();
    expect(cli(['priorities', 'set', evil, 'low', '--db', file, '--note', 'n\x1bote']).code).toBe(0);
    const outputs = [
      cli(['priorities', 'set', evil, 'low', '--db', file]).out,
      cli(['priorities', 'list', '--db', file]).out,
      cli(['history', '--db', file]).out,
      cli(['history', '--db', file, '--totals']).out,
      cli(['priorities', 'clear', evil, '--db', file]).out,
    ];
    for (const out of outputs) {
      expect(out).toContain('evil\\x1b[2J\\rapp\\x9b31m');
      expect(out.replace(/\n/g, '')).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
    }
    expect(outputs[2]).toContain('why\\x1b]0;title\\x07');
    const json = JSON.parse(cli(['history', '--db', file, '--json']).out);
    expect(json[0]).toMatchObject({ app: evil, reason: 'why\x1b]0;title\x07' });
  });

  it('termSafe escapes C0, DEL, C1 and bidi overrides and leaves other text alone', () => {
    expect(termSafe('a\tb\nc\rd\x1b[1m\x7f\x9b\u202eé→')).toBe('a\\tb\\nc\\rd\\x1b[1m\\x7f\\x9b\\u202eé→');
  });

  it('a damaged database (8 KB overwritten mid-file) is refused by every command before any write, exit 2, byte for byte unchanged', () => {
    const fsx = require('node:fs') as typeof import('node:fs');
    const damaged = join(dir, 'damaged.db');
    expect(cli(['replay', 'day-2g', '--db', damaged, '--json']).code).toBe(0);
    const fd = fsx.openSync(damaged, 'r+');
    fsx.writeSync(fd, Buffer.alloc(8192, 0x41), 0, 8192, 12288);
    fsx.closeSync(fd);
    const hash = () => require('node:crypto').createHash('sha256').update(fsx.readFileSync(damaged)).digest('hex');
    const before = hash();
    for (const args of [['replay', 'quiet', '--db', damaged], ['priorities', 'set', 'x', 'low', '--db', damaged], ['history', '--db', damaged, '--limit', '10000']]) {
      const r = cli(args);
      expect({ args, code: r.code }).toEqual({ args, code: 2 });
      expect(r.err).toContain(`${damaged}: the file is damaged`);
      expect(r.err).toMatch(/move it aside .*sqlite3 .*\.recover/i);
      expect(r.err).not.toContain('internal error');
      expect(hash()).toBe(before);
    }
  });

  it('a --db that is a folder is a clear exit-2 error', () => {
    for (const args of [['history', '--db', dir], ['priorities', 'set', 'x', 'low', '--db', dir], ['replay', 'quiet', '--db', dir]]) {
      const r = cli(args);
      expect(r.code).toBe(2);
      expect(r.err).toContain(`${dir}: is a folder, not a database file`);
    }
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
