// Soak: the real `reclaimd serve` (simulated host, loopback, one database) under a bounded
// mixed load for a few minutes — API calls, WebSocket stream clients coming and going,
// stored replays — and a SIGKILL of the process every ~30 s followed by a restart on the same
// database. After each restart: PRAGMA integrity_check is ok and no stored row count went
// down. Reports RSS (start, end, max, growth per interval), requests per type, every error.
// `npm run bench:soak [-- --seconds N]`; not part of `npm test`.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import Database from 'better-sqlite3';
import { DaemonClient, parseUiUrl } from '../main/client/daemon-client';
import { ApiError } from '../common/api/api-error';

const CLI = join(__dirname, '..', '..', 'bin', 'reclaimd.js');
/** Default length: long enough for six kill/restart cycles, short enough to run by hand. */
const DEFAULT_SECONDS = 180;
/** How often serve is SIGKILLed and restarted on the same database. */
const KILL_EVERY_MS = 30_000;
/** Concurrent API callers: the load is steady but leaves the 2-core machine usable. */
const API_WORKERS = 4;
/** A hard cap on API requests, so the soak is bounded in count as well as time. */
const MAX_REQUESTS = 200_000;
/** Stream clients open at once; each lives 1–4 s, then unsubscribes and another takes its place. */
const STREAM_CLIENTS = 3;
/** One stored replay at a time, back to back (the daemon runs two at most). */
const REPLAY_SCENARIO = 'quiet';
/** Tables the load itself deletes from (priorities.clear): their counts may go down. */
const SHRINKING_TABLES = new Set(['priorities']);
/** RSS is sampled this often. */
const RSS_SAMPLE_MS = 2000;

interface Serve {
  child: ChildProcess;
  client: DaemonClient;
  exited: Promise<void>;
}

const counts = new Map<string, number>();
const errors: string[] = [];
const count = (what: string) => counts.set(what, (counts.get(what) ?? 0) + 1);

function startServe(dbPath: string): Promise<Serve> {
  const child = spawn(process.execPath, [CLI, 'serve', '--port', '0', '--db', dbPath, '--scenario', 'demo'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  createInterface({ input: child.stderr! }).on('line', (l) => {
    if (/error|warn/i.test(l)) errors.push(`serve stderr: ${l}`);
  });
  return new Promise<Serve>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('serve did not print its URL in 30 s')), 30_000);
    createInterface({ input: child.stdout! }).on('line', (l) => {
      const m = /^reclaimd: UI at (\S+)$/.exec(l);
      if (m) {
        clearTimeout(timer);
        resolve({ child, client: new DaemonClient(parseUiUrl(m[1])), exited });
      }
    });
    void exited.then(() => reject(new Error(`serve exited before it was ready`)));
  });
}

function rssBytes(pid: number): number | null {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;
  } catch {
    return null;
  }
}

/** integrity_check and every table's row count, read-only, while serve runs. */
function checkDatabase(dbPath: string): { integrity: string; rows: Record<string, number> } {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    const integrity = (db.pragma('integrity_check') as { integrity_check: string }[]).map((r) => r.integrity_check).join('; ');
    const tables = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`).all() as { name: string }[];
    const rows = Object.fromEntries(tables.map(({ name }) => [name, (db.prepare(`SELECT count(*) AS n FROM "${name}"`).get() as { n: number }).n]));
    return { integrity, rows };
  } finally {
    db.close();
  }
}

async function main(): Promise<void> {
  const secondsArg = process.argv.indexOf('--seconds');
  const seconds = secondsArg >= 0 ? Number(process.argv[secondsArg + 1]) : DEFAULT_SECONDS;
  if (!Number.isFinite(seconds) || seconds < 10 || seconds > 3600) throw new Error(`--seconds: expected 10 to 3600, got "${process.argv[secondsArg + 1]}"`);
  const dir = mkdtempSync(join(tmpdir(), 'reclaimd-soak-'));
  const dbPath = join(dir, 'soak.db');
  const goodScenario = readFileSync(join(__dirname, '..', '..', 'scenarios', 'quiet.json'), 'utf8');
  const badScenario = '{"name": "soak-bad", "durationMs": -1}';
  const end = Date.now() + seconds * 1000;
  let serve = await startServe(dbPath);
  /** Between a kill and the new serve being ready, connection errors are expected. */
  let killWindow = false;
  let requests = 0;
  const rss: { at: number; bytes: number; life: number }[] = [];
  const lives: { startRss: number; endRss: number; maxRss: number; seconds: number }[] = [];
  let life = 0;
  let lifeStart = Date.now();
  const restarts: { integrity: string; decreased: string[] }[] = [];
  let lastRows: Record<string, number> = {};

  const sampleRss = () => {
    const b = rssBytes(serve.child.pid!);
    if (b !== null && !killWindow) rss.push({ at: Date.now(), bytes: b, life });
  };
  const sampler = setInterval(sampleRss, RSS_SAMPLE_MS);
  sampleRss();

  /** A request that began before a kill, or during a restart, may fail to connect: expected. */
  const failure = (what: string, err: unknown, startedInLife: number) => {
    if (err instanceof ApiError) {
      errors.push(`${what}: HTTP ${err.status} ${err.message}`);
      return;
    }
    if (killWindow || startedInLife !== life) count('connection error in a kill window (expected)');
    else errors.push(`${what}: ${(err as Error).message}`);
  };

  const calls: [string, () => Promise<unknown>][] = [
    ['status', () => serve.client.call('status', {})],
    ['processes', () => serve.client.call('processes', { limit: 200 })],
    ['history.query', () => serve.client.call('history.query', { limit: 100, summary: true })],
    ['priorities.set', () => serve.client.call('priorities.set', { appKey: `soak-${requests % 20}`, priority: 'expendable' })],
    ['priorities.clear', () => serve.client.call('priorities.clear', { appKey: `soak-${requests % 20}` })],
    ['settings.get', () => serve.client.call('settings.get', {})],
    ['scenarios.validate (good)', () => serve.client.call('scenarios.validate', { text: goodScenario }).then((v) => v.ok || errors.push(`good scenario refused: ${JSON.stringify(v)}`))],
    ['scenarios.validate (bad)', () => serve.client.call('scenarios.validate', { text: badScenario }).then((v) => !v.ok || errors.push('bad scenario accepted'))],
    // An invalid request on purpose: a 400 is the expected answer.
    ['bad params (400 expected)', () => serve.client.call('processes', { limit: -1 } as never).then(() => errors.push('bad params: accepted'), (e: unknown) => {
      if (e instanceof ApiError && e.status === 400) return;
      throw e;
    })],
  ];
  const apiWorker = async (w: number) => {
    for (let i = w; Date.now() < end && requests < MAX_REQUESTS; i++) {
      const [name, call] = calls[i % calls.length];
      requests++;
      const startedInLife = killWindow ? -1 : life;
      try {
        await call();
        count(name);
      } catch (err) {
        failure(name, err, startedInLife);
        if (killWindow) await new Promise((r) => setTimeout(r, 200));
      }
    }
  };
  const streamClient = async () => {
    while (Date.now() < end) {
      let events = 0;
      const unsubscribe = serve.client.subscribe(['status', 'pressure', 'processes', 'decision'], () => events++, 500);
      await new Promise((r) => setTimeout(r, 1000 + Math.random() * 3000));
      unsubscribe();
      count('stream subscriptions');
      counts.set('stream events', (counts.get('stream events') ?? 0) + events);
    }
  };
  const replays = async () => {
    while (Date.now() < end) {
      const startedInLife = killWindow ? -1 : life;
      try {
        await serve.client.call('replay.run', { scenario: { name: REPLAY_SCENARIO }, policies: ['reclaim'], store: true });
        count('replay.run (stored)');
      } catch (err) {
        if (err instanceof ApiError && err.status === 503) count('replay.run busy (503, expected)');
        else failure('replay.run', err, startedInLife);
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  };
  const killer = async () => {
    while (Date.now() + KILL_EVERY_MS < end) {
      await new Promise((r) => setTimeout(r, KILL_EVERY_MS));
      const before = rss.filter((x) => x.life === life).map((x) => x.bytes);
      lives.push({ startRss: before[0] ?? 0, endRss: before[before.length - 1] ?? 0, maxRss: Math.max(0, ...before), seconds: Math.round((Date.now() - lifeStart) / 1000) });
      killWindow = true;
      serve.child.kill('SIGKILL');
      await serve.exited;
      const check = checkDatabase(dbPath);
      const decreased = Object.entries(lastRows)
        .filter(([t, n]) => !SHRINKING_TABLES.has(t) && (check.rows[t] ?? 0) < n)
        .map(([t, n]) => `${t} ${n} → ${check.rows[t] ?? 0}`);
      serve = await startServe(dbPath);
      const after = checkDatabase(dbPath);
      restarts.push({ integrity: check.integrity === 'ok' && after.integrity === 'ok' ? 'ok' : `${check.integrity} / ${after.integrity}`, decreased });
      if (restarts[restarts.length - 1].integrity !== 'ok') errors.push(`integrity_check after kill ${restarts.length}: ${restarts[restarts.length - 1].integrity}`);
      for (const d of decreased) errors.push(`stored rows went down after kill ${restarts.length}: ${d}`);
      lastRows = after.rows;
      life++;
      lifeStart = Date.now();
      killWindow = false;
      sampleRss();
      count('kill + restart');
    }
  };

  lastRows = checkDatabase(dbPath).rows;
  try {
    await Promise.all([...Array.from({ length: API_WORKERS }, (_, w) => apiWorker(w)), ...Array.from({ length: STREAM_CLIENTS }, streamClient), replays(), killer()]);
  } finally {
    clearInterval(sampler);
    const last = rss.filter((x) => x.life === life).map((x) => x.bytes);
    lives.push({ startRss: last[0] ?? 0, endRss: last[last.length - 1] ?? 0, maxRss: Math.max(0, ...last), seconds: Math.round((Date.now() - lifeStart) / 1000) });
    serve.child.kill('SIGTERM');
    await serve.exited;
    const final = checkDatabase(dbPath);
    if (final.integrity !== 'ok') errors.push(`integrity_check at the end: ${final.integrity}`);
    rmSync(dir, { recursive: true, force: true });
    const MiB = (b: number) => Math.round((b / 1048576) * 10) / 10;
    console.log(`soak: ${seconds} s, ${requests} API requests, ${restarts.length} kills + restarts on one database`);
    console.log('\ninterval  seconds  RSS start  RSS end  RSS max  growth (MiB)');
    lives.forEach((l, i) => console.log(`${String(i + 1).padStart(8)}  ${String(l.seconds).padStart(7)}  ${String(MiB(l.startRss)).padStart(9)}  ${String(MiB(l.endRss)).padStart(7)}  ${String(MiB(l.maxRss)).padStart(7)}  ${String(MiB(l.endRss - l.startRss)).padStart(6)}`));
    console.log('\nrequests by type');
    for (const [k, v] of [...counts].sort()) console.log(`  ${k.padEnd(40)} ${v}`);
    console.log(`\nrestarts: ${restarts.map((r, i) => `#${i + 1} integrity ${r.integrity}, rows down: ${r.decreased.length ? r.decreased.join(', ') : 'none'}`).join('; ') || 'none'}`);
    console.log(`errors: ${errors.length}${errors.length ? '\n  ' + errors.slice(0, 50).join('\n  ') : ''}`);
    const all = rss.map((x) => x.bytes);
    console.log(
      JSON.stringify({
        bench: 'soak',
        seconds,
        requests,
        kills: restarts.length,
        rssStartMiB: MiB(all[0] ?? 0),
        rssEndMiB: MiB(all[all.length - 1] ?? 0),
        rssMaxMiB: MiB(Math.max(0, ...all)),
        growthPerIntervalMiB: lives.map((l) => MiB(l.endRss - l.startRss)),
        counts: Object.fromEntries(counts),
        integrity: restarts.every((r) => r.integrity === 'ok') && final.integrity === 'ok' ? 'ok' : 'FAILED',
        errors: errors.length,
      }),
    );
    if (errors.length) process.exitCode = 1;
  }
}

void main().catch((err) => {
  process.stderr.write(`bench/soak failed: ${(err as Error).stack}\n`);
  process.exitCode = 1;
});
