import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, renameSync, rmSync, statSync, truncateSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
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

describe('a file that goes bad under a running writer', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'reclaimd-runtime-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const bytes = (file: string) => ['', '-wal'].map((s) => (existsSync(file + s) ? readFileSync(file + s).toString('hex') : '')).join('|');

  it('damage found by a write (SQLITE_CORRUPT) stops all writing to that file and says so', () => {
    const file = join(dir, 'log.db');
    const setup = openDatabase(file);
    const log = new DecisionLog(setup, { batchSize: 50 });
    for (let i = 0; i < 400; i++) log.appendDecision(makeDecision(i), 1000 + i);
    log.close();
    setup.pragma('wal_checkpoint(TRUNCATE)');
    setup.close();
    // Damage the decisions table's root page, as a bad disk block would.
    const raw = new Database(file);
    const root = (raw.prepare("SELECT rootpage FROM sqlite_master WHERE name = 'decisions'").get() as { rootpage: number }).rootpage;
    raw.close();
    const fd = openSync(file, 'r+');
    writeSync(fd, Buffer.alloc(4096, 0x41), 0, 4096, (root - 1) * 4096);
    closeSync(fd);
    // A connection opened before the damage (no open check to stop it): the writer meets it.
    const db = new Database(file);
    const writer = new DecisionLog(db, { batchSize: 10 });
    for (let i = 0; i < 10; i++) writer.appendDecision(makeDecision(i), 5000 + i);
    expect(writer.status.lastError).toMatch(/log\.db: the file is damaged \(SQLITE_CORRUPT.*\); writing to it has stopped\. Move it aside/);
    const after = bytes(file);
    for (let i = 0; i < 100; i++) writer.appendDecision(makeDecision(i), 6000 + i);
    writer.flush();
    expect(bytes(file)).toBe(after);
    expect(writer.close().lastError).toMatch(/writing to it has stopped/);
    db.close();
  });

  it('a file moved away while open: no row goes to the unlinked file, the log says so, the new file is untouched', () => {
    const file = join(dir, 'log.db');
    const db = openDatabase(file);
    const writer = new DecisionLog(db, { batchSize: 10 });
    for (let i = 0; i < 10; i++) writer.appendDecision(makeDecision(i), 1000 + i);
    expect(writer.status.written).toBe(10);
    renameSync(file, join(dir, 'moved.db'));
    for (let i = 0; i < 10; i++) writer.appendDecision(makeDecision(i), 2000 + i);
    expect(writer.status).toMatchObject({ written: 10, lastError: expect.stringMatching(/log\.db: was moved or deleted while open; writing stopped/) });
    writeFileSync(file, 'a new file at the same path');
    writer.flush();
    expect(writer.status.lastError).toMatch(/moved or deleted/);
    db.close();
    expect(readFileSync(file, 'utf8')).toBe('a new file at the same path');
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
      expect(r.status).toBe(3); // replayed, but nothing stored
      expect(JSON.parse(r.stdout).runs[0]).toMatchObject({ runId: null, notStored: expect.stringMatching(/read-only/) });
      expect(JSON.parse(r.stdout).runs[0].metrics.decisions).toBeGreaterThan(0);
      expect(r.stderr).toMatch(/^reclaimd: decision log disabled: .*log\.db: .*(read-only|readonly|SQLITE_READONLY|SQLITE_CANTOPEN|SQLITE_IOERR)/im);
      expect(readFileSync(file).equals(before)).toBe(true);
    } finally {
      fs.readOnly(false);
    }
  });

  it('a disk that fills during replay --db: each run is stored whole or not at all, with the reason', () => {
    if (typeof fs === 'string') return;
    const file = join(fs.dir, 'runs.db');
    openDatabase(file).close();
    // Leave ~48 KiB: room for some decisions, not for every run of day-2g.
    const filler = fs.fill();
    truncateSync(filler, Math.max(0, statSync(filler).size - 48 * 1024));
    const r = spawnSync(process.execPath, [join(__dirname, '..', 'bin', 'reclaimd.js'), 'replay', 'day-2g', '--compare', 'lmkd,none', '--db', file, '--json'], { encoding: 'utf8' });
    const runs = JSON.parse(r.stdout).runs as { runId: number | null; notStored: string | null; metrics: { decisions: number } }[];
    expect(runs.some((run) => run.runId === null)).toBe(true);
    expect(r.status).toBe(3);
    unlinkSync(filler);
    const db = new Database(file, { readonly: true });
    try {
      for (const run of runs) {
        if (run.runId === null) {
          expect(run.notStored).toMatch(/disk full at /);
          continue;
        }
        expect(run.notStored).toBeNull();
        expect((db.prepare('SELECT COUNT(*) AS n FROM decisions WHERE run_id = ?').get(run.runId) as { n: number }).n).toBe(run.metrics.decisions);
      }
      // No run row without all of its decisions: the stored runs are exactly the reported ones.
      const ids = (db.prepare('SELECT id FROM runs').all() as { id: number }[]).map((x) => x.id);
      expect(ids).toEqual(runs.filter((x) => x.runId !== null).map((x) => x.runId));
      expect((db.prepare('SELECT COUNT(*) AS n FROM decisions WHERE run_id IS NOT NULL AND run_id NOT IN (SELECT id FROM runs)').get() as { n: number }).n).toBe(0);
    } finally {
      db.close();
    }
  });

  it('read-only mount: history, runs and priorities list read an existing log; a write names the read-only filesystem', () => {
    if (typeof fs === 'string') return;
    const file = join(fs.dir, 'log.db');
    const bin = join(__dirname, '..', 'bin', 'reclaimd.js');
    expect(spawnSync(process.execPath, [bin, 'replay', 'game-call', '--db', file], { encoding: 'utf8' }).status).toBe(0);
    expect(spawnSync(process.execPath, [bin, 'priorities', 'set', 'game', 'high', '--db', file], { encoding: 'utf8' }).status).toBe(0);
    const before = readFileSync(file);
    fs.readOnly(true);
    try {
      const run = (...args: string[]) => spawnSync(process.execPath, [bin, ...args, '--db', file], { encoding: 'utf8' });
      const history = run('history', '--json', '--limit', '10000');
      expect(history.stderr).toBe('');
      expect(JSON.parse(history.stdout).length).toBeGreaterThan(0);
      expect(JSON.parse(run('runs', '--json').stdout)).toHaveLength(1);
      expect(run('priorities', 'list').stdout).toMatch(/^game\s+high/);
      const write = run('priorities', 'set', 'chat', 'low');
      expect(write.status).toBe(2);
      expect(write.stderr).toMatch(/log\.db: .*read-only/);
      expect(readFileSync(file).equals(before)).toBe(true);
    } finally {
      fs.readOnly(false);
    }
  });

  it('replay --db on a full disk still replays, says the run was not stored and why, and exits 3', () => {
    if (typeof fs === 'string') return;
    const file = join(fs.dir, 'cli.db');
    openDatabase(file).close();
    fs.fill();
    const r = spawnSync(process.execPath, [join(__dirname, '..', 'bin', 'reclaimd.js'), 'replay', 'tabs', '--db', file, '--json'], { encoding: 'utf8' });
    expect(r.status).toBe(3);
    const run = JSON.parse(r.stdout).runs[0];
    expect(run.metrics.decisions).toBeGreaterThan(0);
    expect(run).toMatchObject({ runId: null, notStored: expect.stringMatching(/disk full at /) });
    expect(r.stderr).toMatch(/reclaimd: (run reclaim not stored \(none of its \d+ decisions\)|decision log disabled): .*disk full at /);
  });
});
