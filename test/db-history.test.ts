import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DecisionLog } from '../db/decision-log';
import { csvHeader, csvLine, CSV_COLUMNS } from '../db/export';
import { appTotals, historySql, queryHistory, reclaimedPerHour, type HistoryFilter } from '../db/history';
import { openDatabase, type Db } from '../db/open';
import { clearPriority, listPriorities, PriorityError, priorityMap, setPriority } from '../db/priorities';
import { pruneChunk, pruneInBackground } from '../db/retention';
import { RunRecorder } from '../db/run-recorder';
import { listRuns } from '../db/runs';
import { getSetting, setSetting } from '../db/settings';
import { makeDecision } from './helpers/decisions';
import { run } from './helpers/replay';

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

  it('uses an index for the hot queries, never a full scan or a sort', () => {
    fill(2000);
    db.exec('ANALYZE');
    const filters: HistoryFilter[] = [{}, { app: 'game' }, { app: 'game', since: 1 }, { since: 1, until: 2e12 }, { kind: 'anon', result: 'ok' }, { after: '1700000000000:5' }, { app: 'chat', after: '1700000000000:5' }];
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
    expect(line).toContain('2023-11-14T22:13:20.000Z');
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
});
