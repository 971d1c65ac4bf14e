// `reclaimd serve` when its database cannot be written or read: the agent and the UI still
// run, the API says why history is missing, nothing is lost that the disk accepted.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tmpfs } from './helpers/tmpfs';
import { startServe } from './helpers/serve';

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
        expect(report.runs[0].runId).toBeNull();
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
});
