import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { DaemonClient, parseUiUrl } from '../../main/client/daemon-client';

export const CLI = join(__dirname, '..', '..', 'bin', 'reclaimd.js');

export interface ServedDaemon {
  url: string;
  base: string;
  token: string;
  port: number;
  child: ChildProcess;
  client: DaemonClient;
  dir: string;
  dbPath: string;
  stderr: string[];
  /** SIGTERM and wait; resolves with the exit code. Idempotent. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /** Stop and remove the temporary directory (for afterAll / finally). */
  dispose(): Promise<void>;
  rssBytes(): number;
}

/** The real `reclaimd serve` (the built CLI) on a free port with a fresh database. */
export async function startServe(args: string[] = [], options: { wrap?: string[]; /** Added to this process's environment (TZ…). */ env?: NodeJS.ProcessEnv } = {}): Promise<ServedDaemon> {
  const dir = mkdtempSync(join(tmpdir(), 'reclaimd-serve-'));
  const dbPath = join(dir, 'reclaimd.db');
  const argv = [process.execPath, CLI, 'serve', '--port', '0', ...(args.includes('--no-db') ? [] : ['--db', dbPath]), ...args];
  const [cmd, ...rest] = [...(options.wrap ?? []), ...argv];
  const child = spawn(cmd, rest, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...options.env } });
  const stderr: string[] = [];
  createInterface({ input: child.stderr! }).on('line', (l) => stderr.push(l));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let started = false;
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL'); // never leave a daemon behind a failed start
      rmSync(dir, { recursive: true, force: true });
      reject(new Error(`serve did not print its URL in 30 s: ${stderr.join('\n')}`));
    }, 30_000);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const m = /^reclaimd: UI at (\S+)$/.exec(line);
      if (m) {
        started = true;
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    void exited.then((code) => {
      if (started) return;
      clearTimeout(timer);
      rmSync(dir, { recursive: true, force: true });
      reject(new Error(`serve exited with ${code}: ${stderr.join('\n')}`));
    });
  });
  const address = parseUiUrl(url);
  let stopped: Promise<number | null> | null = null;
  return {
    url,
    base: address.base,
    token: address.token,
    port: Number(new URL(url).port),
    child,
    client: new DaemonClient(address),
    dir,
    dbPath,
    stderr,
    stop: (signal = 'SIGTERM') =>
      (stopped ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) child.kill(signal);
        const kill = setTimeout(() => child.kill('SIGKILL'), 15_000);
        const code = await exited;
        clearTimeout(kill);
        return code;
      })()),
    dispose: async function (this: ServedDaemon) {
      await this.stop();
      rmSync(dir, { recursive: true, force: true });
    },
    rssBytes: () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))![1]) * 1024,
  };
}
