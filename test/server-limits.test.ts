// The limits of `reclaimd serve`'s HTTP/WebSocket server, each against the real binary over
// real loopback sockets: tokenless connections cannot lock the API out, hostile JSON nesting
// is refused before it is parsed, an oversized chunked body gets its 413, and every refusal
// is counted in /metrics.
import { request as httpRequest } from 'node:http';
import { connect, type Socket } from 'node:net';
import WebSocket from 'ws';
import { startServe, type ServedDaemon } from './helpers/serve';

interface Reply {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

/** One request on a connection of its own (no keep-alive agent), as a fresh client makes it. */
function call(d: ServedDaemon, path: string, body: string | null, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${d.base}${path}`, { method: body === null ? 'GET' : 'POST', agent: false, headers: { 'Content-Type': 'application/json', ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString(), headers: res.headers }));
    });
    req.on('error', reject);
    req.end(body ?? undefined);
  });
}

const auth = (d: ServedDaemon) => ({ Authorization: `Bearer ${d.token}` });

async function refused(d: ServedDaemon, reason: string): Promise<number> {
  const r = await call(d, `/metrics?token=${d.token}`, null);
  const m = new RegExp(`^reclaimd_http_refused_total\\{reason="${reason}"\\} (\\d+)$`, 'm').exec(r.body);
  expect(r.status).toBe(200);
  return m ? Number(m[1]) : 0; // absent = never counted (the assertions on it then fail)
}

/** A TCP connection to the daemon that sends nothing (or what it is told), resolved once connected. */
function openSocket(d: ServedDaemon, send?: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(d.port, '127.0.0.1', () => {
      if (send) s.write(send);
      resolve(s);
    });
    s.once('error', reject);
  });
}

const closed = (s: Socket) => new Promise<void>((resolve) => (s.destroyed ? resolve() : s.once('close', () => resolve())));

describe('reclaimd serve: connection, body and nesting limits', () => {
  let d: ServedDaemon;
  const sockets: Socket[] = [];
  beforeAll(async () => {
    d = await startServe(['--no-db']);
  });
  afterEach(() => {
    for (const s of sockets.splice(0)) s.destroy();
  });
  afterAll(async () => {
    await d?.dispose();
  });

  test('520 idle tokenless connections (over the cap of 512) do not lock out a client with the token', async () => {
    const evictedBefore = await refused(d, 'conn_cap');
    for (let i = 0; i < 520; i++) {
      const s = await openSocket(d);
      s.on('error', () => undefined);
      sockets.push(s);
    }
    for (let i = 0; i < 5; i++) {
      const r = await call(d, '/api/status', '{}', auth(d));
      expect(r.status).toBe(200);
    }
    // The oldest idle ones made room, and were counted.
    expect(await refused(d, 'conn_cap')).toBeGreaterThan(evictedBefore);
    expect(sockets.filter((s) => s.destroyed || s.readableEnded).length).toBeGreaterThan(0);
  });

  test('an attacker that reconnects every connection it loses still cannot starve the API', async () => {
    let stop = false;
    let reconnects = 0;
    const hold = async (): Promise<void> => {
      while (!stop) {
        const s = await openSocket(d).catch(() => null);
        if (!s) continue;
        s.on('error', () => undefined);
        sockets.push(s);
        await closed(s);
        reconnects++;
      }
    };
    const holders = Array.from({ length: 530 }, hold);
    await new Promise((r) => setTimeout(r, 500));
    const statuses: number[] = [];
    for (let i = 0; i < 30; i++) statuses.push((await call(d, '/api/status', '{}', auth(d))).status);
    stop = true;
    for (const s of sockets.splice(0)) s.destroy();
    await Promise.all(holders);
    expect(statuses).toEqual(Array(30).fill(200));
    expect(reconnects).toBeGreaterThan(0);
  });

  test('a connection that sends no complete request is closed after a short timeout, and counted', async () => {
    const before = await refused(d, 'idle_timeout');
    const silent = await openSocket(d);
    // Slowloris: the headers begun, never finished.
    const slow = await openSocket(d, `POST /api/status HTTP/1.1\r\nHost: 127.0.0.1:${d.port}\r\n`);
    sockets.push(silent, slow);
    const got: Buffer[] = [];
    silent.on('data', (c: Buffer) => got.push(c));
    await Promise.all([closed(silent), closed(slow)]);
    // Closed without a word: there was no request to answer.
    expect(Buffer.concat(got).toString()).toBe('');
    expect(await refused(d, 'idle_timeout')).toBeGreaterThanOrEqual(before + 2);
    // A client with the token is not touched by it.
    expect((await call(d, '/api/status', '{}', auth(d))).status).toBe(200);
  });

  test('a body nested deeper than 64 levels is a 400 naming the depth, before it is parsed', async () => {
    const before = await refused(d, 'too_deep');
    const n = 1_000_000;
    const r = await call(d, '/api/status', '['.repeat(n) + ']'.repeat(n), auth(d));
    expect(r.status).toBe(400);
    const e = JSON.parse(r.body) as { error: string; field: string };
    expect(e.field).toBe('params');
    expect(e.error).toContain('deeper than 64 levels');
    expect(e.error).toContain('character 64');
    expect(await refused(d, 'too_deep')).toBe(before + 1);
    // Brackets inside strings are text, not nesting.
    const inString = await call(d, '/api/scenarios.validate', JSON.stringify({ text: '{"name":"' + '['.repeat(200) + '"}' }), auth(d));
    expect(inString.status).toBe(200);
    expect(JSON.parse(inString.body).issues[0].message).not.toContain('deeper');
  });

  test('a 4.8 MB [[[…]]] scenario to scenarios.validate is refused naming the depth, and the daemon keeps answering', async () => {
    const n = 2_400_000;
    const text = '['.repeat(n) + ']'.repeat(n);
    const validating = call(d, '/api/scenarios.validate', JSON.stringify({ text }), auth(d));
    const status = await call(d, '/api/status', '{}', auth(d));
    expect(status.status).toBe(200);
    const r = await validating;
    expect(r.status).toBe(200);
    const v = JSON.parse(r.body) as { ok: boolean; issues: { path: string; message: string }[] };
    expect(v.ok).toBe(false);
    expect(v.issues).toEqual([{ path: '(file)', message: expect.stringContaining('deeper than 64 levels') }]);
    // The same text to replay.run is a 400.
    const replay = await call(d, '/api/replay.run', JSON.stringify({ scenario: { text }, policies: ['reclaim'] }), auth(d));
    expect(replay.status).toBe(400);
    expect(JSON.parse(replay.body).error).toContain('deeper than 64 levels');
  });

  test('an event-stream message nested too deep is answered with an error naming the depth', async () => {
    const ws = new WebSocket(`${d.base.replace('http', 'ws')}/api/events?token=${d.token}`);
    const errors: string[] = [];
    ws.on('message', (data) => {
      const m = JSON.parse(data.toString()) as { stream: string; data: { error?: string } };
      if (m.stream === 'error') errors.push(m.data.error ?? '');
    });
    await new Promise((r) => ws.once('open', r));
    ws.send('['.repeat(30_000) + ']'.repeat(30_000));
    while (errors.length === 0) await new Promise((r) => setTimeout(r, 20));
    ws.close();
    expect(errors[0]).toContain('deeper than 64 levels');
  });

  test('a chunked body over 6 MiB gets a proper 413 with Connection: close, not a reset', async () => {
    const before = await refused(d, 'too_large');
    const reply = await new Promise<Reply>((resolve, reject) => {
      // No Content-Length: Node sends it chunked.
      const req = httpRequest(`${d.base}/api/status`, { method: 'POST', agent: false, headers: { ...auth(d), 'Content-Type': 'application/json' } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString(), headers: res.headers }));
      });
      req.on('error', reject);
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      let sent = 0;
      const write = () => {
        while (sent < 8 * 2 ** 20) {
          sent += chunk.length;
          if (!req.write(chunk)) return void req.once('drain', write);
        }
        req.end();
      };
      write();
    });
    expect(reply.status).toBe(413);
    expect(reply.headers['transfer-encoding']).toBeUndefined();
    expect(reply.headers.connection).toBe('close');
    expect(JSON.parse(reply.body).error).toContain(`over ${6 * 2 ** 20} bytes`);
    expect(await refused(d, 'too_large')).toBe(before + 1);
  });

  test('a declared Content-Length over 6 MiB is a 413 at once, without sending the body', async () => {
    const before = await refused(d, 'too_large');
    const s = await openSocket(d, `POST /api/status HTTP/1.1\r\nHost: 127.0.0.1:${d.port}\r\nAuthorization: Bearer ${d.token}\r\nContent-Type: application/json\r\nContent-Length: ${100 * 2 ** 20}\r\n\r\n`);
    sockets.push(s);
    const text = await new Promise<string>((resolve) => {
      let got = '';
      s.on('data', (c: Buffer) => {
        got += c.toString();
        if (/\r\n\r\n[\s\S]*\}$/.test(got)) resolve(got);
      });
    });
    expect(text).toMatch(/^HTTP\/1\.1 413 /);
    expect(text).toMatch(/\r\nConnection: close\r\n/i);
    expect(text).toContain(`at most ${6 * 2 ** 20} are accepted`);
    await closed(s);
    expect(await refused(d, 'too_large')).toBe(before + 1);
  });

  test('calls over the 64 in progress are 503 busy, and counted', async () => {
    const before = await refused(d, 'busy');
    // 64 calls with the token whose bodies never finish arriving: each holds its place.
    for (let i = 0; i < 64; i++) {
      sockets.push(await openSocket(d, `POST /api/status HTTP/1.1\r\nHost: 127.0.0.1:${d.port}\r\nAuthorization: Bearer ${d.token}\r\nContent-Type: application/json\r\nContent-Length: 10\r\n\r\n{`));
    }
    let r = await call(d, '/api/status', '{}', auth(d));
    for (let i = 0; r.status !== 503 && i < 50; i++) {
      await new Promise((res) => setTimeout(res, 100));
      r = await call(d, '/api/status', '{}', auth(d));
    }
    expect(r.status).toBe(503);
    expect(r.headers['retry-after']).toBe('1');
    expect(await refused(d, 'busy')).toBeGreaterThan(before);
    for (const s of sockets.splice(0)) s.destroy();
    // Their places are given back when they go.
    r = await call(d, '/api/status', '{}', auth(d));
    for (let i = 0; r.status !== 200 && i < 50; i++) {
      await new Promise((res) => setTimeout(res, 100));
      r = await call(d, '/api/status', '{}', auth(d));
    }
    expect(r.status).toBe(200);
  });
});
