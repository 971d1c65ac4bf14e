// How `reclaimd serve` starts: bad start parameters end it with exit 2 instead of a hang,
// the API refuses bad parameters of any policy, a bad value already saved neither hangs nor
// bricks the daemon, the api file never follows a link, and --dry-run on the command line
// wins over the Settings page. The real binary, real SQLite files, real HTTP and WebSocket.
import { spawn } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import WebSocket from 'ws';
import { openDatabase } from '../db/open';
import { setSetting } from '../db/settings';
import { CLI, startServe, type ServedDaemon } from './helpers/serve';

const PROTOTYPE_KEYS = ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf'];

/** Why serve did not start; a serve that did start is stopped at once (and the test fails). */
async function startRefused(args: string[]): Promise<string> {
  return startServe(args).then(
    async (d) => {
      await d.dispose();
      return 'serve started';
    },
    (err: Error) => err.message,
  );
}

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'reclaimd-start-'));
}

/** The raw JSON of the saved settings row, as SQLite holds it (null when there is none). */
function storedRow(dbPath: string): string | null {
  const db = new Database(dbPath, { readonly: true });
  try {
    return (db.prepare("SELECT value FROM settings WHERE key = 'agent.settings'").get() as { value: string } | undefined)?.value ?? null;
  } finally {
    db.close();
  }
}

/** Save a raw settings value as an older version or a hand edit might have left it. */
function plantSettings(dbPath: string, value: unknown, raw?: string): void {
  const db = openDatabase(dbPath);
  try {
    setSetting(db, 'agent.settings', value);
    if (raw !== undefined) db.prepare("UPDATE settings SET value = ? WHERE key = 'agent.settings'").run(raw);
  } finally {
    db.close();
  }
}

async function post(d: ServedDaemon, method: string, body: string): Promise<{ status: number; error?: string; field?: string; body: unknown }> {
  const res = await fetch(`${d.base}/api/${method}`, { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${d.token}` }, body });
  const json = (await res.json()) as { error?: string; field?: string };
  return { status: res.status, error: json.error, field: json.field, body: json };
}

/** The reply to one subscribe message on the event socket. */
function subscribeReply(d: ServedDaemon, message: string): Promise<{ stream: string; data: { error?: string } }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${d.base.replace('http', 'ws')}/api/events?token=${d.token}`);
    ws.on('open', () => ws.send(message));
    ws.on('message', (data) => {
      const m = JSON.parse(data.toString()) as { stream: string; data: { error?: string } };
      if (m.stream === 'error' || m.stream === 'processes') {
        ws.close();
        resolve(m);
      }
    });
    ws.on('error', reject);
  });
}

describe('a bad start parameter ends serve with exit 2 and the reason (no hang)', () => {
  test.each([
    ['the running policy', ['--params', '{"reclaim":{"bogus":1}}'], /serve exited with 2: reclaimd: --params: reclaim\.bogus: unknown parameter/],
    ['another policy', ['--params', '{"reclaim":{},"lmkd":{"bogus":1}}'], /serve exited with 2: reclaimd: --params: lmkd\.bogus: unknown parameter/],
    ['a policy that does not exist', ['--params', '{"nosuch":{}}'], /serve exited with 2: reclaimd: --params: nosuch: unknown policy/],
    ['a prototype-named parameter', ['--policy', 'lmkd', '--params', '{"lmkd":{"constructor":5}}'], /serve exited with 2: reclaimd: --params: lmkd\.constructor: unknown parameter/],
  ])('%s', async (_what, args, message) => {
    expect(await startRefused(['--no-db', ...args])).toMatch(message);
  });
});

describe('settings.set checks the parameters of every policy, and prototype keys everywhere', () => {
  let d: ServedDaemon;
  beforeAll(async () => {
    d = await startServe([]);
  });
  afterAll(async () => {
    await d?.dispose();
  });

  test('parameters of an inactive or unknown policy are refused with 400 naming the field; nothing is saved', async () => {
    await d.client.call('settings.set', { allowKill: false });
    const before = storedRow(d.dbPath);
    const cases: [string, string][] = [
      ['{"params":{"reclaim":{},"lmkd":{"bogus":1}}}', 'params.params.lmkd.bogus'],
      ['{"params":{"lmkd":{"killMinAdj":"high"}}}', 'params.params.lmkd.killMinAdj'],
      ['{"params":{"nosuch":{}}}', 'params.params.nosuch'],
      ['{"params":{"lmkd":7}}', 'params.params.lmkd'],
    ];
    for (const [body, field] of cases) {
      const r = await post(d, 'settings.set', body);
      expect({ body, status: r.status, field: r.field }).toEqual({ body, status: 400, field });
      expect(r.error).toContain(field.replace(/^params\.params\./, ''));
    }
    expect(storedRow(d.dbPath)).toBe(before);
  });

  test.each(PROTOTYPE_KEYS)('"%s" is an unknown field of a method, of a policy, a policy name, and of the subscribe message', async (key) => {
    const k = JSON.stringify(key);
    const asParam = await post(d, 'settings.set', `{"params":{"reclaim":{${k}:5}}}`);
    expect([asParam.status, asParam.field]).toEqual([400, `params.params.reclaim.${key}`]);
    const asPolicy = await post(d, 'settings.set', `{"params":{${k}:{}}}`);
    expect([asPolicy.status, asPolicy.field]).toEqual([400, `params.params.${key}`]);
    const asField = await post(d, 'processes', `{${k}:5}`);
    expect([asField.status, asField.field]).toEqual([400, `params.${key}`]);
    const asReplayParam = await post(d, 'replay.run', `{"scenario":{"name":"quiet"},"policies":["reclaim"],"params":{"reclaim":{${k}:5}}}`);
    expect([asReplayParam.status, asReplayParam.field]).toEqual([400, `params.params.reclaim.${key}`]);
    const status = await d.client.call('status', {});
    expect(Object.keys(status.params as object)).not.toContain(key);
    const reply = await subscribeReply(d, `{"streams":["processes"],${k}:1}`);
    expect(reply.stream).toBe('error');
    expect(reply.data.error).toContain(`message.${key}: expected no such field`);
  });
});

describe('a bad value already saved (an older version, a hand edit) neither hangs nor bricks serve', () => {
  let dir: string;
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  test('--policy lmkd over saved lmkd parameters that are bad: lmkd runs with its defaults, and status, log and the row say so', async () => {
    const dbPath = join(dir, 'reclaimd.db');
    plantSettings(dbPath, { policy: 'reclaim', params: { reclaim: { cooldownMs: 5000 }, lmkd: { bogus: 1 } }, dryRun: true, allowKill: false });
    const planted = storedRow(dbPath);
    const d = await startServe(['--db', dbPath, '--policy', 'lmkd']);
    try {
      const status = await d.client.call('status', {});
      expect(status.policy).toBe('lmkd');
      // Only the bad part is left out: the saved dry run and allowKill still hold.
      expect(status.mode).toBe('dry-run');
      expect(status.allowKill).toBe(false);
      const said = /saved setting agent\.settings: params\.lmkd\.bogus: unknown parameter.*ignored/;
      expect(status.limits.join('\n')).toMatch(said);
      expect(d.stderr.join('\n')).toMatch(said);
      const settings = await d.client.call('settings.get', {});
      expect(settings.params).toEqual({ reclaim: { cooldownMs: 5000 } });
      // Nothing is overwritten until the user saves.
      expect(storedRow(dbPath)).toBe(planted);
      await d.client.call('settings.set', { allowKill: true });
      expect((await d.client.call('status', {})).limits.join('\n')).not.toMatch(/saved setting/);
      expect(JSON.parse(storedRow(dbPath)!)).toMatchObject({ params: { reclaim: { cooldownMs: 5000 } }, allowKill: true });
    } finally {
      await d.dispose();
    }
  });

  test.each([
    ['an unknown policy', { policy: 'gone-policy' }, undefined, /saved setting agent\.settings: policy: unknown policy "gone-policy".*ignored/],
    ['a value of the wrong type', { dryRun: 'yes', retention: { maxAgeDays: -1, maxRows: 5000 } }, undefined, /saved setting agent\.settings: params\.dryRun: expected true or false.*ignored/],
    ['text that is not JSON', {}, '{"policy": "lmkd", ', /saved setting agent\.settings is not valid JSON.*ignored/],
  ])('%s: starts with the defaults and says which setting', async (_what, value, raw, said) => {
    const dbPath = join(dir, 'reclaimd.db');
    plantSettings(dbPath, value, raw);
    const d = await startServe(['--db', dbPath]);
    try {
      const status = await d.client.call('status', {});
      expect(status.policy).toBe('reclaim');
      expect(status.mode).toBe('active');
      expect(status.limits.join('\n')).toMatch(said);
      expect(d.stderr.join('\n')).toMatch(said);
      const settings = await d.client.call('settings.get', {});
      expect(settings.retention.maxAgeDays).toBeGreaterThan(0);
    } finally {
      await d.dispose();
    }
  });
});

describe('--api-file', () => {
  test('a SIGTERM the moment the API file appears stops the daemon cleanly: the file is taken away', async () => {
    const dir = tempDir();
    try {
      const apiFile = join(dir, 'api.json');
      const child = spawn(process.execPath, [CLI, 'serve', '--no-db', '--port', '0', '--api-file', apiFile], { stdio: 'ignore' });
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      // Before the URL is printed: the window in which a later listener left the file behind.
      while (!existsSync(apiFile) && child.exitCode === null) await new Promise((r) => setTimeout(r, 1));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(existsSync(apiFile)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });


  test('a symlink in its place is replaced, never followed: its target keeps its content and mode', async () => {
    const dir = tempDir();
    try {
      const victim = join(dir, 'victim.conf');
      writeFileSync(victim, 'precious\n', { mode: 0o644 });
      const apiFile = join(dir, 'api.json');
      symlinkSync(victim, apiFile);
      const d = await startServe(['--no-db', '--api-file', apiFile]);
      try {
        expect(readFileSync(victim, 'utf8')).toBe('precious\n');
        expect(statSync(victim).mode & 0o777).toBe(0o644);
        const st = lstatSync(apiFile);
        expect(st.isFile()).toBe(true);
        expect(st.mode & 0o777).toBe(0o640);
        expect(JSON.parse(readFileSync(apiFile, 'utf8'))).toMatchObject({ port: d.port, token: d.token, pid: d.child.pid });
        // No temporary file is left beside it.
        expect(readdirSync(dir).sort()).toEqual(['api.json', 'victim.conf']);
      } finally {
        await d.dispose();
      }
      expect(readdirSync(dir)).toEqual(['victim.conf']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('--api-file on stop', () => {
  test("a file another daemon wrote over ours since is left alone; ours is removed", async () => {
    const dir = tempDir();
    try {
      const apiFile = join(dir, 'api.json');
      const d = await startServe(['--no-db', '--api-file', apiFile]);
      const newer = JSON.stringify({ url: 'http://127.0.0.1:1/', port: 1, token: 'x', pid: d.child.pid! + 1 }) + '\n';
      writeFileSync(apiFile, newer);
      await d.dispose();
      expect(readFileSync(apiFile, 'utf8')).toBe(newer);
      const e = await startServe(['--no-db', '--api-file', apiFile]);
      expect(JSON.parse(readFileSync(apiFile, 'utf8'))).toMatchObject({ pid: e.child.pid });
      await e.dispose();
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('--dry-run on the command line wins over Settings, visibly', () => {
  test('turning dry run off is refused with 409 naming --dry-run; other saves do not store the forced value', async () => {
    const dir = tempDir();
    const dbPath = join(dir, 'reclaimd.db');
    try {
      const d = await startServe(['--db', dbPath, '--dry-run']);
      try {
        const status = await d.client.call('status', {});
        expect(status.mode).toBe('dry-run');
        expect(status.dryRunForcedBy).toMatch(/--dry-run/);
        const r = await post(d, 'settings.set', '{"dryRun":false}');
        expect(r.status).toBe(409);
        expect(r.field).toBe('params.dryRun');
        expect(r.error).toMatch(/--dry-run.*restart/);
        expect((await d.client.call('status', {})).mode).toBe('dry-run');
        const saved = await d.client.call('settings.set', { allowKill: false });
        expect(saved.dryRun).toBe(true); // what runs
      } finally {
        await d.dispose();
      }
      // The next start without --dry-run is active: the command line was not saved.
      expect(JSON.parse(storedRow(dbPath)!)).toMatchObject({ dryRun: false, allowKill: false });
      const again = await startServe(['--db', dbPath]);
      try {
        const status = await again.client.call('status', {});
        expect([status.mode, status.allowKill, status.dryRunForcedBy]).toEqual(['active', false, null]);
        expect((await post(again, 'settings.set', '{"dryRun":true}')).status).toBe(200);
      } finally {
        await again.dispose();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
