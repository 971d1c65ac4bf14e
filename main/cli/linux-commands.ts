import { performance } from 'node:perf_hooks';
import { asyncScheduler } from 'rxjs';
import { DecisionLog } from '../../db/decision-log';
import { PressureLog } from '../../db/pressure-log';
import { DatabaseError } from '../../db/errors';
import { openDatabase, type Db } from '../../db/open';
import { defaultDatabasePath } from '../../db/paths';
import { priorityMap } from '../../db/priorities';
import { runDoctor } from '../../host/linux/doctor';
import { LinuxHost } from '../../host/linux/linux-host';
import { capabilityLimits, reclaimImpossible } from '../../host/linux/privileges';
import { ObserveOnlyHost } from '../../host/observe/observe-only-host';
import type { Host } from '../../policy-engine/host-contract';
import { reclaimProcess } from '../../host/linux/process-reclaim';
import { readStartTime } from '../../host/linux/procfs';
import { parseDuration, parseSize } from '../../host/scenario/units';
import { reclaimCgroup } from '../../host/linux/kernel-reclaim-files';
import { dryRun } from '../../policy-engine/dry-run';
import { createEngine, describeAction } from '../../policy-engine/engine';
import { formatBytes } from '../../policy-engine/format';
import { createBuiltinRegistry, DEFAULT_POLICY } from '../../policy-engine/policies/index';
import type { ReclaimKind } from '../../policy-engine/types';
import { parseArgs, stringFlag, UsageError } from './args';
import { jsonFlag } from './policy-args';
import type { CommandIO } from './io';

/** `reclaimd reclaim <pid> file|anon|all [--cold] [--json]`: one reclaim, before and after. */
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
  if (args.positionals.length !== 2 || !/^\d+$/.test(pidText) || !['file', 'anon', 'all'].includes(kind)) {
    throw new UsageError('usage: reclaimd reclaim <pid> file|anon|all [--cold] [--json]');
  }
  const pid = Number(pidText);
  const startTime = readStartTime(pid);
  const r =
    startTime === null
      ? { result: 'gone' as const, message: `process ${pid} is gone`, before: null, after: null, advisedBytes: 0, reclaimedAnonBytes: 0, reclaimedFileBytes: 0, durationMs: 0, calls: 0, firstCallAtMs: null }
      : reclaimProcess({ pid, startTime, kind: kind as ReclaimKind, mode: args.flags.has('cold') ? 'cold' : 'pageout', budgetBytes: 0 });
  if (args.flags.has('json')) io.out(JSON.stringify({ pid, kind, ...r }));
  else {
    const line = (label: string, m: typeof r.before) => m && io.out(`${label}  RssAnon ${formatBytes(m.rssAnonBytes).padStart(8)}  RssFile ${formatBytes(m.rssFileBytes).padStart(8)}  VmSwap ${formatBytes(m.swapBytes).padStart(8)}`);
    line('before', r.before);
    line('after ', r.after);
    io.out(`${r.result}: ${r.message} (${r.durationMs.toFixed(1)} ms)`);
  }
  if (r.result !== 'ok') io.err(`reclaimd: reclaim ${pid} ${kind}: ${r.result}: ${r.message}`);
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
  io.out(`will use: pressure ${report.plan.pressure.join(' + ') || 'none (observe-only sampling)'}; reclaim ${report.plan.reclaim}; kill ${report.plan.kill}; mode ${report.plan.mode}`);
  return 0;
}

/** `reclaimd run`: the live agent until Ctrl-C (or --duration). */
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
  });
  const registry = createBuiltinRegistry();
  const policyName = stringFlag(args, 'policy') ?? DEFAULT_POLICY;
  let policy = registry.create(policyName, jsonFlag(args, 'params'));
  if (args.flags.has('dry-run')) policy = dryRun(policy);
  const durationText = stringFlag(args, 'duration');
  const durationMs = durationText === undefined ? null : parseDuration(durationText);
  if (durationText !== undefined && (durationMs === null || durationMs <= 0)) throw new UsageError(`--duration: expected a duration like "30s", got "${durationText}"`);
  const foreground = (stringFlag(args, 'foreground') ?? '').split(',').filter(Boolean).map((p) => {
    if (!/^\d+$/.test(p)) throw new UsageError(`--foreground: expected pids, got "${p}"`);
    return Number(p);
  });

  let db: Db | null = null;
  if (!args.flags.has('no-db')) {
    const file = stringFlag(args, 'db') ?? defaultDatabasePath();
    try {
      db = openDatabase(file);
    } catch (err) {
      if (!(err instanceof DatabaseError) || err.kind !== 'storage') throw err;
      io.err(`reclaimd: decision log disabled: ${err.message}`);
    }
  }
  const log = db ? new DecisionLog(db, { flushIntervalMs: 1000, onStatus: (s) => io.err(s.lastError ? `reclaimd: decision log failing: ${s.lastError} (${s.buffered} waiting)` : 'reclaimd: decision log writing again') }) : null;
  const priorities = db ? () => priorityMap(db!) : undefined;
  const cannot = reclaimImpossible();
  let host: Host & { close(): Promise<void> };
  if (cannot) {
    // Observe-only: decisions are still made and logged, as dry runs.
    io.err(`reclaimd: observe-only: ${cannot}; decisions are logged as dry runs`);
    policy = dryRun(policy);
    host = new ObserveOnlyHost();
  } else {
    for (const limit of capabilityLimits()) io.err(`reclaimd: ${limit}`);
    const linux = new LinuxHost({
      memcg: stringFlag(args, 'memcg'),
      priorities,
      onSourceInfo: (info) => {
        if (info.psi) io.err(`reclaimd: PSI trigger ${info.psi.some} / ${info.psi.full} on ${info.psi.path}`);
        if (info.vmpressure) io.err(`reclaimd: vmpressure on ${info.vmpressure}`);
        for (const e of info.errors) io.err(`reclaimd: pressure source unavailable: ${e}`);
      },
    });
    for (const pid of foreground) linux.marked.mark(pid);
    linux.snapshot();
    linux.startBackgroundScan();
    host = linux;
  }
  const engine = createEngine({ host, policy, scheduler: asyncScheduler, wallClock: () => performance.now() });
  // Pressure over time for history and charts: every event heard, and a sample every 10 s.
  const pressureLog = db ? new PressureLog(db, { flushIntervalMs: 5000 }) : null;
  const heard = pressureLog ? host.pressure$.subscribe({ next: (s) => pressureLog.appendSignal(s, host.name), error: () => undefined }) : null;
  const sampler = pressureLog ? setInterval(() => pressureLog.appendSignal(host.sample(), host.name), 10_000) : null;
  io.err(`reclaimd: running policy ${policy.name} on the ${host.name} host${args.flags.has('dry-run') || cannot ? ' (dry run: nothing is touched)' : ''}; Ctrl-C stops`);
  let decisions = 0;
  await new Promise<void>((resolve) => {
    const sub = engine.decisions$.subscribe({
      next: (d) => {
        decisions++;
        log?.appendDecision(d, d.at);
        if (args.flags.has('json')) io.out(JSON.stringify({ ts: d.at, policy: d.policy, level: d.signal.level, source: d.signal.source, app: d.action.appKey, pid: d.action.pid, action: d.action.type, kind: d.action.type === 'reclaim' ? d.action.kind : null, requestedBytes: d.action.requestedBytes, reclaimedBytes: d.outcome.reclaimedAnonBytes + d.outcome.reclaimedFileBytes, result: d.outcome.result, message: d.outcome.message }));
        else io.out(`${new Date(d.at).toISOString()} ${d.signal.source}/${d.signal.level}: ${describeAction(d.action)} → ${d.outcome.result}: ${d.outcome.message}`);
      },
      error: (err: unknown) => {
        io.err(`reclaimd: ${(err as Error).message}`);
        resolve();
      },
    });
    const finish = () => {
      sub.unsubscribe();
      resolve();
    };
    process.once('SIGINT', finish);
    process.once('SIGTERM', finish);
    if (durationMs !== null) setTimeout(finish, durationMs);
    void stop?.then(finish);
  });
  heard?.unsubscribe();
  if (sampler) clearInterval(sampler);
  pressureLog?.appendSignal(host.sample(), host.name);
  pressureLog?.close();
  const status = log?.close();
  db?.close();
  await host.close();
  io.err(`reclaimd: stopped after ${decisions} decisions${status ? `; ${status.written} logged${status.lastError ? `, logging failed: ${status.lastError}` : ''}` : ''}`);
  return 0;
}
