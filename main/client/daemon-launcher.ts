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

/** A daemon from an api file that is alive and answers with its token; null otherwise. */
export async function findRunningDaemon(files = apiFileCandidates()): Promise<DaemonClient | null> {
  for (const file of files) {
    if (!existsSync(file)) continue;
    try {
      const info = JSON.parse(readFileSync(file, 'utf8')) as { url: string };
      const client = new DaemonClient(parseUiUrl(info.url));
      await client.call('status', {});
      return client;
    } catch {
      // Unreadable (another user's), stale (daemon gone) or refusing: try the next.
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
