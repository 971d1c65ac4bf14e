import { performance } from 'node:perf_hooks';
import { Subject, asyncScheduler, type Subscription } from 'rxjs';
import type { DecisionLog } from '../../db/decision-log';
import type { PressureLog } from '../../db/pressure-log';
import { toDecisionRecord, type DecisionRecord } from '../../policy-engine/decision-record';
import { dryRun, withoutKills } from '../../policy-engine/dry-run';
import { createEngine, type Engine } from '../../policy-engine/engine';
import type { ReclaimPolicy } from '../../policy-engine/policy';
import type { PolicyRegistry } from '../../policy-engine/registry';
import type { Decision, ManualRequest, PressureSignal, ReclaimKind } from '../../policy-engine/types';
import { pushBounded } from '../../policy-engine/bounded';
import type { AgentMode, PressureSample, ProcessList, ProcessRow } from '../api/contract';
import { ApiError } from '../api/api-error';
import type { AgentHost } from './agent-host';
import { AgentCounters } from './agent-counters';

export interface AgentSettings {
  policy: string;
  params: Record<string, unknown>;
  dryRun: boolean;
  allowKill: boolean;
}

export interface AgentLogs {
  decisions: DecisionLog | null;
  pressure: PressureLog | null;
}

const SAMPLE_EVERY_MS = 1000;
const SAMPLES_KEPT = 3600;
const DECISIONS_KEPT = 500;
const PRESSURE_LOG_EVERY_MS = 10_000;
// A manual reclaim of a multi-GiB app pages out at ~1 GiB/s (bench:linux): a minute is
// far beyond any real one and short enough for an HTTP caller to be told something.
const MANUAL_TIMEOUT_MS = 60_000;

/**
 * The running agent: one host, the engine with the configured policy, and what the UI
 * watches — recent pressure samples, recent decisions, the last action on each app. The
 * policy can be swapped while it runs (settings); the host stays.
 */
export class Agent {
  readonly decisions$ = new Subject<DecisionRecord>();
  readonly samples$ = new Subject<PressureSample>();
  readonly counters = new AgentCounters();
  readonly startedAt = Date.now();
  private readonly samples: PressureSample[] = [];
  private readonly recent: DecisionRecord[] = [];
  private readonly lastActions = new Map<string, NonNullable<ProcessRow['lastAction']>>();
  private policy!: ReclaimPolicy;
  private engine!: Engine;
  private engineSub: Subscription | null = null;
  private heard: Subscription | null = null;
  private timers: NodeJS.Timeout[] = [];
  /** Manual requests, fed to whichever engine runs (a settings change replaces the engine, not this). */
  private readonly requests$ = new Subject<ManualRequest>();
  private requestSeq = 0;
  /** Callers waiting for the decision that answers their request, by request id. */
  private readonly pending = new Map<number, (record: DecisionRecord) => void>();
  private lastLogged = 0;

  constructor(
    readonly host: AgentHost,
    private settings: AgentSettings,
    private readonly registry: PolicyRegistry,
    private readonly logs: AgentLogs,
  ) {
    this.policy = this.buildPolicy(settings);
  }

  start(): void {
    this.runEngine();
    const host = this.host.host;
    // Every pressure event the host hears goes to the log; the charts get a sample a second.
    this.heard = host.pressure$.subscribe({ next: (s) => this.logs.pressure?.appendSignal({ ...s, at: Date.now() }, host.name), error: () => undefined });
    const sampler = setInterval(() => this.takeSample(), SAMPLE_EVERY_MS);
    sampler.unref();
    this.timers.push(sampler);
    this.takeSample();
  }

  /** Apply new settings: the policy is built first, so a bad one changes nothing. */
  configure(settings: AgentSettings): void {
    const policy = this.buildPolicy(settings);
    this.settings = settings;
    this.policy = policy;
    this.runEngine();
  }

  get mode(): AgentMode {
    return this.host.forcedDryRun ? 'observe-only' : this.settings.dryRun ? 'dry-run' : 'active';
  }

  get policyName(): string {
    return this.settings.policy;
  }

  get currentSettings(): AgentSettings {
    return this.settings;
  }

  get engineStats(): Engine['stats'] {
    return this.engine.stats;
  }

  logStatus(): DecisionLog['status'] | null {
    return this.logs.decisions?.status ?? null;
  }

  level(): PressureSignal['level'] {
    return this.samples[this.samples.length - 1]?.level ?? 'none';
  }

  recentSamples(sinceMs = SAMPLES_KEPT * SAMPLE_EVERY_MS): PressureSample[] {
    const from = Date.now() - sinceMs;
    return this.samples.filter((s) => s.ts >= from);
  }

  recentDecisions(limit = 100): DecisionRecord[] {
    return this.recent.slice(-limit).reverse();
  }

  /** The processes as the policy ranks them now, best victim first, with their last action. */
  processes(limit = 10_000): ProcessList {
    const now = asyncScheduler.now();
    const ranked = this.policy.rank(this.host.host.snapshot(), { now, busy: this.engine.busy });
    const processes = ranked.slice(0, limit).map(
      (r, i): ProcessRow => ({
        rank: i + 1,
        pid: r.process.pid,
        startTime: r.process.startTime,
        appKey: r.process.appKey,
        name: r.process.name,
        band: r.process.importance,
        adj: r.process.oomScoreAdj,
        effectiveAdj: r.effectiveAdj,
        priority: r.process.priority,
        foreground: r.process.isForeground,
        rssAnonBytes: r.process.rssAnonBytes,
        rssFileBytes: r.process.rssFileBytes,
        swapBytes: r.process.swapBytes,
        eligible: r.eligible,
        score: Number.isFinite(r.score) ? Math.round(r.score * 100) / 100 : null,
        why: r.why,
        lastAction: this.lastActions.get(r.process.appKey) ?? null,
      }),
    );
    return { at: now, processes };
  }

  /**
   * Reclaim one process now, as the user asked. The request goes through the engine like a
   * pressure signal: the protection rule, the one-action-per-process guard (an engine action
   * on the same process in flight refuses it), dry run, and a Decision logged like any other.
   */
  async manualReclaim(pid: number, kind: ReclaimKind, by = 'the user'): Promise<DecisionRecord> {
    // An unknown pid is the caller's mistake (404), not a decision to log.
    if (!this.host.host.snapshot().some((p) => p.pid === pid)) throw new ApiError(404, `no process with pid ${pid} (it may have exited)`, 'params.pid');
    const id = ++this.requestSeq;
    const answered = new Promise<DecisionRecord>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new ApiError(504, `the reclaim of pid ${pid} did not finish within ${MANUAL_TIMEOUT_MS / 1000} s; its outcome will appear in the history`));
      }, MANUAL_TIMEOUT_MS);
      this.pending.set(id, (record) => {
        clearTimeout(timer);
        resolve(record);
      });
    });
    this.requests$.next({ id, pid, kind, dryRun: this.mode !== 'active', by });
    const record = await answered;
    // The user is looking at the history right after this: write it now.
    this.logs.decisions?.flush();
    return record;
  }

  async stop(): Promise<void> {
    this.engineSub?.unsubscribe();
    this.heard?.unsubscribe();
    for (const t of this.timers) clearInterval(t);
    this.logs.pressure?.appendSignal({ ...this.host.host.sample(), at: Date.now() }, this.host.host.name);
    this.decisions$.complete();
    this.samples$.complete();
    await this.host.close();
  }

  private buildPolicy(settings: AgentSettings): ReclaimPolicy {
    let policy = this.registry.create(settings.policy, settings.params[settings.policy]);
    if (!settings.allowKill) policy = withoutKills(policy);
    if (settings.dryRun || this.host.forcedDryRun) policy = dryRun(policy);
    return policy;
  }

  private runEngine(): void {
    this.engineSub?.unsubscribe();
    this.engine = createEngine({ host: this.host.host, policy: this.policy, scheduler: asyncScheduler, wallClock: () => performance.now(), requests$: this.requests$ });
    this.engineSub = this.engine.decisions$.subscribe({
      next: (d) => this.record(d),
      // A host whose event source failed: note it and start over rather than go deaf.
      error: (err: unknown) => {
        this.counters.noteEngineError(err);
        this.timers.push(setTimeout(() => this.runEngine(), 1000).unref());
      },
    });
  }

  private record(d: Decision): DecisionRecord {
    // The record is the decision's; the log stores it as it is sent to the UI.
    const record = toDecisionRecord(d, d.at, null);
    this.logs.decisions?.appendRecord(record);
    this.counters.add(record);
    pushBounded(this.recent, record, DECISIONS_KEPT);
    this.lastActions.set(record.app, { ts: record.ts, action: record.action, kind: record.kind, result: record.result, reclaimedBytes: record.reclaimedBytes });
    this.decisions$.next(record);
    if (d.requestId !== undefined) {
      this.pending.get(d.requestId)?.(record);
      this.pending.delete(d.requestId);
    }
    return record;
  }

  private takeSample(): void {
    const signal = this.host.host.sample();
    const m = signal.memory;
    const sample: PressureSample = {
      ts: Date.now(),
      level: signal.level,
      psiSome: signal.psi?.someAvg10 ?? null,
      psiFull: signal.psi?.fullAvg10 ?? null,
      totalBytes: m.totalBytes,
      anonBytes: m.anonBytes ?? 0,
      fileBytes: m.fileCacheBytes ?? 0,
      zramBytes: m.zramBytes ?? 0,
      freeBytes: m.freeBytes,
      availableBytes: m.availableBytes,
    };
    this.counters.level = sample.level;
    this.counters.psiSome = sample.psiSome;
    this.counters.psiFull = sample.psiFull;
    pushBounded(this.samples, sample, SAMPLES_KEPT);
    this.samples$.next(sample);
    if (sample.ts - this.lastLogged >= PRESSURE_LOG_EVERY_MS) {
      this.lastLogged = sample.ts;
      this.logs.pressure?.appendSignal({ ...signal, at: sample.ts }, this.host.host.name);
    }
  }
}
