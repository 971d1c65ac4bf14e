import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { priorityMap } from '../../db/priorities';
import { pruneInBackground } from '../../db/retention';
import type { Scenario } from '../../host/scenario/scenario';
import { createBuiltinRegistry } from '../../policy-engine/policies/index';
import type { UserPriority } from '../../policy-engine/types';
import type { Settings, StatusInfo } from '../api/contract';
import { EventHub } from '../server/event-hub';
import { startApiServer, type ApiServer } from '../server/http-server';
import { prometheusText } from '../server/prometheus';
import { newToken } from '../server/security';
import { Agent } from './agent';
import { createAgentHost } from './agent-host';
import { openAgentStore } from './agent-store';
import { createService, DEFAULT_SETTINGS, loadSettings, retentionPolicy } from './service';

export interface DaemonOptions {
  /** The host; when not given, the stored setting (the Settings page), else sim. */
  host?: 'sim' | 'linux';
  scenario: Scenario;
  memcg?: string;
  /** Command-line choices; they override the stored settings. */
  overrides: Partial<Settings>;
  dbPath: string | null;
  port: number;
  bindHost: string;
  staticDir: string;
  /** Where to write { url, port, token, pid } for the Electron window to find this daemon. */
  apiFile?: string;
  log: (line: string) => void;
}

export interface Daemon {
  url: string;
  port: number;
  token: string;
  agent: Agent;
  server: ApiServer;
  /** Stop serving, stop the agent, flush the decision log; resolves with what was written. */
  stop(): Promise<{ written: number; lastError: string | null }>;
}

const STATUS_EVERY_MS = 2000;
const RETENTION_EVERY_MS = 3_600_000;


/** The agent, the decision log and the API server, wired together. */
export async function startDaemon(options: DaemonOptions): Promise<Daemon> {
  const registry = createBuiltinRegistry();
  const store = openAgentStore(options.dbPath, options.log);
  const { db, problem: dbProblem } = store;
  const settings = loadSettings(db, DEFAULT_SETTINGS, options.overrides);
  const hostKind = options.host ?? (settings.host === 'linux' ? 'linux' : 'sim');
  let priorities: ReadonlyMap<string, UserPriority> = new Map();
  let prioritiesReadAt = 0;
  // The priority editor writes to the database; the host re-reads it at most once a second.
  const currentPriorities = () => {
    if (db && Date.now() - prioritiesReadAt > 1000) {
      priorities = priorityMap(db);
      prioritiesReadAt = Date.now();
    }
    return priorities;
  };
  const host = createAgentHost({ kind: hostKind, scenario: options.scenario, memcg: options.memcg, priorities: currentPriorities, log: options.log });
  const agent = new Agent(host, { policy: settings.policy, params: settings.params, dryRun: settings.dryRun, allowKill: settings.allowKill }, registry, store.logs);
  agent.start();

  const version = packageVersion();
  const service = createService({ agent, registry, db, dbPath: options.dbPath, dbProblem, version, requestedHost: hostKind, onPrioritiesChanged: () => (prioritiesReadAt = 0) });
  const hub = new EventHub({ processes: () => agent.processes() });
  const decisionSub = agent.decisions$.subscribe((d) => hub.publish('decision', d));
  const sampleSub = agent.samples$.subscribe((s) => hub.publish('pressure', s));
  const statusTimer = setInterval(() => hub.publish('status', service.status({}) as StatusInfo), STATUS_EVERY_MS);
  const prune = () => {
    if (!db) return;
    const saved = service['settings.get']({}) as Settings; // as last saved in Settings
    void pruneInBackground(db, retentionPolicy(saved), Date.now()).then((res) => res.error && options.log(`retention: ${res.error}`));
  };
  prune();
  const retentionTimer = setInterval(prune, RETENTION_EVERY_MS);
  retentionTimer.unref();

  const token = newToken();
  let server: ApiServer;
  try {
    server = await startApiServer({
      handlers: service,
      hub,
      staticDir: options.staticDir,
      token,
      bindHost: options.bindHost,
      port: options.port,
      metrics: () => prometheusText(agent.counters, { host: host.kind, policy: agent.policyName, mode: agent.mode, clients: hub.size, droppedEvents: hub.stats.dropped }),
    });
  } catch (err) {
    clearInterval(statusTimer);
    clearInterval(retentionTimer);
    await agent.stop();
    store.close();
    throw err;
  }
  if (options.apiFile) writeApiFile(options.apiFile, { url: server.url, port: server.port, token, pid: process.pid });

  let stopping: Promise<{ written: number; lastError: string | null }> | null = null;
  const stop = () =>
    (stopping ??= (async () => {
      clearInterval(statusTimer);
      clearInterval(retentionTimer);
      decisionSub.unsubscribe();
      sampleSub.unsubscribe();
      await server.close();
      await agent.stop();
      const status = store.close();
      if (options.apiFile) rmSync(options.apiFile, { force: true });
      return status;
    })());
  return { url: server.url, port: server.port, token, agent, server, stop };
}

/**
 * The token in it is the key to the API: readable by the owner and its group only (the
 * systemd unit's group `reclaimd`, so its members' desktop windows can find the agent).
 */
function writeApiFile(file: string, info: { url: string; port: number; token: string; pid: number }): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o750 });
  writeFileSync(file, JSON.stringify(info) + '\n', { mode: 0o640 });
  chmodSync(file, 0o640);
}

function packageVersion(): string {
  for (const candidate of [join(__dirname, '..', '..', 'package.json'), join(__dirname, '..', '..', '..', 'package.json')]) {
    if (existsSync(candidate)) return (JSON.parse(readFileSync(candidate, 'utf8')) as { version: string }).version;
  }
  return 'unknown';
}
