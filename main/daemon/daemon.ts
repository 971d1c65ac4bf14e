import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { priorityMap } from '../../db/priorities';
import { pruneInBackground } from '../../db/retention';
import type { Scenario } from '../../scenario/scenario';
import { createBuiltinRegistry } from '../../policy-engine/policies/index';
import type { UserPriority } from '../../policy-engine/types';
import type { Settings, StatusInfo } from '../../common/api/contract';
import { EventHub } from './server/event-hub';
import { startApiServer, type ApiServer } from './server/http-server';
import { prometheusText } from './server/prometheus';
import { newToken } from './server/security';
import { Agent } from './agent';
import { createAgentHost, type AgentHost } from './agent-host';
import { openAgentStore } from './agent-store';
import { removeApiFile, writeApiFile } from './api-file';
import { DEFAULT_SETTINGS, loadSettings, retentionPolicy } from './saved-settings';
import { createService } from './service';

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
/** What forces dry run when the command line asked for it (status and the 409 name it). */
const DRY_RUN_FLAG = 'the command line (--dry-run)';


/** The agent, the decision log and the API server, wired together. */
export async function startDaemon(options: DaemonOptions): Promise<Daemon> {
  const registry = createBuiltinRegistry();
  const store = openAgentStore(options.dbPath, options.log);
  const { db, problem: dbProblem } = store;
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
  let host: AgentHost | null = null;
  let agent: Agent;
  let hostKind: 'sim' | 'linux';
  let settingsProblems: string[];
  try {
    const loaded = loadSettings(db, registry, DEFAULT_SETTINGS, options.overrides);
    const settings = loaded.settings;
    settingsProblems = loaded.problems;
    for (const problem of settingsProblems) options.log(problem);
    hostKind = options.host ?? (settings.host === 'linux' ? 'linux' : 'sim');
    // Checked before the host starts: a bad choice ends the start here, with nothing running.
    registry.checkParams(settings.params);
    registry.get(settings.policy);
    host = createAgentHost({ kind: hostKind, scenario: options.scenario, memcg: options.memcg, priorities: currentPriorities, log: options.log });
    agent = new Agent(host, { policy: settings.policy, params: settings.params, dryRun: settings.dryRun, allowKill: settings.allowKill }, registry, store.logs);
    agent.start();
    // The saved "record" setting (Settings): the live machine only; elsewhere said, not fatal.
    if (settings.record) {
      try {
        if (!db) throw new Error(`there is no database (${dbProblem ?? 'no --db'})`);
        const r = agent.startRecording(db, options.log);
        options.log(`recording ${r.id} started`);
      } catch (err) {
        options.log(`recording not started: ${(err as Error).message}`);
      }
    }
  } catch (err) {
    // A started host (the sim's timers, the kernel's event sources) or the open log (its
    // flush timer) would keep the process alive after the error: serve would hang, not exit.
    await host?.close();
    store.close();
    throw err;
  }
  const agentHost = host;

  const version = packageVersion();
  const service = createService({
    agent,
    registry,
    db,
    dbPath: options.dbPath,
    dbProblem,
    version,
    requestedHost: hostKind,
    onPrioritiesChanged: () => (prioritiesReadAt = 0),
    savedSettingsProblems: settingsProblems,
    dryRunForcedBy: options.overrides.dryRun ? DRY_RUN_FLAG : null,
  });
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
      metrics: () => prometheusText(agent.counters, { host: agentHost.kind, policy: agent.policyName, mode: agent.mode, clients: hub.size, droppedEvents: hub.stats.dropped }),
    });
  } catch (err) {
    clearInterval(statusTimer);
    clearInterval(retentionTimer);
    await agent.stop();
    store.close();
    throw err;
  }

  let stopping: Promise<{ written: number; lastError: string | null }> | null = null;
  const withdrawApiFile = () => options.apiFile && removeApiFile(options.apiFile);
  const stop = () =>
    (stopping ??= (async () => {
      // First: a stopping daemon is no longer advertised, whatever happens in what follows.
      withdrawApiFile();
      process.off('exit', withdrawApiFile);
      clearInterval(statusTimer);
      clearInterval(retentionTimer);
      decisionSub.unsubscribe();
      sampleSub.unsubscribe();
      await server.close();
      await agent.stop();
      return store.close();
    })());
  if (options.apiFile) {
    try {
      writeApiFile(options.apiFile, { url: server.url, port: server.port, token, pid: process.pid });
      // An exit that skips stop() (an uncaught error) still takes the file away.
      process.once('exit', withdrawApiFile);
    } catch (err) {
      await stop(); // nothing left running behind the error
      throw err;
    }
  }
  return { url: server.url, port: server.port, token, agent, server, stop };
}

function packageVersion(): string {
  for (const candidate of [join(__dirname, '..', '..', 'package.json'), join(__dirname, '..', '..', '..', 'package.json')]) {
    if (existsSync(candidate)) return (JSON.parse(readFileSync(candidate, 'utf8')) as { version: string }).version;
  }
  return 'unknown';
}
