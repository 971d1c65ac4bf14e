// The server's limits under attack, timed (`npm run bench:server`): how long a `status`
// call with the token takes while 520 tokenless connections sit idle or reconnect, while a
// 4.8 MB [[[…]]] is being validated, and how soon an 8 MiB chunked body gets its 413.
// The tests (test/server-limits.test.ts) assert that these succeed; here is how fast.
import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { percentiles } from '../runs/replay';

const CLI = join(__dirname, '..', '..', 'bin', 'reclaimd.js');

interface Daemon {
  base: string;
  port: number;
  token: string;
  stop(): void;
}

function serve(): Promise<Daemon> {
  const child = spawn(process.execPath, [CLI, 'serve', '--port', '0', '--no-db'], { stdio: ['ignore', 'pipe', 'ignore'] });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const m = /^reclaimd: UI at (\S+)$/.exec(line);
      if (!m) return;
      const url = new URL(m[1]);
      resolve({ base: url.origin, port: Number(url.port), token: url.searchParams.get('token')!, stop: () => child.kill('SIGTERM') });
    });
  });
}

/** One call on a fresh connection; resolves with the status (0 for a reset) and the milliseconds. */
function timed(d: Daemon, method: string, body: string | Buffer[]): Promise<{ status: number; ms: number }> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const req = request(`${d.base}/api/${method}`, { method: 'POST', agent: false, headers: { Authorization: `Bearer ${d.token}` } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - t0 }));
    });
    req.on('error', () => resolve({ status: 0, ms: performance.now() - t0 }));
    if (typeof body === 'string') return void req.end(body);
    const write = (): void => {
      while (body.length > 0) if (!req.write(body.shift()!)) return void req.once('drain', write);
      req.end();
    };
    write();
  });
}

async function statusCalls(d: Daemon, n: number): Promise<string> {
  const results: { status: number; ms: number }[] = [];
  for (let i = 0; i < n; i++) results.push(await timed(d, 'status', '{}'));
  const ok = results.filter((r) => r.status === 200);
  const p = percentiles(ok.map((r) => r.ms));
  return `${ok.length}/${n} ok, p50 ${p.p50.toFixed(1)} ms, p99 ${p.p99.toFixed(1)} ms, max ${Math.max(...results.map((r) => r.ms)).toFixed(1)} ms`;
}

function idleSocket(d: Daemon): Promise<Socket> {
  return new Promise((resolve) => {
    const s = connect(d.port, '127.0.0.1', () => resolve(s));
    s.on('error', () => undefined);
  });
}

async function main(): Promise<void> {
  const d = await serve();
  try {
    await statusCalls(d, 20); // warm-up
    console.log(`status, nothing else:                     ${await statusCalls(d, 50)}`);

    const idle: Socket[] = [];
    for (let i = 0; i < 520; i++) idle.push(await idleSocket(d));
    console.log(`status, 520 idle tokenless connections:    ${await statusCalls(d, 50)}`);
    for (const s of idle) s.destroy();

    let stop = false;
    const attackers: Socket[] = [];
    const hold = async (): Promise<void> => {
      while (!stop) {
        const s = await idleSocket(d);
        attackers.push(s);
        await new Promise((r) => s.once('close', r));
      }
    };
    const holders = Array.from({ length: 530 }, hold);
    await new Promise((r) => setTimeout(r, 500));
    console.log(`status, 530 tokenless reconnecting:        ${await statusCalls(d, 50)}`);
    stop = true;
    for (const s of attackers) s.destroy();
    await Promise.all(holders);

    const n = 2_400_000;
    const deep = JSON.stringify({ text: '['.repeat(n) + ']'.repeat(n) });
    const validating = timed(d, 'scenarios.validate', deep);
    const during = await timed(d, 'status', '{}');
    const v = await validating;
    console.log(`4.8 MB [[[…]]] to scenarios.validate:      ${v.status} in ${v.ms.toFixed(0)} ms; a status call meanwhile ${during.ms.toFixed(0)} ms`);

    const chunks = Array.from({ length: 128 }, () => Buffer.alloc(64 * 1024, 0x20));
    const big = await timed(d, 'status', chunks);
    console.log(`8 MiB chunked body:                        ${big.status} in ${big.ms.toFixed(0)} ms`);
  } finally {
    d.stop();
  }
}

void main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
