// The API of `reclaimd serve` over real HTTP and WebSocket: the real binary, a real
// SQLite file, the simulated device playing in real time.
import { execFileSync } from 'node:child_process';
import { request as httpRequest, Agent } from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import WebSocket from 'ws';
import type { StreamMessage } from '../common/api/contract';
import { ApiError } from '../common/api/api-error';
import { CLI, startServe, type ServedDaemon } from './helpers/serve';

interface Reply {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

function post(d: ServedDaemon, path: string, body: string | null, headers: Record<string, string> = {}, agent?: Agent): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${d.base}${path}`, { method: body === null ? 'GET' : 'POST', headers: { 'Content-Type': 'application/json', ...headers }, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString(), headers: res.headers }));
    });
    req.on('error', reject);
    if (body !== null) req.end(body);
    else req.end();
  });
}

const auth = (d: ServedDaemon) => ({ Authorization: `Bearer ${d.token}` });

function events(d: ServedDaemon, subscribe: object | null, onMessage: (m: StreamMessage) => void): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${d.base.replace('http', 'ws')}/api/events?token=${d.token}`);
    ws.on('open', () => {
      if (subscribe) ws.send(JSON.stringify(subscribe));
      resolve(ws);
    });
    ws.on('message', (data) => onMessage(JSON.parse(data.toString()) as StreamMessage));
    ws.on('error', reject);
  });
}

function upgradeStatus(d: ServedDaemon, query: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`${d.base.replace('http', 'ws')}/api/events${query}`, { headers });
    ws.on('open', () => {
      ws.close();
      resolve(101);
    });
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.on('error', () => undefined);
  });
}

describe('reclaimd serve: the API over HTTP and WebSocket', () => {
  let d: ServedDaemon;
  beforeAll(async () => {
    d = await startServe(['--scenario', 'game-call']);
  });
  afterAll(async () => {
    await d?.dispose();
  });

  test('prints one URL line on 127.0.0.1 with a fresh token, and serves the renderer with a strict CSP', async () => {
    expect(d.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{40,}$/);
    const page = await post(d, '/', null);
    expect(page.status).toBe(200);
    expect(page.body).toContain('<script type="module" src="js/app.js">');
    expect(String(page.headers['content-security-policy'])).toContain("script-src 'self'");
    const script = await post(d, '/js/app.js', null);
    expect(script.status).toBe(200);
    expect(script.headers['content-type']).toMatch(/javascript/);
    expect((await post(d, '/../package.json', null)).status).toBe(404);
    // A second daemon gets another token.
    const other = await startServe(['--no-db']);
    try {
      expect(other.token).not.toBe(d.token);
    } finally {
      await other.dispose();
    }
  });

  test('a missing or wrong token is 401 for methods, metrics and the event stream', async () => {
    expect((await post(d, '/api/status', '{}')).status).toBe(401);
    expect((await post(d, '/api/status', '{}', { Authorization: 'Bearer nope' })).status).toBe(401);
    expect((await post(d, '/api/status', '{}', { Authorization: `Bearer ${d.token}x` })).status).toBe(401);
    expect((await post(d, '/metrics', null)).status).toBe(401);
    expect((await post(d, `/metrics?token=${d.token}`, null)).status).toBe(200);
    expect(await upgradeStatus(d, '')).toBe(401);
    expect(await upgradeStatus(d, '?token=wrong')).toBe(401);
    expect(await upgradeStatus(d, `?token=${d.token}`)).toBe(101);
    // An unknown method is not even disclosed without the token.
    expect((await post(d, '/api/nothing', '{}')).status).toBe(401);
  });

  test('other origins and other Host names are refused', async () => {
    const r = await post(d, '/api/status', '{}', { ...auth(d), Origin: 'http://evil.example' });
    expect(r.status).toBe(403);
    expect(JSON.parse(r.body).error).toContain('origin http://evil.example');
    expect((await post(d, '/api/status', '{}', { ...auth(d), Origin: `http://127.0.0.1:${d.port}` })).status).toBe(200);
    expect((await post(d, '/api/status', '{}', { ...auth(d), Host: `rebind.example:${d.port}` })).status).toBe(403);
    expect(await upgradeStatus(d, `?token=${d.token}`, { Origin: 'http://evil.example' })).toBe(403);
  });

  test('malformed payloads are 400 naming the field; an unknown method is 404', async () => {
    const cases: [string, string, string][] = [
      ['processes', '{"limit":0}', 'params.limit'],
      ['processes', '{"limit":"ten"}', 'params.limit'],
      ['processes', '{"lmit":5}', 'params.lmit'],
      ['priorities.set', '{"appKey":"game","priority":"urgent"}', 'params.priority'],
      ['priorities.set', '{"priority":"high"}', 'params.appKey'],
      ['history.query', '{"kind":"swap"}', 'params.kind'],
      ['history.query', '{"after":"yesterday"}', 'params.after'],
      ['reclaim.manual', '{"pid":-1,"kind":"anon"}', 'params.pid'],
      ['replay.run', '{"scenario":{"name":"game-call"},"policies":[]}', 'params.policies'],
      ['settings.set', '{"retention":{"maxAgeDays":1,"maxRows":5}}', 'params.retention.maxRows'],
      ['status', '{not json', 'params'],
      ['status', '[1,2]', 'params'],
    ];
    for (const [method, body, field] of cases) {
      const r = await post(d, `/api/${method}`, body, auth(d));
      expect({ method, body, status: r.status }).toEqual({ method, body, status: 400 });
      const e = JSON.parse(r.body) as { error: string; field: string };
      expect({ method, body, field: e.field }).toEqual({ method, body, field });
      expect(e.error).toContain(field === 'params' ? '' : field);
    }
    const unknown = await post(d, '/api/reclaim.everything', '{}', auth(d));
    expect(unknown.status).toBe(404);
    expect(JSON.parse(unknown.body).error).toBe('unknown method "reclaim.everything"');
    expect((await post(d, '/api/status', null, auth(d))).status).toBe(405);
    // Errors the service finds are named too: a policy parameter, an unknown policy, a bad scenario.
    await expect(d.client.call('settings.set', { params: { reclaim: { cooldownMs: -5 } } })).rejects.toMatchObject({ status: 400, field: 'params.params.reclaim.cooldownMs' });
    await expect(d.client.call('settings.set', { policy: 'oomd' })).rejects.toMatchObject({ status: 400, field: 'params.policy' });
    await expect(d.client.call('replay.run', { scenario: { text: '{"name":"x"}' }, policies: ['reclaim'] })).rejects.toMatchObject({ status: 400 });
    await expect(d.client.call('reclaim.manual', { pid: 4_000_000, kind: 'anon' })).rejects.toBeInstanceOf(ApiError);
  });

  test('methods work end to end: priorities persist, manual reclaim is logged, replay compares, settings apply', async () => {
    const procs = await d.client.call('processes', {});
    expect(procs.processes.length).toBeGreaterThan(0);
    const target = procs.processes.find((p) => !p.foreground)!;
    // Times in the served sim are on the wall clock, as the policy's `now` is: idle is minutes, not decades.
    for (const p of procs.processes) expect(p.why).not.toMatch(/idle \d{2,}h/);

    await d.client.call('priorities.set', { appKey: target.appKey, priority: 'protected', note: 'api test' });
    expect(await d.client.call('priorities.list', {})).toEqual([expect.objectContaining({ appKey: target.appKey, priority: 'protected', note: 'api test' })]);
    // The simulated host applies it (re-read at most once a second).
    await new Promise((r) => setTimeout(r, 1200));
    const after = await d.client.call('processes', {});
    expect(after.processes.find((p) => p.appKey === target.appKey)!.priority).toBe('protected');

    const reclaim = await d.client.call('reclaim.manual', { pid: target.pid, kind: 'file' });
    expect(reclaim).toMatchObject({ app: target.appKey, pid: target.pid, action: 'reclaim', kind: 'file', policy: 'manual', source: 'manual' });
    const history = await d.client.call('history.query', { app: target.appKey });
    expect(history.rows[0]).toMatchObject({ app: target.appKey, kind: 'file', policy: 'manual', result: reclaim.result });
    expect(await d.client.call('history.get', { id: history.rows[0].id })).toMatchObject({ id: history.rows[0].id });
    const csv = await d.client.call('history.export', { app: target.appKey });
    expect(csv.rows).toBe(1);
    expect(csv.csv.split('\n')[1]).toContain(target.appKey);

    const report = await d.client.call('replay.run', { scenario: { name: 'game-call' }, policies: ['reclaim', 'lmkd'] });
    expect(report.runs.map((r) => r.policy)).toEqual(['reclaim', 'lmkd']);
    expect(report.runs[1].metrics.agentKills).toBeGreaterThan(0);
    expect(report.runs[0].timeline.t.length).toBeGreaterThan(400);
    expect((await d.client.call('runs.list', {})).length).toBe(2);
    expect(await d.client.call('scenarios.validate', { text: '{"name":"x","duration":"zz"}' })).toMatchObject({ ok: false, issues: expect.arrayContaining([expect.objectContaining({ path: 'duration' })]) });

    const settings = await d.client.call('settings.set', { policy: 'lmkd', dryRun: true });
    expect(settings).toMatchObject({ policy: 'lmkd', dryRun: true });
    expect(await d.client.call('status', {})).toMatchObject({ policy: 'lmkd', mode: 'dry-run' });
    await d.client.call('settings.set', { policy: 'reclaim', dryRun: false });

    const metrics = await post(d, `/metrics?token=${d.token}`, null);
    expect(metrics.body).toMatch(/^reclaimd_decisions_total\{policy="manual",action="reclaim",result="\w+"\} 1$/m);
    expect(metrics.body).toMatch(/^reclaimd_pressure_level \d$/m);
  });

  test('a flood of 10,000 requests is answered or refused, and memory does not grow with it', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 200 });
    const flood = async () => {
      const statuses = new Map<number, number>();
      let next = 0;
      const worker = async () => {
        while (next < 10_000) {
          const i = next++;
          const r = await post(d, i % 2 ? '/api/status' : '/api/processes', i % 5 === 0 ? '{"limit":"x"}' : '{}', auth(d), agent);
          statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
        }
      };
      await Promise.all(Array.from({ length: 200 }, worker));
      return statuses;
    };
    await flood(); // warm up: JIT, buffers, the heap's working size
    const before = d.rssBytes();
    const statuses = await flood();
    const mid = d.rssBytes();
    await flood();
    const end = d.rssBytes();
    agent.destroy();
    const total = [...statuses.values()].reduce((a, b) => a + b, 0);
    expect(total).toBe(10_000);
    expect([...statuses.keys()].every((s) => s === 200 || s === 400 || s === 503)).toBe(true);
    expect(statuses.get(400)).toBe(2000);
    console.log(`flood: statuses ${JSON.stringify(Object.fromEntries(statuses))}; RSS ${(before / 2 ** 20).toFixed(0)} → ${(mid / 2 ** 20).toFixed(0)} → ${(end / 2 ** 20).toFixed(0)} MiB`);
    expect(mid - before).toBeLessThan(64 * 2 ** 20);
    expect(end - before).toBeLessThan(64 * 2 ** 20);
    expect((await d.client.call('status', {})).version).toBeDefined();
  });

  test('the event stream delivers live events and survives a client that stops reading', async () => {
    const crowdFile = join(d.dir, 'crowd.json');
    writeFileSync(crowdFile, execFileSync(process.execPath, [CLI, 'scenario', 'generate', '--crowd', '--apps', '1000', '--duration', '2m']));
    const busy = await startServe(['--scenario', crowdFile, '--no-db']);
    try {
      const seen: string[] = [];
      const reader = await events(busy, { streams: ['pressure', 'processes', 'status'], processesIntervalMs: 100 }, (m) => seen.push(m.stream));
      // The stalled client: asks for 1,000 processes ten times a second, then never reads.
      let stalledGot = 0;
      const stalled = await events(busy, { streams: ['processes'], processesIntervalMs: 50 }, (m) => {
        stalledGot++;
        if (m.stream === 'dropped') stalledDropped += (m.data as { count: number }).count;
      });
      let stalledDropped = 0;
      await new Promise((r) => setTimeout(r, 500));
      stalled.pause();
      const before = busy.rssBytes();
      await new Promise((r) => setTimeout(r, 8000));
      const during = busy.rssBytes();
      seen.length = 0;
      await new Promise((r) => setTimeout(r, 1500));
      // The reading client still gets its events at rate.
      expect(seen.filter((s) => s === 'processes').length).toBeGreaterThanOrEqual(5);
      expect(seen).toContain('pressure');
      const metrics = await post(busy, `/metrics?token=${busy.token}`, null);
      const dropped = Number(/^reclaimd_event_messages_dropped_total (\d+)$/m.exec(metrics.body)![1]);
      console.log(`stalled client: RSS ${(before / 2 ** 20).toFixed(0)} → ${(during / 2 ** 20).toFixed(0)} MiB, ${dropped} events dropped for it`);
      // 160 lists were due in 8 s; the kernel's socket buffers take a few dozen, 1 MiB more waits, the rest is dropped.
      expect(dropped).toBeGreaterThan(20);
      expect(during - before).toBeLessThan(96 * 2 ** 20);
      // Reading again, it learns how many it missed.
      const gotBefore = stalledGot;
      stalled.resume();
      await new Promise((r) => setTimeout(r, 2000));
      expect(stalledGot).toBeGreaterThan(gotBefore);
      expect(stalledDropped).toBeGreaterThan(0);
      reader.close();
      stalled.close();
    } finally {
      await busy.dispose();
    }
  });

  test('a long replay runs on its own thread: the agent and the API keep answering meanwhile', async () => {
    const text = execFileSync(process.execPath, [CLI, 'scenario', 'generate', '--crowd', '--apps', '1000', '--duration', '4m']).toString();
    const order: string[] = [];
    const replay = d.client.call('replay.run', { scenario: { text }, policies: ['reclaim'], store: false }).then((r) => {
      order.push('replay');
      return r;
    });
    for (let i = 0; i < 5; i++) {
      await d.client.call('status', {});
      order.push('status');
    }
    const report = await replay;
    expect(report.runs[0].timeline.t.length).toBe(240);
    // Every status call was answered while the replay was still running.
    expect(order).toEqual(['status', 'status', 'status', 'status', 'status', 'replay']);
    // Two at a time; a third is told to come back.
    const running = [1, 2].map(() => d.client.call('replay.run', { scenario: { text }, policies: ['reclaim'], store: false }));
    await expect(d.client.call('replay.run', { scenario: { name: 'quiet' }, policies: ['reclaim'] })).rejects.toMatchObject({ status: 503 });
    await Promise.all(running);
  });

  test('settings and priorities persist across restarts; the stored host is used when --host is not given', async () => {
    const first = await startServe(['--scenario', 'demo']);
    let second: ServedDaemon | null = null;
    try {
      // dryRun: the second start runs the live agent on this very machine (as root), which
      // must decide and log but touch none of its processes.
      await first.client.call('settings.set', { policy: 'proactive', allowKill: false, host: 'linux', dryRun: true });
      await first.client.call('priorities.set', { appKey: 'game', priority: 'expendable' });
      expect(await first.stop()).toBe(0);
      second = await startServe(['--scenario', 'demo', '--db', first.dbPath]);
      const status = await second.client.call('status', {});
      expect(status).toMatchObject({ policy: 'proactive', allowKill: false });
      expect(status.mode).not.toBe('active');
      expect(['linux', 'observe']).toContain(status.host); // observe-only where it lacks CAP_SYS_NICE
      expect(await second.client.call('priorities.list', {})).toEqual([expect.objectContaining({ appKey: 'game', priority: 'expendable' })]);
    } finally {
      await second?.dispose();
      await first.dispose();
    }
  });

  test('SIGTERM shuts down gracefully: every decision is in the database', async () => {
    const own = await startServe(['--scenario', 'game-call']);
    let decisions = 0;
    try {
      const procs = await own.client.call('processes', {});
      const targets = procs.processes.slice(0, 3);
      expect(targets.length).toBeGreaterThan(0);
      for (const p of targets) await own.client.call('reclaim.manual', { pid: p.pid, kind: 'anon' });
      decisions = (await own.client.call('status', {})).decisions;
      expect(decisions).toBeGreaterThanOrEqual(targets.length);
      expect(await own.stop('SIGTERM')).toBe(0);
      const m = /stopped; (\d+) decisions, (\d+) logged/.exec(own.stderr.join('\n'))!;
      expect(m).not.toBeNull();
      expect(Number(m[2])).toBe(Number(m[1]));
      expect(Number(m[1])).toBeGreaterThanOrEqual(decisions);
      const db = new Database(own.dbPath, { readonly: true });
      try {
        const n = (db.prepare('SELECT count(*) AS n FROM decisions').get() as { n: number }).n;
        expect(n).toBe(Number(m[1]));
      } finally {
        db.close();
      }
    } finally {
      await own.dispose();
    }
  });
});

describe("reclaimd serve: CSV in the daemon's time zone, one stored run per distinct replay", () => {
  // A zone with a half-hour offset and no DST: an export in UTC or without its offset shows.
  const TZ = 'Asia/Kolkata';
  let d: ServedDaemon;
  beforeAll(async () => {
    d = await startServe(['--scenario', 'quiet'], { env: { TZ } });
  });
  afterAll(async () => {
    await d?.dispose();
  });

  test('CSV times are ISO 8601 in the local time of the daemon, with its offset, beside epoch ms', async () => {
    const report = await d.client.call('replay.run', { scenario: { name: 'game-call' }, policies: ['reclaim'] });
    const runId = report.runs[0].runId!;
    const out = await d.client.call('history.export', { runId });
    expect(out.rows).toBeGreaterThan(0);
    const [header, ...lines] = out.csv.trim().split('\n');
    const columns = header.split(',');
    for (const line of lines.slice(0, 50)) {
      const cells = line.split(',');
      const ts = Number(cells[columns.indexOf('ts')]);
      const time = cells[columns.indexOf('time')];
      expect(time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+05:30$/);
      expect(Date.parse(time)).toBe(ts);
    }
  });

  test('replaying the same run again names the stored one instead of storing a duplicate; another seed is stored', async () => {
    const ask = { scenario: { name: 'tabs' }, policies: ['reclaim', 'lmkd'], seed: 7 };
    const first = await d.client.call('replay.run', ask);
    const before = await d.client.call('runs.list', {});
    expect(first.runs.map((r) => r.reused)).toEqual([false, false]);
    const again = await d.client.call('replay.run', ask);
    expect(again.runs.map((r) => [r.runId, r.reused])).toEqual(first.runs.map((r) => [r.runId, true]));
    expect(await d.client.call('runs.list', {})).toEqual(before);
    const other = await d.client.call('replay.run', { ...ask, seed: 8 });
    expect(other.runs.map((r) => r.reused)).toEqual([false, false]);
    expect((await d.client.call('runs.list', {})).length).toBe(before.length + 2);
  });
});
