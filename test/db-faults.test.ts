import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { DecisionLog, type DecisionLogStatus } from '../db/decision-log';
import { openDatabase } from '../db/open';
import { makeDecision } from './helpers/decisions';
import { Tmpfs } from './helpers/tmpfs';
import { spawnSync } from 'node:child_process';

const count = (db: Database.Database) => (db.prepare('SELECT COUNT(*) AS n FROM decisions').get() as { n: number }).n;

describe('crash safety', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'reclaimd-crash-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('a writer SIGKILLed mid-storm loses no committed row; a reader reads meanwhile; the file stays sound', async () => {
    const file = join(dir, 'storm.db');
    openDatabase(file).close();
    const child = spawn(process.execPath, [join(__dirname, 'fixtures', 'storm-writer.js'), file, '200'], {
      env: { ...process.env, DECISION: JSON.stringify(makeDecision(1)) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    try {
      let committed = 0;
      let buffer = '';
      child.stdout.on('data', (chunk: Buffer) => {
        buffer += chunk.toString();
        const lines = buffer.split('\n');
        buffer = lines.pop()!;
        for (const l of lines) committed = Math.max(committed, Number(l.split(' ')[1]));
      });
      // A second connection reads while the storm goes on: it must see a growing, consistent log.
      const reader = new Database(file, { readonly: true, timeout: 5000 });
      const seen: number[] = [];
      while (committed < 20_000) {
        seen.push(count(reader));
        await new Promise((r) => setTimeout(r, 5));
      }
      reader.close();
      expect(seen.length).toBeGreaterThan(2);
      expect([...seen].sort((a, b) => a - b)).toEqual(seen);
      expect(seen[seen.length - 1]).toBeGreaterThan(0);
      child.kill('SIGKILL');
      expect(await exited).toBe('SIGKILL');
      const lastReported = committed;

      const db = openDatabase(file);
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      const rows = count(db);
      expect(rows).toBeGreaterThanOrEqual(lastReported);
      expect(rows % 200).toBe(0); // whole batches only: a transaction is all or nothing
      db.close();
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });
});

describe('a disk that refuses writes', () => {
  let fs: Tmpfs | string;
  beforeEach(() => {
    fs = Tmpfs.create(8192);
    if (typeof fs === 'string') process.stdout.write(`SKIP disk fault tests: ${fs}\n`);
  });
  afterEach(() => {
    if (typeof fs !== 'string') fs.dispose();
  });

  it('full: the agent keeps going, the failure is reported, and rows are written once there is room', () => {
    if (typeof fs === 'string') return;
    const db = openDatabase(join(fs.dir, 'log.db'));
    const statuses: DecisionLogStatus[] = [];
    const log = new DecisionLog(db, { batchSize: 100, onStatus: (s) => statuses.push(s) });
    for (let i = 0; i < 100; i++) log.appendDecision(makeDecision(i), 1000 + i);
    expect(count(db)).toBe(100);
    const filler = fs.fill();
    for (let i = 100; i < 1500; i++) expect(() => log.appendDecision(makeDecision(i), 1000 + i)).not.toThrow();
    expect(log.status.lastError).toMatch(/SQLITE_FULL/);
    expect(statuses[0].lastError).toMatch(/SQLITE_FULL: database or disk is full/);
    expect(log.status.buffered).toBeGreaterThan(0);
    unlinkSync(filler);
    const status = log.close();
    expect(status).toMatchObject({ lastError: null, buffered: 0, dropped: 0, written: 1500 });
    expect(count(db)).toBe(1500);
    expect(statuses[statuses.length - 1].lastError).toBeNull();
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    db.close();
  });

  it('read-only: the replay runs, says the log is disabled and why, and the file is untouched', () => {
    if (typeof fs === 'string') return;
    const file = join(fs.dir, 'log.db');
    const db = openDatabase(file);
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.close();
    const before = readFileSync(file);
    // With no file open for writing, the filesystem can be made read-only for real.
    fs.readOnly(true);
    try {
      const r = spawnSync(process.execPath, [join(__dirname, '..', 'bin', 'reclaimd.js'), 'replay', 'game-call', '--db', file, '--json'], { encoding: 'utf8' });
      expect(r.status).toBe(0);
      expect(JSON.parse(r.stdout).runs[0].metrics.decisions).toBeGreaterThan(0);
      expect(r.stderr).toMatch(/^reclaimd: decision log disabled: .*log\.db: .*(read-only|readonly|SQLITE_READONLY|SQLITE_CANTOPEN|SQLITE_IOERR)/im);
      expect(readFileSync(file).equals(before)).toBe(true);
    } finally {
      fs.readOnly(false);
    }
  });

  it('replay --db on a full disk still replays and says the log failed', () => {
    if (typeof fs === 'string') return;
    const file = join(fs.dir, 'cli.db');
    openDatabase(file).close();
    fs.fill();
    const r = spawnSync(process.execPath, [join(__dirname, '..', 'bin', 'reclaimd.js'), 'replay', 'tabs', '--db', file, '--json'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).runs[0].metrics.decisions).toBeGreaterThan(0);
    expect(r.stderr).toMatch(/reclaimd: decision (log for reclaim: SQLITE_FULL|log disabled)/);
  });
});
