import { csvHeader, csvLine } from '../../db/export';
import { appTotals, CursorError, getDecision, queryHistory, reclaimedPerHour } from '../../db/history';
import type { Db } from '../../db/open';
import { DatabaseError, isStorageFailure } from '../../db/errors';
import { assertWritable, isDamage, isDiskFull, noteWriteFailure, writeStopped } from '../../db/health';
import { clearPriority, listPriorities, PriorityError, setPriority } from '../../db/priorities';
import { pruneInBackground } from '../../db/retention';
import { listRuns } from '../../db/runs';
import { listRecordings } from '../../db/recordings';
import { exportRecording, RecordingExportError } from '../../runs/recording-export';
import { setSetting } from '../../db/settings';
import { readFileSync } from 'node:fs';
import { bundledScenarios } from '../../scenario/load';
import { ScenarioError } from '../../scenario/scenario';
import { parseScenarioText } from '../../scenario/validate';
import { ParamError } from '../../policy-engine/params';
import { UnknownPolicyError, type PolicyRegistry } from '../../policy-engine/registry';
import { POLICY_ERRORS_TO_EJECT } from '../../policy-engine/engine';
import { ApiError } from '../../common/api/api-error';
import type { HostKind, MethodName, MethodParams, MethodResult, Settings, StatusInfo } from '../../common/api/contract';
import type { Agent } from './agent';
import { ReplayRunner } from '../../runs/replay-pool';
import { DEFAULT_SETTINGS, loadSettings, retentionPolicy, SETTINGS_KEY } from './saved-settings';

export type Handlers = { [M in MethodName]: (params: MethodParams<M>) => MethodResult<M> | Promise<MethodResult<M>> };

export interface ServiceContext {
  agent: Agent;
  registry: PolicyRegistry;
  db: Db | null;
  dbPath: string | null;
  /** Why there is no database, when there is none. */
  dbProblem: string | null;
  version: string;
  /** The host the user asked for at start (the running one may be observe-only). */
  requestedHost: 'sim' | 'linux';
  /** The priority editor changed something: hosts that cache priorities re-read them. */
  onPrioritiesChanged?: () => void;
  /** What of the saved settings was bad at start and left out (shown in status until the next save). */
  savedSettingsProblems?: string[];
  /** Why dry run is on whatever Settings say (the command line's --dry-run), or null. */
  dryRunForcedBy?: string | null;
}

/** Every API method, over the agent, the database and the simulator. */
export function createService(ctx: ServiceContext): Handlers {
  const { agent, registry } = ctx;
  const dryRunForcedBy = ctx.dryRunForcedBy ?? null;
  let savedSettingsProblems = ctx.savedSettingsProblems ?? [];
  const replays = new ReplayRunner();
  const db = (): Db => {
    if (!ctx.db) throw new ApiError(503, `no decision log: ${ctx.dbProblem ?? 'the daemon runs without a database'}`);
    return ctx.db;
  };
  /**
   * A write to the log for a request: a full disk is 507 naming where, a file found damaged
   * or moved away (writing stopped) or a refusing disk is 503 with the reason — never a bare 500.
   */
  const writing = <T>(f: (db: Db) => T, what: string): T => {
    const d = db();
    try {
      assertWritable(d);
      return f(d);
    } catch (err) {
      if (err instanceof DatabaseError && err.kind === 'stopped') throw new ApiError(503, `${what}: ${err.message}`);
      if (isDiskFull(err)) throw new ApiError(507, `${what}: ${noteWriteFailure(d, err)}`);
      if (isStorageFailure(err) || isDamage(err)) throw new ApiError(503, `${what}: ${ctx.dbPath}: ${noteWriteFailure(d, err)}`);
      throw err;
    }
  };
  /** What is saved (retention, the host for the next start), with what the agent runs now. */
  const saved = (): Settings => loadSettings(ctx.db, registry, { ...DEFAULT_SETTINGS, host: ctx.requestedHost }, {}).settings;
  const settings = (): Settings => {
    const s = agent.currentSettings;
    return { ...saved(), policy: s.policy, params: s.params, dryRun: s.dryRun, allowKill: s.allowKill };
  };
  /** Parameters by policy, every policy checked (a later start or switch would configure them). */
  const checkedParams = (params: unknown): Settings['params'] => {
    if (typeof params !== 'object' || params === null || Array.isArray(params)) throw new ApiError(400, 'params.params: expected an object of parameters by policy', 'params.params');
    policyErrors(() => registry.checkParams(params as Settings['params']));
    return params as Settings['params'];
  };
  const withCursorErrors = <T>(f: () => T): T => {
    try {
      return f();
    } catch (err) {
      if (err instanceof CursorError) throw new ApiError(400, err.message, 'params.after');
      throw err;
    }
  };
  /** The scenario's text, validated here so that a bad one is a 400 before any thread starts. */
  const scenarioText = (ref: MethodParams<'replay.run'>['scenario']): string => {
    if ((ref.name === undefined) === (ref.text === undefined)) throw new ApiError(400, 'params.scenario: give either a bundled scenario name or the text of a scenario file', 'params.scenario');
    try {
      if (ref.name !== undefined) {
        const bundled = bundledScenarios().find((s) => s.name === ref.name);
        if (!bundled) throw new ApiError(404, `no bundled scenario named "${ref.name}"`, 'params.scenario.name');
        return readFileSync(bundled.file, 'utf8');
      }
      parseScenarioText(ref.text!, 'scenario');
      return ref.text!;
    } catch (err) {
      if (err instanceof ScenarioError) throw new ApiError(400, err.message, `params.scenario.text: ${err.issues[0]?.path ?? ''}`);
      throw err;
    }
  };
  const policyErrors = <T>(f: () => T): T => {
    try {
      return f();
    } catch (err) {
      if (err instanceof UnknownPolicyError) throw new ApiError(400, err.message, 'params.policy');
      if (err instanceof ParamError) throw new ApiError(400, err.message, `params.params.${err.path}`);
      throw err;
    }
  };

  return {
    status: (): StatusInfo => {
      const log = agent.logStatus();
      return {
        version: ctx.version,
        host: agent.host.kind as HostKind,
        hostDetail: agent.host.detail,
        policy: agent.policyName,
        params: agent.currentSettings.params[agent.policyName] ?? {},
        mode: agent.mode,
        limits: [...agent.host.limits, ...(ctx.dbProblem ? [`no decision log: ${ctx.dbProblem}`] : []), ...savedSettingsProblems, ...ejectedText(agent.engineStats.ejected)],
        dryRunForcedBy,
        allowKill: agent.currentSettings.allowKill,
        startedAt: agent.startedAt,
        level: agent.level(),
        decisions: agent.counters.decisions,
        kills: agent.counters.kills,
        reclaimedBytes: agent.counters.reclaimedBytes,
        // writeStopped: a file moved away shows here at once, not only at the next batch of decisions.
        db: { path: ctx.dbPath, written: log?.written ?? 0, buffered: log?.buffered ?? 0, lastError: log?.lastError ?? (ctx.db ? writeStopped(ctx.db) : null) ?? ctx.dbProblem },
        recording: agent.recording,
      };
    },
    processes: (p) => agent.processes(p.limit),
    'pressure.recent': (p) => agent.recentSamples(p.sinceMs),
    'decisions.recent': (p) => agent.recentDecisions(p.limit),
    'priorities.list': () => listPriorities(db()),
    'priorities.set': (p) => {
      try {
        const row = writing((d) => setPriority(d, p.appKey, p.priority, p.note ?? ''), 'priority not saved');
        ctx.onPrioritiesChanged?.();
        return row;
      } catch (err) {
        if (err instanceof PriorityError) throw new ApiError(400, err.message, 'params.priority');
        throw err;
      }
    },
    'priorities.clear': (p) => {
      const cleared = writing((d) => clearPriority(d, p.appKey), 'priority not cleared');
      ctx.onPrioritiesChanged?.();
      return { cleared };
    },
    'history.query': (p) =>
      withCursorErrors(() => {
        const { summary, ...filter } = p;
        const page = queryHistory(db(), filter);
        return summary ? { ...page, rows: page.rows.map((r) => ({ ...r, candidates: [] })) } : page;
      }),
    'history.get': (p) => {
      const row = getDecision(db(), p.id);
      if (!row) throw new ApiError(404, `no decision with id ${p.id}`, 'params.id');
      return row;
    },
    'history.totals': (p) => appTotals(db(), p),
    'history.hourly': (p) => reclaimedPerHour(db(), p),
    'history.export': async (p) => {
      const { maxRows, ...filter } = p;
      const max = maxRows ?? 100_000;
      const lines = [csvHeader()];
      let after: string | undefined;
      let rows = 0;
      for (;;) {
        const page = queryHistory(db(), { ...filter, limit: Math.min(5000, max - rows), after });
        for (const r of page.rows) lines.push(csvLine(r));
        rows += page.rows.length;
        if (!page.next || rows >= max) return { csv: lines.join('\n') + '\n', rows, truncated: page.next !== null && rows >= max };
        after = page.next;
        // A page at a time, yielding between pages: the agent shares this event loop.
        await new Promise((r) => setImmediate(r));
      }
    },
    'reclaim.manual': (p) => agent.manualReclaim(p.pid, p.kind),
    'replay.run': (p) => {
      const text = scenarioText(p.scenario);
      const params = checkedParams(p.params ?? {});
      policyErrors(() => p.policies.forEach((policy) => registry.get(policy)));
      const store = p.store !== false;
      const report = replays.run({ text, policies: p.policies, seed: p.seed, params, dbPath: !store || !ctx.db ? null : ctx.dbPath });
      if (!store || ctx.db) return report;
      // Asked to store with no log: each run says why it was not stored.
      return report.then((r) => ({ ...r, runs: r.runs.map((run) => ({ ...run, notStored: `no decision log: ${ctx.dbProblem ?? 'the daemon runs without a database'}` })) }));
    },
    'scenarios.list': () => bundledScenarios().map(({ name, description, device, durationMs, apps }) => ({ name, description, device, durationMs, apps })),
    'scenarios.validate': (p) => {
      try {
        const s = parseScenarioText(p.text, 'scenario');
        return { ok: true, scenario: { name: s.name, description: s.description, device: s.device.name, durationMs: s.durationMs, apps: s.apps.length } };
      } catch (err) {
        if (err instanceof ScenarioError) return { ok: false, issues: err.issues };
        throw err;
      }
    },
    'runs.list': (p) => listRuns(db(), p.limit ?? 100).map(({ id, createdAt, scenario, policy, seed, host, metrics }) => ({ id, createdAt, scenario, policy, seed, host, metrics })),
    'recordings.list': (p) =>
      listRecordings(db(), p.limit ?? 100).map((r) => ({
        id: r.id,
        startedAt: r.startedAt,
        endedAt: r.endedAt,
        host: r.host,
        scope: r.scope,
        policy: r.settings.policy,
        rows: r.rows,
        processes: r.processes,
        decisions: r.decisions,
        stopReason: r.stopReason,
      })),
    'recordings.export': (p) => {
      try {
        const scenario = exportRecording(db(), p.id, { anonymize: p.anonymize ?? false });
        return { id: p.id, name: scenario.name as string, text: JSON.stringify(scenario, null, 2) };
      } catch (err) {
        if (err instanceof RecordingExportError) throw new ApiError(404, err.message, 'params.id');
        throw err;
      }
    },
    'policies.list': () =>
      registry.list().map((f) => ({
        name: f.name,
        description: f.description,
        params: Object.fromEntries(Object.entries(f.params).map(([k, spec]) => [k, { ...spec }])),
      })),
    'settings.get': () => settings(),
    'settings.set': (p) => {
      if (dryRunForcedBy && p.dryRun === false) {
        throw new ApiError(409, `params.dryRun: dry run is forced by ${dryRunForcedBy}; restart reclaimd without it to turn dry run off`, 'params.dryRun');
      }
      // Recording is the live machine's only: refused before anything is applied or saved.
      if (p.record === true && agent.host.kind !== 'linux') throw new ApiError(409, `params.record: recording needs the linux host; this agent runs on ${agent.host.detail}`, 'params.record');
      const current = settings();
      const params = p.params === undefined ? current.params : checkedParams(p.params);
      const next: Settings = { ...current, ...p, params, retention: p.retention ?? current.retention };
      policyErrors(() => agent.configure({ policy: next.policy, params: next.params, dryRun: dryRunForcedBy ? true : next.dryRun, allowKill: next.allowKill }));
      if (p.record === true) {
        try {
          agent.startRecording(db());
        } catch (err) {
          if (err instanceof ApiError) throw err;
          throw new ApiError(503, `params.record: ${(err as Error).message}`, 'params.record');
        }
      } else if (p.record === false) agent.stopRecording();
      if (ctx.db) {
        // What the command line forces is not the user's choice: the saved dry run stays as it was.
        const toSave = dryRunForcedBy ? { ...next, dryRun: p.dryRun ?? saved().dryRun } : next;
        writing((d) => setSetting(d, SETTINGS_KEY, toSave), 'settings applied to the running agent but not saved');
        savedSettingsProblems = [];
        if (p.retention) void pruneInBackground(ctx.db, retentionPolicy(next), Date.now());
      }
      return settings();
    },
  };
}

/** A policy the engine ejected, in the status's limits: the user sees which policy is really planning, and why. */
function ejectedText(ejected: Agent['engineStats']['ejected']): string[] {
  return ejected ? [`policy ${ejected.policy} was ejected after failing ${POLICY_ERRORS_TO_EJECT} times in a row (${ejected.error}); ${ejected.fallback} plans instead until the settings are applied again`] : [];
}
