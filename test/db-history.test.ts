import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DecisionLog } from '../db/decision-log';
import { csvHeader, csvLine, CSV_COLUMNS, localIsoTime } from '../db/export';
import { appTotals, historySql, queryHistory, reclaimedPerHour, type HistoryFilter } from '../db/history';
import { openDatabase, type Db } from '../db/open';
import { clearPriority, listPriorities, PriorityError, priorityMap, setPriority } from '../db/priorities';
import { pruneChunk, pruneInBackground } from '../db/retention';
import { RunRecorder } from '../db/run-recorder';
import { findSameRun, listRuns } from '../db/runs';
import { getSetting, setSetting } from '../db/settings';
import { makeDecision } from './helpers/decisions';
import { run } from './helpers/replay';

/** The compiled db/export (npm run build, which npm test runs first). */
const BUILT_EXPORT = join(__dirname, '..', 'dist', 'db', 'export.js');

let dir: string;
let db: Db;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'reclaimd-hist-'));
  db = openDatabase(join(dir, 'log.db'));
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

const count = () => (db.prepare('SELECT COUNT(*) AS n FROM decisions').get() as { n: number }).n;

function fill(n: number, t0 = 1_700_000_000_000): void {
  const log = new DecisionLog(db, { batchSize: 1000 });
  for (let i = 0; i < n; i++) log.appendDecision(makeDecision(i), t0 + i * 60_000);
  log.close();
}

describe('decision log writer', () => {
  it('batches: nothing is written until a batch fills or flush/close', () => {
    const log = new DecisionLog(db, { batchSize: 10 });
    for (let i = 0; i < 9; i++) log.appendDecision(makeDecision(i), 1000 + i);
    expect(count()).toBe(0);
    log.appendDecision(makeDecision(9), 1009);
    expect(count()).toBe(10);
    log.appendDecision(makeDecision(10), 1010);
    expect(log.close()).toMatchObject({ written: 11, buffered: 0, dropped: 0, lastError: null });
    expect(count()).toBe(11);
  });

  it('flushes on its interval for a live agent', async () => {
    const log = new DecisionLog(db, { batchSize: 1000, flushIntervalMs: 20 });
    log.appendDecision(makeDecision(0), 1);
    await new Promise((r) => setTimeout(r, 80));
    expect(count()).toBe(1);
    log.close();
  });

  it('stores every field of a decision and reads it back', () => {
    const log = new DecisionLog(db);
    log.appendDecision(makeDecision(4, 5000), 1_700_000_000_123, null);
    log.close();
    const [row] = queryHistory(db).rows;
    expect(row).toMatchObject({
      ts: 1_700_000_000_123, runId: null, host: 'sim', policy: 'reclaim', level: 'medium', source: 'psi', action: 'reclaim', kind: 'anon',
      mode: 'pageout', app: 'notes', pid: 1004, startTime: 7, requestedBytes: 64 * 1024 * 1024, reclaimedAnonBytes: 32 * 1024 * 1024,
      reclaimedFileBytes: 8 * 1024 * 1024, reclaimedBytes: 40 * 1024 * 1024, durationMs: 12.5, result: 'refused', message: 'done', dryRun: false,
      latencyUs: 40, memTotalBytes: 4096 * 1024 * 1024, swapFreeBytes: 900 * 1024 * 1024,
    });
    expect(row.candidates).toEqual([{ app: 'notes', pid: 1004, score: 970.5, eligible: true, why: 'cached (adj 900)' }]);
  });
});

describe('history queries', () => {
  it('pages newest first with a keyset cursor, and the pages add up to the whole', () => {
    fill(1234);
    const seen: number[] = [];
    let after: string | undefined;
    for (;;) {
      const page = queryHistory(db, { limit: 100, after });
      seen.push(...page.rows.map((r) => r.id));
      if (!page.next) break;
      after = page.next;
    }
    const all = (db.prepare('SELECT id FROM decisions ORDER BY ts DESC, id DESC').all() as { id: number }[]).map((r) => r.id);
    expect(seen).toEqual(all);
  });

  it('filters by time range, app, kind, level, result, action and run', () => {
    fill(500);
    const t0 = 1_700_000_000_000;
    const check = (filter: HistoryFilter, where: string, params: unknown[]) => {
      const expected = (db.prepare(`SELECT id FROM decisions WHERE ${where} ORDER BY ts DESC, id DESC LIMIT 10000`).all(...params) as { id: number }[]).map((r) => r.id);
      expect(queryHistory(db, { ...filter, limit: 10000 }).rows.map((r) => r.id)).toEqual(expected);
      expect(expected.length).toBeGreaterThan(0);
    };
    check({ app: 'game' }, 'app = ?', ['game']);
    check({ kind: 'anon', level: 'medium' }, "kind = 'anon' AND level = 'medium'", []);
    check({ result: 'gone' }, "result = 'gone'", []);
    check({ action: 'kill' }, "action = 'kill'", []);
    check({ since: t0 + 100 * 60_000, until: t0 + 200 * 60_000, app: 'chat' }, 'ts >= ? AND ts < ? AND app = ?', [t0 + 100 * 60_000, t0 + 200 * 60_000, 'chat']);
    check({ runId: null }, 'run_id IS NULL', []);
  });

  it('finds apps by part of their name, case ignored, the user\'s % _ and \\ matching only themselves, paged by keyset', () => {
    const log = new DecisionLog(db, { batchSize: 1000 });
    const names = ['org.chromium.chrome', 'Chromium-helper', 'chat', '100%_done', '100xxdone', 'back\\slash', 'backXslash'];
    for (let i = 0; i < 700; i++) {
      const d = makeDecision(i);
      (d.action as { appKey: string }).appKey = names[i % names.length];
      log.appendDecision(d, 1_700_000_000_000 + Math.floor(i / 3)); // equal times: the cursor's id breaks ties
    }
    log.close();
    const apps = (f: HistoryFilter) => new Set(queryHistory(db, { ...f, limit: 10_000 }).rows.map((r) => r.app));
    expect(apps({ appContains: 'CHRO' })).toEqual(new Set(['org.chromium.chrome', 'Chromium-helper']));
    expect(apps({ appContains: '%_' })).toEqual(new Set(['100%_done']));
    expect(apps({ appContains: '0%' })).toEqual(new Set(['100%_done']));
    expect(apps({ appContains: 'k\\s' })).toEqual(new Set(['back\\slash']));
    expect(apps({ appContains: 'nothing' })).toEqual(new Set());
    // The exact filter stays exact (an app's own detail view).
    expect(apps({ app: 'chat' })).toEqual(new Set(['chat']));
    // Keyset pages of a substring filter add up to the whole, newest first.
    const seen: number[] = [];
    let after: string | undefined;
    for (;;) {
      const page = queryHistory(db, { appContains: 'chro', limit: 37, after });
      seen.push(...page.rows.map((r) => r.id));
      if (!page.next) break;
      after = page.next;
    }
    const all = (db.prepare("SELECT id FROM decisions WHERE app IN ('org.chromium.chrome', 'Chromium-helper') ORDER BY ts DESC, id DESC").all() as { id: number }[]).map((r) => r.id);
    expect(seen).toEqual(all);
    expect(all).toHaveLength(200);
  });

  it('totals follow every filter the rows follow, and count only what was done as reclaimed or killed', () => {
    fill(500);
    const t0 = 1_700_000_000_000;
    const filters: HistoryFilter[] = [{}, { kind: 'anon' }, { level: 'critical' }, { result: 'refused' }, { action: 'kill' }, { appContains: 'GA' }, { since: t0 + 100 * 60_000, until: t0 + 200 * 60_000 }, { runId: null }];
    for (const f of filters) {
      const rows = queryHistory(db, { ...f, limit: 10_000 }).rows;
      expect(rows.length).toBeGreaterThan(0);
      const expected = new Map<string, { decisions: number; reclaims: number; kills: number; notDone: number; reclaimedAnonBytes: number }>();
      for (const r of rows) {
        const t = expected.get(r.app) ?? { decisions: 0, reclaims: 0, kills: 0, notDone: 0, reclaimedAnonBytes: 0 };
        t.decisions++;
        if (r.result === 'ok') {
          if (r.action === 'reclaim') t.reclaims++;
          else t.kills++;
          t.reclaimedAnonBytes += r.reclaimedAnonBytes;
        } else t.notDone++;
        expected.set(r.app, t);
      }
      const totals = appTotals(db, f);
      expect([f, Object.fromEntries(totals.map(({ app, decisions, reclaims, kills, notDone, reclaimedAnonBytes }) => [app, { decisions, reclaims, kills, notDone, reclaimedAnonBytes }]))]).toEqual([f, Object.fromEntries(expected)]);
    }
    // The fixture's refused and gone attempts carry bytes: none of them count as reclaimed.
    const refused = appTotals(db, { result: 'refused' });
    expect(refused.every((t) => t.reclaims === 0 && t.kills === 0 && t.notDone === t.decisions && t.reclaimedAnonBytes === 0)).toBe(true);
  });

  it('uses an index for the hot queries, never a full scan or a sort', () => {
    fill(2000);
    db.exec('ANALYZE');
    const filters: HistoryFilter[] = [{}, { app: 'game' }, { app: 'game', since: 1 }, { since: 1, until: 2e12 }, { kind: 'anon', result: 'ok' }, { after: '1700000000000:5' }, { app: 'chat', after: '1700000000000:5' }, { appContains: 'gam' }, { appContains: 'gam', after: '1700000000000:5' }];
    for (const f of filters) {
      const { sql, params } = historySql(f);
      const plan = (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[]).map((r) => r.detail).join(' | ');
      expect([f, plan]).toEqual([f, expect.stringMatching(/USING (COVERING )?INDEX decisions_(app_)?ts/)]);
      expect(plan).not.toMatch(/TEMP B-TREE/);
    }
  });

  it('sums per app and per hour', () => {
    fill(240); // 4 hours at one a minute
    const totals = appTotals(db);
    expect(totals).toHaveLength(5);
    expect(totals.reduce((s, t) => s + t.decisions, 0)).toBe(240);
    expect(totals.find((t) => t.app === 'game')).toMatchObject({ decisions: 48, reclaimedAnonBytes: 48 * 32 * 1024 * 1024 });
    const hours = reclaimedPerHour(db);
    expect(hours.map((h) => h.reclaimedFileBytes)).toEqual(hours.map(() => expect.any(Number)));
    expect(hours.reduce((s, h) => s + h.reclaimedFileBytes, 0)).toBe(240 * 8 * 1024 * 1024);
    expect(hours.reduce((s, h) => s + h.kills, 0)).toBe(4);
  });

  it('exports CSV with quoting and formula injection neutralised', () => {
    const log = new DecisionLog(db);
    const d = makeDecision(1);
    (d.action as { reason: string }).reason = '=HYPERLINK("x"), and "quotes"';
    log.appendDecision(d, 1_700_000_000_000);
    log.close();
    const line = csvLine(queryHistory(db).rows[0]);
    expect(csvHeader().split(',')).toHaveLength(line.match(/(?:^|,)("(?:[^"]|"")*"|[^,]*)/g)!.length);
    expect(line.endsWith(`"'=HYPERLINK(""x""), and ""quotes"""`)).toBe(true);
    // Local time with its offset (this process's TZ), the same instant as ts.
    const time = line.split(',')[CSV_COLUMNS.indexOf('time')];
    expect(time).toMatch(/^2023-11-1[45]T\d\d:\d\d:20\.000[+-]\d\d:\d\d$/);
    expect(Date.parse(time)).toBe(1_700_000_000_000);
  });

  it('writes times as ISO 8601 in local time with the offset of that instant (DST and half hours included)', () => {
    // In a process of its own per zone (the built module): TZ is read by the process, not by a test.
    const inZone = (tz: string, ms: number) =>
      execFileSync(process.execPath, ['-e', `process.stdout.write(require(${JSON.stringify(BUILT_EXPORT)}).localIsoTime(${ms}))`], { env: { ...process.env, TZ: tz }, encoding: 'utf8' });
    expect(inZone('America/St_Johns', 1_700_000_000_123)).toBe('2023-11-14T18:43:20.123-03:30');
    expect(inZone('America/St_Johns', 1_719_000_000_999)).toBe('2024-06-21T17:30:00.999-02:30');
    expect(inZone('Asia/Kolkata', 0)).toBe('1970-01-01T05:30:00.000+05:30');
    expect(inZone('UTC', -86_400_001)).toBe('1969-12-30T23:59:59.999+00:00');
    expect(localIsoTime(1_700_000_000_000)).toMatch(/^2023-11-1[45]T\d\d:\d\d:20\.000[+-]\d\d:\d\d$/);
  });

  it('neutralises every cell a spreadsheet would run: leading = + - @ TAB and CR (OWASP)', () => {
    const log = new DecisionLog(db);
    const starts = ['=2+2', '+2+2', '-2+2', '@SUM(A1)', '\t=2+2', '\r=2+2'];
    for (const [i, start] of starts.entries()) {
      const d = makeDecision(i * 5); // app "game" each time, so the app cell is ours to set
      (d.action as { appKey: string }).appKey = start;
      log.appendDecision(d, 1_700_000_000_000 + i);
    }
    log.close();
    const apps = queryHistory(db).rows.reverse().map((r) => csvLine(r).split(',')[CSV_COLUMNS.indexOf('app')]);
    expect(apps).toEqual(["\"'=2+2\"", "\"'+2+2\"", "\"'-2+2\"", "\"'@SUM(A1)\"", "\"'\t=2+2\"", "\"'\r=2+2\""]);
    // Numbers stay numbers: a negative value is data, not a formula.
    expect(csvLine({ ...queryHistory(db).rows[0], pid: -1 }).split(',')[CSV_COLUMNS.indexOf('pid')]).toBe('-1');
  });
});

describe('retention', () => {
  it('deletes by age and by row count in chunks', () => {
    fill(3000);
    const now = 1_700_000_000_000 + 3000 * 60_000;
    expect(pruneChunk(db, { maxAgeMs: 1000 * 60_000, maxRows: 0 }, now, 500)).toBe(500);
    while (pruneChunk(db, { maxAgeMs: 1000 * 60_000, maxRows: 0 }, now, 500) > 0);
    expect(count()).toBe(1000);
    while (pruneChunk(db, { maxAgeMs: 0, maxRows: 300 }, now, 500) > 0);
    expect(count()).toBe(300);
    const oldest = db.prepare('SELECT MIN(ts) AS ts FROM decisions').get() as { ts: number };
    expect(oldest.ts).toBe(1_700_000_000_000 + 2700 * 60_000);
  });

  it('runs in the background without blocking the event loop', async () => {
    fill(20_000);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    const result = await pruneInBackground(db, { maxAgeMs: 0, maxRows: 1000 }, Date.now(), 500);
    clearInterval(timer);
    expect(result).toEqual({ deleted: 19_000, error: null });
    expect(ticks).toBeGreaterThan(5); // timers ran between chunks
  });
});

describe('priorities, settings and runs', () => {
  it('sets, lists, overrides and clears priorities keyed by app', () => {
    setPriority(db, 'org.game', 'protected', 'my save', 10);
    setPriority(db, 'chat', 'low', '', 11);
    setPriority(db, 'org.game', 'high', 'changed', 12);
    expect(listPriorities(db)).toEqual([
      { appKey: 'chat', priority: 'low', note: '', updatedAt: 11 },
      { appKey: 'org.game', priority: 'high', note: 'changed', updatedAt: 12 },
    ]);
    expect(priorityMap(db).get('org.game')).toBe('high');
    expect(() => setPriority(db, 'x', 'urgent')).toThrow(PriorityError);
    expect(() => setPriority(db, 'x', 'urgent')).toThrow('priority must be one of protected, high, normal, low, expendable, got "urgent"');
    expect(clearPriority(db, 'chat')).toBe(true);
    expect(clearPriority(db, 'chat')).toBe(false);
  });

  it('keeps settings as JSON', () => {
    expect(getSetting(db, 'retention', { days: 30 })).toEqual({ days: 30 });
    setSetting(db, 'retention', { days: 7 });
    expect(getSetting(db, 'retention', { days: 30 })).toEqual({ days: 7 });
  });

  it('a replay stores exactly as many decision rows as its decisions metric, with its run', () => {
    for (const scenario of ['game-call', 'camera-burst']) {
      const recorder = new RunRecorder(db, { scenario, scenarioHash: 'h', policy: 'reclaim', params: {}, seed: 1, host: 'sim' }, 1_700_000_000_000);
      const result = run(scenario, 'reclaim', { onDecision: recorder.onDecision });
      const stored = recorder.finish({ ...result.metrics });
      expect(stored.log.lastError).toBeNull();
      const rows = queryHistory(db, { runId: stored.runId!, limit: 10_000 }).rows;
      expect(rows).toHaveLength(result.metrics.decisions);
      expect(rows.length).toBeGreaterThan(0);
      expect(listRuns(db)[0]).toMatchObject({ id: stored.runId, scenario, policy: 'reclaim', metrics: { decisions: result.metrics.decisions } });
    }
  });

  it('the same run replayed again is not stored twice; other parameters, seed or outcome are runs of their own', () => {
    const inputs = { scenario: 'game-call', scenarioHash: 'h', policy: 'reclaim', params: { cooldownMs: 5000, maxActionsPerSignal: 4 }, seed: 1, host: 'sim' };
    const replayed = (over: Partial<typeof inputs> = {}) => {
      const recorder = new RunRecorder(db, { ...inputs, ...over }, 1_700_000_000_000);
      const result = run('game-call', 'reclaim', { onDecision: recorder.onDecision, policyConfig: over.params ?? inputs.params, seed: over.seed ?? inputs.seed, wallClock: () => performance.now() });
      return { stored: recorder.finishUnlessStored({ ...result.metrics }), metrics: result.metrics };
    };
    const first = replayed();
    expect(first.stored).toMatchObject({ notStored: null });
    expect(first.stored.reused).toBeFalsy();
    const decisions = count();
    // Same inputs (parameters in another key order), same outcome: the stored run is named, nothing is written.
    const again = replayed({ params: { maxActionsPerSignal: 4, cooldownMs: 5000 } });
    expect(again.stored).toMatchObject({ runId: first.stored.runId, reused: true, notStored: null });
    expect(listRuns(db)).toHaveLength(1);
    expect(count()).toBe(decisions);
    expect(db.inTransaction).toBe(false);
    // Another seed or other parameters: a run of its own.
    expect(replayed({ seed: 2 }).stored.reused).toBeFalsy();
    expect(replayed({ params: { cooldownMs: 20_000, maxActionsPerSignal: 4 } }).stored.reused).toBeFalsy();
    expect(listRuns(db)).toHaveLength(3);
    // The same inputs with another outcome (reclaimd itself changed since): stored anew.
    expect(findSameRun(db, inputs, { ...first.metrics, agentKills: first.metrics.agentKills + 1 })).toBeNull();
    expect(findSameRun(db, inputs, { ...first.metrics, decisionLatencyUs: { p50: 1, p99: 2 } })).toBe(first.stored.runId);
  });
});
