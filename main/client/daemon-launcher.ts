import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { DaemonClient, parseUiUrl, type DaemonAddress } from './daemon-client';

export interface RunningDaemon {
  client: DaemonClient;
  /** The daemon this window started (stop it on quit), or null when it joined a running one. */
  child: ChildProcess | null;
}

/**
 * Where a privileged daemon announces itself: the systemd unit's RuntimeDirectory, the
 * user's runtime directory, or RECLAIMD_API_FILE.
 */
export function apiFileCandidates(env: NodeJS.ProcessEnv = process.env): string[] {
  return [env.RECLAIMD_API_FILE, '/run/reclaimd/api.json', env.XDG_RUNTIME_DIR ? join(env.XDG_RUNTIME_DIR, 'reclaimd', 'api.json') : undefined].filter((p): p is string => !!p);
}

/** An api file's daemon URL that is not on loopback. */
export class NotLoopbackError extends Error {}

/**
 * The address of a daemon named in an api file, if it is on this machine's loopback. The
 * daemon only listens there; a file naming any other host is not the daemon's (a tampered
 * or foreign file), and calling it would hand the token to that host.
 */
export function loopbackAddress(url: string, file: string): DaemonAddress {
  const address = parseUiUrl(url);
  const host = new URL(address.base).hostname;
  const loopback = /^127(\.\d{1,3}){3}$/.test(host) || host === '[::1]';
  if (!loopback) throw new NotLoopbackError(`${file}: refused the daemon URL ${address.base}: not a loopback address (127.0.0.0/8 or [::1]); the daemon only listens there`);
  return address;
}

/**
 * A daemon from an api file that is alive and answers with its token; null otherwise.
 * A file naming a non-loopback URL is refused before any request, and said through `report`.
 */
export async function findRunningDaemon(files = apiFileCandidates(), report: (message: string) => void = () => undefined): Promise<DaemonClient | null> {
  for (const file of files) {
    if (!existsSync(file)) continue;
    let address: DaemonAddress;
    try {
      const info = JSON.parse(readFileSync(file, 'utf8')) as { url: string };
      address = loopbackAddress(info.url, file);
    } catch (err) {
      // Unreadable (another user's) or garbled: try the next; a foreign URL is worth saying.
      if (err instanceof NotLoopbackError) report(err.message);
      continue;
    }
    try {
      const client = new DaemonClient(address);
      await client.call('status', {});
      return client;
    } catch {
      // Stale (daemon gone) or refusing: try the next.
    }
  }
  return null;
}

export interface StartDaemonOptions {
  /** The Node to run it with; in a packaged app Electron itself, as Node (ELECTRON_RUN_AS_NODE). */
  node: string;
  env?: NodeJS.ProcessEnv;
  /** The reclaimd CLI script (bin/reclaimd.js). */
  cli: string;
  args?: string[];
  timeoutMs?: number;
}

/** Start an unprivileged `reclaimd serve` and wait for the URL it prints. */
export function startDaemonProcess(options: StartDaemonOptions): Promise<RunningDaemon> {
  const child = spawn(options.node, [options.cli, 'serve', '--port', '0', ...(options.args ?? [])], {
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    const errors: string[] = [];
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      reject(new Error(`the daemon did not start within ${options.timeoutMs ?? 30_000} ms: ${errors.join(' ')}`));
    }, options.timeoutMs ?? 30_000);
    createInterface({ input: child.stderr! }).on('line', (line) => errors.push(line));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const m = /^reclaimd: UI at (\S+)$/.exec(line);
      if (!m) return;
      clearTimeout(timer);
      let address: DaemonAddress;
      try {
        address = parseUiUrl(m[1]);
      } catch (err) {
        reject(err);
        return;
      }
      resolve({ client: new DaemonClient(address), child });
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the daemon exited with code ${code}: ${errors.join(' ')}`));
    });
  });
}
