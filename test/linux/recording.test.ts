import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openDatabase } from '../../db/open';
import { recordingRows } from '../../db/recordings';
import { kernelTestsUnavailable, skipNote } from '../helpers/kernel';
import { useKernelFixture } from '../helpers/kernel-fixture';
import { startServe } from '../helpers/serve';

const BIN = join(__dirname, '..', '..', 'bin', 'reclaimd.js');
const unavailable = kernelTestsUnavailable();
const d = unavailable ? describe.skip : describe;
if (unavailable) skipNote('recording tests', unavailable);

/** The memcg's limit: the agent test's, where vmpressure and PSI were seen on this machine. */
const MEMCG_BYTES = 256 * 1024 * 1024;
/** An allocator larger than the memcg: each pass over it makes the kernel reclaim (pressure). */
const ALLOCATOR_MIB = 300;
/** How long the agent records: room for the apps, the allocator's pressure and its exit. */
const RECORD_S = 24;

const cli = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 120_000 });

d('a real recording on this machine', () => {
  const k = useKernelFixture('recording');

  it('run --record in a memcg under pressure → recording export → scenario validate → replay; --anonymize leaves no name or command line', async () => {
    const memcg = k.memcg(`reclaimd-rec-${process.pid}`, MEMCG_BYTES);
    const db = join(k.dir, 'rec.db');
    const background = await k.hogs.start(80, 40, memcg.wrap());
    const foreground = await k.hogs.start(60, 20, memcg.wrap());
    const agent = spawn(process.execPath, [BIN, 'run', '--memcg', memcg.path, '--foreground', String(foreground.pid), '--record', '--db', db, '--duration', `${RECORD_S}s`, '--policy', 'reclaim'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    agent.stderr!.on('data', (b: Buffer) => (err += b.toString()));
    const exited = new Promise<number | null>((resolve) => agent.on('exit', (code) => resolve(code)));
    try {
      await new Promise((r) => setTimeout(r, 3000)); // the apps recorded as they are
      const allocator = await k.hogs.start(ALLOCATOR_MIB, 0, memcg.wrap());
      const until = Date.now() + 12_000;
      while (Date.now() < until) {
        allocator.kill('SIGUSR1'); // touch it all again: reclaim on charge, a stall PSI sees
        await new Promise((r) => setTimeout(r, 200));
      }
      allocator.kill('SIGKILL'); // an exit to record
    } finally {
      // A failing check above must not leave the agent running into the next test.
      if ((await Promise.race([exited, new Promise((r) => setTimeout(() => r('running'), RECORD_S * 1000 + 15_000))])) === 'running') agent.kill('SIGINT');
    }
    expect(await exited).toBe(0);
    expect(err).toMatch(/recording #1\b/);
    expect(err).not.toMatch(/stopped early/);

    const list = JSON.parse(cli('recording', 'list', '--db', db, '--json').stdout);
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ id: 1, host: 'linux', scope: memcg.path, stopReason: null });
    expect(list[0].processes).toBe(3);
    const rows = recordingRows(openDatabase(db, { readonly: true }), 1);
    const kinds = new Set(rows.map((r) => r.kind));
    for (const kind of ['appear', 'exit', 'pressure', 'rss']) expect(kinds).toContain(kind);

    const out = join(k.dir, 'recording.json');
    const exp = cli('recording', 'export', '1', '--db', db, '--out', out);
    expect(exp.stderr).toContain(`wrote ${out}`);
    expect(exp.status).toBe(0);
    const validate = cli('scenario', 'validate', out);
    expect(validate.stdout).toMatch(/valid scenario "recording-1" \(3 apps/);
    expect(validate.status).toBe(0);
    const scenario = JSON.parse(readFileSync(out, 'utf8'));
    expect(scenario.recorded.policy).toBe('reclaim');
    expect(scenario.apps.map((a: { id: string }) => a.id)).toEqual(['memhog', 'memhog-2', 'memhog-3']);
    // The allocator is larger than its memcg: it faulted its own pages back all along (majflt), a touch rate the export keeps.
    expect(scenario.apps[2].backgroundTouch).toBeGreaterThan(0);
    expect(rows.filter((r) => r.kind === 'rss').every((r) => r.majorFaults !== null)).toBe(true);
    expect(scenario.timeline).toEqual(expect.arrayContaining([expect.objectContaining({ do: 'close', app: 'memhog-3' }), expect.objectContaining({ do: 'foreground', app: 'memhog-2' })]));

    const text = cli('replay', out, '--policy', 'reclaim', '--compare', 'lmkd,none');
    expect(text.status).toBe(0);
    process.stdout.write(`recording exported: ${scenario.description}\n${JSON.stringify(scenario.recorded)}\n${text.stdout}\n`);
    expect(text.stdout).toMatch(/^metric\s+reclaim\s+lmkd\s+none\s+recorded$/m);
    const json = JSON.parse(cli('replay', out, '--compare', 'lmkd,none', '--json').stdout);
    expect(json.recorded).toEqual(scenario.recorded);

    // Privacy: the anonymized file holds app labels only — no process name, command line or memcg path.
    const anon = join(k.dir, 'anonymous.json');
    expect(cli('recording', 'export', '1', '--db', db, '--out', anon, '--anonymize').status).toBe(0);
    const anonText = readFileSync(anon, 'utf8');
    const secrets = new Set<string>([memcg.path, memcg.name, k.hogs.bin, k.hogs.dir]);
    for (const r of rows.filter((x) => x.kind === 'appear')) {
      for (const s of [r.appKey, r.name, r.cmdline]) if (s) secrets.add(s);
      for (const word of (r.cmdline ?? '').split(' ')) if (word.length > 2 && !/^\d+$/.test(word)) secrets.add(word);
    }
    expect(secrets.size).toBeGreaterThan(3);
    for (const s of secrets) expect({ secret: s, found: anonText.includes(s) }).toEqual({ secret: s, found: false });
    expect(JSON.parse(anonText).apps.map((a: { id: string }) => a.id)).toEqual(['app-1', 'app-2', 'app-3']);
    expect(cli('scenario', 'validate', anon).status).toBe(0);
  }, 180_000);

  it("serve --host linux: the Record setting starts and stops a recording, is saved, and starts it again at the next start", async () => {
    const memcg = k.memcg(`reclaimd-rec-serve-${process.pid}`, MEMCG_BYTES);
    await k.hogs.start(40, 10, memcg.wrap());
    const db = join(k.dir, 'serve.db');
    const first = await startServe(['--host', 'linux', '--memcg', memcg.path, '--db', db]);
    try {
      expect((await first.client.call('status', {})).recording).toBeNull();
      await first.client.call('settings.set', { record: true });
      expect((await first.client.call('status', {})).recording).toMatchObject({ id: 1, active: true, stopReason: null });
      await new Promise((r) => setTimeout(r, 2500));
      expect((await first.client.call('settings.set', { record: false })).record).toBe(false);
      const stopped = (await first.client.call('status', {})).recording!;
      expect(stopped).toMatchObject({ id: 1, active: false, stopReason: null });
      expect(stopped.rows).toBeGreaterThan(2);
      expect(await first.client.call('recordings.list', {})).toEqual([expect.objectContaining({ id: 1, host: 'linux', scope: memcg.path, processes: 1 })]);
      await first.client.call('settings.set', { record: true }); // saved: the next start records
    } finally {
      await first.dispose();
    }
    const second = await startServe(['--host', 'linux', '--memcg', memcg.path, '--db', db]);
    try {
      expect((await second.client.call('status', {})).recording).toMatchObject({ id: 3, active: true });
      expect(second.stderr.join('\n')).toContain('recording 3 started');
    } finally {
      await second.dispose();
    }
    const ended = JSON.parse(cli('recording', 'list', '--db', db, '--json').stdout) as { id: number; endedAt: number | null; stopReason: string | null }[];
    expect(ended.map((r) => [r.id, r.endedAt !== null, r.stopReason])).toEqual([[3, true, null], [2, true, null], [1, true, null]]);
  }, 120_000);
});
