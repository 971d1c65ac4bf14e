// `reclaimd serve` when its database cannot be written or read: the agent and the UI still
// run, the API says why history is missing, nothing is lost that the disk accepted.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tmpfs } from './helpers/tmpfs';
import { CLI, startServe } from './helpers/serve';

describe('serve with a database it cannot use', () => {
  test('a read-only filesystem: the agent runs without a log and every page says why', async () => {
    const fs = Tmpfs.create(4096);
    if (typeof fs === 'string') {
      console.log(`skipped: ${fs}`);
      return;
    }
    try {
      fs.readOnly(true);
      const d = await startServe(['--db', join(fs.dir, 'reclaimd.db')]);
      try {
        expect(d.stderr.join('\n')).toMatch(/decision log disabled: .*read-only/i);
        const status = await d.client.call('status', {});
        expect(status.mode).toBe('active');
        expect(status.limits.join(' ')).toMatch(/no decision log: .*read-only/i);
        await expect(d.client.call('priorities.list', {})).rejects.toMatchObject({ status: 503, message: expect.stringMatching(/no decision log/) });
        await expect(d.client.call('history.query', {})).rejects.toMatchObject({ status: 503 });
        // Live views and replays do not need the log.
        expect((await d.client.call('processes', {})).processes.length).toBeGreaterThan(0);
        const report = await d.client.call('replay.run', { scenario: { name: 'quiet' }, policies: ['reclaim'] });
        expect(report.runs[0]).toMatchObject({ runId: null, notStored: expect.stringMatching(/no decision log: .*read-only/i) });
      } finally {
        await d.dispose();
      }
    } finally {
      fs.dispose();
    }
  });

  test('a file that is not a database is refused at start with the reason, exit 2', async () => {
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'reclaimd-notdb-'));
    try {
      const file = join(dir, 'notes.db');
      writeFileSync(file, 'these are my notes, not a database\n'.repeat(200));
      await expect(startServe(['--db', file])).rejects.toThrow(/serve exited with 2: reclaimd: .*notes\.db.*not .*database/i);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a damaged database is refused at start, exit 2, byte for byte unchanged', async () => {
    const { mkdtempSync, rmSync, openSync, writeSync, closeSync, readFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { spawnSync } = await import('node:child_process');
    const dir = mkdtempSync(join(tmpdir(), 'reclaimd-damaged-'));
    try {
      const file = join(dir, 'x.db');
      expect(spawnSync(process.execPath, [CLI, 'replay', 'day-2g', '--db', file]).status).toBe(0);
      const fd = openSync(file, 'r+');
      writeSync(fd, Buffer.alloc(8192, 0x41), 0, 8192, 12288);
      closeSync(fd);
      const before = readFileSync(file);
      await expect(startServe(['--db', file])).rejects.toThrow(/serve exited with 2: reclaimd: .*x\.db: the file is damaged .*nothing was written to it/);
      expect(readFileSync(file).equals(before)).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('an existing log on a read-only filesystem: the reason names the read-only filesystem', async () => {
    const fs = Tmpfs.create(4096);
    if (typeof fs === 'string') return;
    try {
      const file = join(fs.dir, 'reclaimd.db');
      const { spawnSync } = await import('node:child_process');
      expect(spawnSync(process.execPath, [CLI, 'priorities', 'set', 'game', 'high', '--db', file]).status).toBe(0);
      fs.readOnly(true);
      const d = await startServe(['--db', file]);
      try {
        expect((await d.client.call('status', {})).limits.join(' ')).toMatch(/no decision log: .*reclaimd\.db.*read-only/i);
      } finally {
        await d.dispose();
      }
    } finally {
      fs.dispose();
    }
  });

  test('a full disk: priorities and settings answer 507 naming it; a stored replay says why it was not stored', async () => {
    const fs = Tmpfs.create(1024);
    if (typeof fs === 'string') return;
    try {
      const d = await startServe(['--db', join(fs.dir, 'reclaimd.db')]);
      try {
        await d.client.call('priorities.set', { appKey: 'game', priority: 'high' });
        fs.fill();
        await expect(d.client.call('priorities.set', { appKey: 'chat', priority: 'low' })).rejects.toMatchObject({ status: 507, message: expect.stringMatching(/priority not saved: disk full at /) });
        await expect(d.client.call('settings.set', { dryRun: true })).rejects.toMatchObject({ status: 507, message: expect.stringMatching(/not saved: disk full at /) });
        const report = await d.client.call('replay.run', { scenario: { name: 'day-2g' }, policies: ['reclaim'], store: true });
        expect(report.runs[0]).toMatchObject({ runId: null, notStored: expect.stringMatching(/disk full at /) });
        expect((await d.client.call('runs.list', {})).length).toBe(0);
      } finally {
        await d.dispose();
      }
    } finally {
      fs.dispose();
    }
  });

  test('the database file moved away while serve runs: writing stops, status and writes say why, nothing recreated', async () => {
    const { renameSync, existsSync } = await import('node:fs');
    const d = await startServe([]);
    try {
      await d.client.call('priorities.set', { appKey: 'game', priority: 'high' });
      expect((await d.client.call('status', {})).db.lastError).toBeNull();
      renameSync(d.dbPath, `${d.dbPath}.old`);
      expect((await d.client.call('status', {})).db.lastError).toMatch(/reclaimd\.db: was moved or deleted while open; writing stopped/);
      await expect(d.client.call('priorities.set', { appKey: 'chat', priority: 'low' })).rejects.toMatchObject({ status: 503, message: expect.stringMatching(/moved or deleted/) });
      expect(await d.stop()).toBe(0);
      expect(d.stderr.join('\n')).toMatch(/logging failed: .*moved or deleted/);
      expect(existsSync(d.dbPath)).toBe(false);
    } finally {
      await d.dispose();
    }
  });
});
