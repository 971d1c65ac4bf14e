import { defaultDatabasePath } from '../../db/paths';
import { priorityMap } from '../../db/priorities';
import { runDoctor } from '../../host/linux/doctor';
import { reclaimProcess } from '../../host/linux/process-reclaim';
import { demoteProcess } from '../../host/linux/demote';
import { readStartTime } from '../../host/linux/procfs';
import { parseDuration, parseSize } from '../../scenario/units';
import { reclaimCgroup } from '../../host/linux/kernel-reclaim-files';
import { describeAction } from '../../policy-engine/engine';
import { formatBytes } from '../../common/format';
import { createBuiltinRegistry, DEFAULT_POLICY } from '../../policy-engine/policies/index';
import { RECLAIM_KINDS, type ReclaimKind } from '../../common/vocabulary';
import { parseArgs, stringFlag, UsageError } from './args';
import { jsonFlag } from './policy-args';
import type { CommandIO } from './io';
import { termSafe } from './terminal-text';
import { Agent } from '../daemon/agent';
import { createAgentHost } from '../daemon/agent-host';
import { openAgentStore } from '../daemon/agent-store';

/** `reclaimd reclaim <pid> file|anon|all|demote [--cold] [--json]`: one reclaim, before and after (demote: to the nearest slower NUMA node). */
export function reclaimCommand(argv: readonly string[], io: CommandIO): number {
  const args = parseArgs(argv, {
    cold: { value: false, description: 'MADV_COLD instead of MADV_PAGEOUT' },
    json: { value: false, description: 'print JSON' },
    cgroup: { value: true, description: 'reclaim SIZE from a whole cgroup v2 through memory.reclaim' },
  });
  const cgroup = stringFlag(args, 'cgroup');
  if (cgroup !== undefined) {
    const bytes = args.positionals.length === 1 ? parseSize(args.positionals[0]) : null;
    if (bytes === null || bytes <= 0) throw new UsageError('usage: reclaimd reclaim --cgroup <dir> <size, e.g. 64MiB>');
    const r = reclaimCgroup(cgroup, bytes);
    if (args.flags.has('json')) io.out(JSON.stringify({ cgroup, bytes, ...r }));
    else io.out(`${r.result}: ${r.message}`);
    if (r.result !== 'ok') io.err(`reclaimd: reclaim --cgroup ${cgroup}: ${r.result}: ${r.message}`);
    return r.result === 'ok' ? 0 : 1;
  }
  const [pidText, kind] = args.positionals;
  if (args.positionals.length !== 2 || !/^\d+$/.test(pidText) || !(RECLAIM_KINDS as readonly string[]).includes(kind)) {
    throw new UsageError('usage: reclaimd reclaim <pid> file|anon|all|demote [--cold] [--json]');
  }
  const pid = Number(pidText);
  const startTime = readStartTime(pid);
  if (kind === 'demote') {
    const d = startTime === null ? { result: 'gone' as const, message: `process ${pid} is gone` } : demoteProcess({ pid, startTime, budgetBytes: 0 });
    if (args.flags.has('json')) io.out(JSON.stringify({ pid, kind, ...d }));
    else io.out(`${d.result}: ${d.message}`);
    if (d.result !== 'ok') io.err(`reclaimd: reclaim ${pid} demote: ${d.result}: ${d.message}`);
    return d.result === 'ok' ? 0 : 1;
  }
  const r =
    startTime === null
      ? { result: 'gone' as const, message: `process ${pid} is gone`, before: null, after: null, advisedBytes: 0, reclaimedAnonBytes: 0, reclaimedFileBytes: 0, durationMs: 0, calls: 0, firstCallAtMs: null }
      : reclaimProcess({ pid, startTime, kind: kind as ReclaimKind, mode: args.flags.has('cold') ? 'cold' : 'pageout', budgetBytes: 0 });
  if (args.flags.has('json')) io.out(JSON.stringify({ pid, kind, ...r }));
  else {
    const line = (label: string, m: typeof r.before) => m && io.out(`${label}  RssAnon ${formatBytes(m.rssAnonBytes).padStart(8)}  RssFile ${formatBytes(m.rssFileBytes).padStart(8)}  VmSwap ${formatBytes(m.swapBytes).padStart(8)}`);
    line('before', r.before);
    line('after ', r.after);
    io.out(`${r.result}: ${termSafe(r.message)} (${r.durationMs.toFixed(1)} ms)`);
  }
  if (r.result !== 'ok') io.err(`reclaimd: reclaim ${pid} ${kind}: ${r.result}: ${termSafe(r.message)}`);
  return r.result === 'ok' ? 0 : 1;
}

/** `reclaimd doctor [--json]`: what this machine offers and what the agent will use. */
export async function doctorCommand(argv: readonly string[], io: CommandIO): Promise<number> {
  const args = parseArgs(argv, { json: { value: false, description: 'print JSON' }, memcg: { value: true, description: 'memcg v1 directory to probe' } });
  const report = await runDoctor(stringFlag(args, 'memcg'));
  if (args.flags.has('json')) {
    io.out(JSON.stringify(report));
    return 0;
  }
  io.out(`kernel ${report.kernel} (${report.arch})`);
  for (const c of report.checks) io.out(`${c.ok ? 'ok  ' : 'no  '} ${c.name.padEnd(18)} ${c.detail}`);
  io.out(`will use: pressure ${report.plan.pressure.join(' + ') || 'none (observe-only sampling)'}; reclaim ${report.plan.reclaim}; kill ${report.plan.kill}; demote ${report.plan.demote}; mode ${report.plan.mode}`);
  return 0;
}

/** `reclaimd run`: the live agent until Ctrl-C (or --duration), without the API: the same Agent `serve` runs. */
export async function runCommand(argv: readonly string[], io: CommandIO, stop?: Promise<void>): Promise<number> {
  const args = parseArgs(argv, {
    policy: { value: true, description: `policy (default ${DEFAULT_POLICY})` },
    params: { value: true, description: 'JSON parameters of the policy' },
    'dry-run': { value: false, description: 'observe and log only' },
    memcg: { value: true, description: 'memcg v1 directory: only its processes and pressure events' },
    db: { value: true, description: 'decision log (default $XDG_DATA_HOME/reclaimd/reclaimd.db)' },
    'no-db': { value: false, description: 'do not log to a database' },
    foreground: { value: true, description: 'pid(s) to treat as foreground, comma-separated' },
    duration: { value: true, description: 'stop after this long (e.g. 30s); default: until Ctrl-C' },
    json: { value: false, description: 'print each decision as a JSON line' },
    record: { value: false, description: 'record what the agent sees into the database, to export as a scenario (reclaimd recording)' },
  });
  if (args.flags.has('record') && args.flags.has('no-db')) throw new UsageError('--record needs a database: it cannot go with --no-db');
  const registry = createBuiltinRegistry();
  const policyName = stringFlag(args, 'policy') ?? DEFAULT_POLICY;
  const params = jsonFlag(args, 'params');
  registry.create(policyName, params); // a bad policy or parameter fails before anything starts
  const durationText = stringFlag(args, 'duration');
  const durationMs = durationText === undefined ? null : parseDuration(durationText);
  if (durationText !== undefined && (durationMs === null || durationMs <= 0)) throw new UsageError(`--duration: expected a duration like "30s", got "${durationText}"`);
  const foreground = (stringFlag(args, 'foreground') ?? '').split(',').filter(Boolean).map((p) => {
    if (!/^\d+$/.test(p)) throw new UsageError(`--foreground: expected pids, got "${p}"`);
    return Number(p);
  });

  const store = openAgentStore(args.flags.has('no-db') ? null : (stringFlag(args, 'db') ?? defaultDatabasePath()), (line) => io.err(`reclaimd: ${line}`));
  const db = store.db;
  const host = createAgentHost({
    kind: 'linux',
    memcg: stringFlag(args, 'memcg'),
    foreground,
    priorities: () => (db ? priorityMap(db) : new Map()),
    log: (line) => io.err(`reclaimd: ${line}`),
  });
  for (const limit of host.limits) io.err(`reclaimd: ${limit}`);
  const agent = new Agent(host, { policy: policyName, params: params === undefined ? {} : { [policyName]: params }, dryRun: args.flags.has('dry-run'), allowKill: true }, registry, store.logs);
  io.err(`reclaimd: running policy ${policyName} on the ${host.host.name} host${agent.mode !== 'active' ? ' (dry run: nothing is touched)' : ''}; Ctrl-C stops`);
  const sub = agent.decisions$.subscribe((d) => {
    if (args.flags.has('json')) io.out(JSON.stringify({ ts: d.ts, policy: d.policy, level: d.level, source: d.source, app: d.app, pid: d.pid, action: d.action, kind: d.kind, requestedBytes: d.requestedBytes, reclaimedBytes: d.reclaimedBytes, result: d.result, message: d.message }));
    else io.out(termSafe(`${new Date(d.ts).toISOString()} ${d.source}/${d.level}: ${describeAction({ type: d.action, appKey: d.app, pid: d.pid, kind: d.kind, mode: d.mode })} → ${d.result}: ${d.message}`));
  });
  agent.start();
  if (args.flags.has('record')) {
    // Refused on the observe-only host (its readings are guesses) and without a database: said, and the agent stops.
    try {
      if (!db) throw new Error(`there is no database (${store.problem ?? 'none'})`);
      const r = agent.startRecording(db, (line) => io.err(`reclaimd: ${line}`));
      io.err(`reclaimd: recording #${r.id}`);
    } catch (err) {
      sub.unsubscribe();
      await agent.stop();
      store.close();
      io.err(`reclaimd: --record: ${termSafe((err as Error).message)}`);
      return 2;
    }
  }
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
    if (durationMs !== null) setTimeout(resolve, durationMs);
    void stop?.then(resolve);
  });
  sub.unsubscribe();
  const recording = agent.recording;
  await agent.stop();
  const status = store.close();
  if (recording) {
    const r = agent.recording ?? recording;
    io.err(`reclaimd: recording #${r.id}: ${r.rows} rows${r.stopReason ? `; it stopped early: ${termSafe(r.stopReason)}` : ''} (export: reclaimd recording export ${r.id} --out FILE)`);
  }
  io.err(`reclaimd: stopped after ${agent.counters.decisions} decisions${db ? `; ${status.written} logged${status.lastError ? `, logging failed: ${status.lastError}` : ''}` : ''}`);
  return 0;
}
