// How the desktop window reaches a daemon (main/client), for real: a privileged daemon
// announced in an api file is found; a stale or unreadable file is passed over; otherwise
// an unprivileged one is started and its URL read.
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiFileCandidates, findRunningDaemon, loopbackAddress, startDaemonProcess } from '../main/client/daemon-launcher';
import { CLI, startServe } from './helpers/serve';

describe('finding or starting the daemon for the window', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'reclaimd-launcher-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('a running daemon is found through its api file (0640), which it removes on exit', async () => {
    const apiFile = join(dir, 'run', 'api.json');
    const d = await startServe(['--no-db', '--api-file', apiFile]);
    try {
      expect((statSync(apiFile).mode & 0o777).toString(8)).toBe('640');
      expect(JSON.parse(readFileSync(apiFile, 'utf8'))).toMatchObject({ url: d.url, port: d.port, token: d.token, pid: d.child.pid });
      const client = await findRunningDaemon([join(dir, 'missing.json'), apiFile]);
      expect(client).not.toBeNull();
      expect((await client!.call('status', {})).host).toBe('sim');
    } finally {
      await d.dispose();
    }
    expect(existsSync(apiFile)).toBe(false);
  });

  test('stale, garbled or unreadable api files are passed over', async () => {
    const stale = join(dir, 'stale.json');
    writeFileSync(stale, JSON.stringify({ url: 'http://127.0.0.1:9/?token=abc', port: 9, token: 'abc', pid: 999999 }));
    const garbled = join(dir, 'garbled.json');
    writeFileSync(garbled, '{"url": ');
    const locked = join(dir, 'locked.json');
    writeFileSync(locked, '{}');
    chmodSync(locked, 0o000);
    expect(await findRunningDaemon([stale, garbled, locked])).toBeNull();
    expect(apiFileCandidates({ XDG_RUNTIME_DIR: '/run/user/1000' })).toEqual(['/run/reclaimd/api.json', '/run/user/1000/reclaimd/api.json']);
    expect(apiFileCandidates({ RECLAIMD_API_FILE: '/x.json' })[0]).toBe('/x.json');
  });

  test('an api file naming a non-loopback URL is refused before any request, and said', async () => {
    // A real server on this machine's non-loopback address, counting what reaches it.
    const external = Object.values(networkInterfaces()).flat().find((a) => a && !a.internal && a.family === 'IPv4')?.address;
    if (!external) throw new Error('this test needs a non-loopback IPv4 address on this machine');
    const seen: string[] = [];
    const server = createServer((req, res) => {
      seen.push(`${req.method} ${req.url} ${req.headers.authorization ?? ''}`);
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify({ host: 'linux' }));
    });
    await new Promise<void>((r) => server.listen(0, external, r));
    try {
      const port = (server.address() as { port: number }).port;
      const foreign = join(dir, 'foreign.json');
      writeFileSync(foreign, JSON.stringify({ url: `http://${external}:${port}/?token=secret`, port, token: 'secret', pid: 1 }));
      const reports: string[] = [];
      expect(await findRunningDaemon([foreign], (m) => reports.push(m))).toBeNull();
      expect(seen).toEqual([]);
      expect(reports).toEqual([`${foreign}: refused the daemon URL http://${external}:${port}: not a loopback address (127.0.0.0/8 or [::1]); the daemon only listens there`]);
    } finally {
      await new Promise((r) => server.close(r));
    }
    expect(() => loopbackAddress('http://127.0.0.1:7420/?token=t', 'f')).not.toThrow();
    expect(() => loopbackAddress('http://127.1.2.3:7420/?token=t', 'f')).not.toThrow();
    expect(() => loopbackAddress('http://[::1]:7420/?token=t', 'f')).not.toThrow();
    for (const url of ['http://localhost.evil.example:7420/?token=t', 'http://127.0.0.1.evil.example/?token=t', 'http://[::ffff:10.0.0.1]/?token=t', 'http://0.0.0.0:7420/?token=t']) {
      expect(() => loopbackAddress(url, 'f')).toThrow(/not a loopback address/);
    }
  });

  test('otherwise an unprivileged daemon is started and its printed URL used', async () => {
    const started = await startDaemonProcess({ node: process.execPath, cli: CLI, args: ['--no-db'] });
    try {
      const status = await started.client.call('status', {});
      expect(status).toMatchObject({ host: 'sim', mode: 'active' });
      expect(started.client.address.base).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    } finally {
      started.child?.kill('SIGTERM');
      await new Promise((r) => started.child?.once('exit', r));
    }
  });

  test('a daemon that cannot start is reported with its own words', async () => {
    await expect(startDaemonProcess({ node: process.execPath, cli: CLI, args: ['--policy', 'oomd'] })).rejects.toThrow(/unknown policy "oomd"/);
  });
});
