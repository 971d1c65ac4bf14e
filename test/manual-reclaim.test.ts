// A manual reclaim takes the engine's path: over the real API of `reclaimd serve`, a second
// request on a process whose reclaim is still running is refused by the engine's
// one-action-per-process guard, the foreground is refused by the protection rule, and both
// are logged as decisions. Before, the Agent executed manual requests itself and both
// reclaims ran at once on the same process.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServe, type ServedDaemon } from './helpers/serve';

// "big": 800 MiB of anon on a phone that compresses a page in 12 µs (device-profiles.ts):
// paging it out takes the simulator ~2.5 s of real time, the window the second request lands in.
const SCENARIO = {
  name: 'manual-overlap',
  description: 'one big background app, one foreground app, no pressure',
  device: 'phone-4g',
  duration: '10m',
  seed: 1,
  apps: [
    { id: 'big', anon: '800MiB', file: '40MiB' },
    { id: 'front', anon: '100MiB', file: '20MiB' },
  ],
  timeline: [
    { at: '0s', do: 'launch', app: 'big' },
    { at: '1s', do: 'foreground', app: 'front' },
  ],
};

describe('manual reclaim goes through the engine', () => {
  let d: ServedDaemon;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'reclaimd-manual-'));
    const file = join(dir, 'scenario.json');
    writeFileSync(file, JSON.stringify(SCENARIO));
    // `none` plans nothing: the only actions are the test's.
    d = await startServe(['--scenario', file, '--policy', 'none']);
    // Wait until the foreground switch has been played.
    for (let i = 0; i < 50; i++) {
      const procs = await d.client.call('processes', {});
      if (procs.processes.some((p) => p.appKey === 'front' && p.foreground)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
  });
  afterAll(async () => {
    await d?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a second reclaim of the same process while the first runs is refused, and both are logged', async () => {
    const big = (await d.client.call('processes', {})).processes.find((p) => p.appKey === 'big')!;
    expect(big.rssAnonBytes).toBeGreaterThan(700 * 2 ** 20);
    const [first, second] = await Promise.all([
      d.client.call('reclaim.manual', { pid: big.pid, kind: 'anon' }),
      d.client.call('reclaim.manual', { pid: big.pid, kind: 'anon' }),
    ]);
    const results = [first, second].map((r) => r.result).sort();
    expect(results).toEqual(['ok', 'refused']);
    const refused = [first, second].find((r) => r.result === 'refused')!;
    expect(refused.message).toBe('an action on this process is already in flight');
    const ok = [first, second].find((r) => r.result === 'ok')!;
    expect(ok.reclaimedAnonBytes).toBeGreaterThan(700 * 2 ** 20);
    const history = await d.client.call('history.query', { app: 'big' });
    expect(history.rows.map((r) => r.result).sort()).toEqual(['ok', 'refused']);
    // Every decision has its own sequence: manual ones share the engine's.
    expect(new Set(history.rows.map((r) => r.id)).size).toBe(2);
  });

  test('the foreground app is refused by the protection rule, not executed', async () => {
    const front = (await d.client.call('processes', {})).processes.find((p) => p.appKey === 'front')!;
    expect(front.foreground).toBe(true);
    const r = await d.client.call('reclaim.manual', { pid: front.pid, kind: 'all' });
    expect(r).toMatchObject({ result: 'refused', message: 'front is never touched: foreground app', policy: 'manual', source: 'manual' });
    expect(r.reclaimedBytes).toBe(0);
  });
});
