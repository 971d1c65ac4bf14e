import { performance } from 'node:perf_hooks';
import { Subject, asyncScheduler, type Subscription } from 'rxjs';
import type { DecisionLog } from '../../db/decision-log';
import type { PressureLog } from '../../db/pressure-log';
import type { DecisionRecord } from '../../policy-engine/decision-record';
import { dryRun, withoutKills } from '../../policy-engine/dry-run';
import { createEngine, type Engine } from '../../policy-engine/engine';
import type { ReclaimPolicy } from '../../policy-engine/policy';
import type { PolicyRegistry } from '../../policy-engine/registry';
import { DEFAULT_POLICY } from '../../policy-engine/policies/index';
import type { ManualRequest, PressureSignal, ReclaimKind } from '../../policy-engine/types';
import type { AgentMode, PressureSample, ProcessList, ProcessRow, RecordingStatus } from '../../common/api/contract';
import type { Db } from '../../db/open';
import { ApiError } from '../../common/api/api-error';
import type { AgentHost } from './agent-host';
import type { AgentCounters } from './agent-counters';
import { DecisionSink } from './decision-sink';
import { PressureSampler } from './pressure-sampler';
import { readDeviceFacts } from './device-facts';
import { Recorder } from './recorder';

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

// A manual reclaim of a multi-GiB app pages out at ~1 GiB/s (bench:linux): a minute is
// far beyond any real one and short enough for an HTTP caller to be told something.
const MANUAL_TIMEOUT_MS = 60_000;

/**
 * The running agent, composed: one host, the engine with the configured policy (swapped
 * while it runs when the settings change; the host stays), a decision sink every decision
 * goes through, and a pressure sampler for the charts and the pressure log. Manual requests
 * enter the engine as a source of their own.
 */
export class Agent {
  readonly startedAt = Date.now();
  private readonly sink: DecisionSink;
  private readonly sampler: PressureSampler;
  private policy!: ReclaimPolicy;
  private engine!: Engine;
  private engineSub: Subscription | null = null;
  private restart: NodeJS.Timeout | null = null;
  /** Manual requests, fed to whichever engine runs (a settings change replaces the engine, not this). */
  private readonly requests$ = new Subject<ManualRequest>();
  private requestSeq = 0;
  private recorder: Recorder | null = null;

  constructor(
    readonly host: AgentHost,
    private settings: AgentSettings,
    private readonly registry: PolicyRegistry,
    private readonly logs: AgentLogs,
  ) {
    this.sink = new DecisionSink(logs.decisions);
    this.sampler = new PressureSampler(host.host, host.detector, logs.pressure, this.sink.counters);
    this.policy = this.buildPolicy(settings);
  }

  get decisions$(): Subject<DecisionRecord> {
    return this.sink.decisions$;
  }

  get samples$(): Subject<PressureSample> {
    return this.sampler.samples$;
  }

  get counters(): AgentCounters {
    return this.sink.counters;
  }

  start(): void {
    this.runEngine();
    this.sampler.start();
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
    return this.sampler.level();
  }

  recentSamples(sinceMs?: number): PressureSample[] {
    return this.sampler.recentSamples(sinceMs);
  }

  recentDecisions(limit = 100): DecisionRecord[] {
    return this.sink.recentDecisions(limit);
  }

  /** The processes as the policy ranks them now, best victim first, with their last action. */
  processes(limit = 10_000): ProcessList {
    const now = asyncScheduler.now();
    const ranked = this.engine.policy().rank(this.host.host.snapshot(), { now, busy: this.engine.busy });
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
        lastAction: this.sink.lastAction(r.process.appKey),
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
    const record = await new Promise<DecisionRecord>((resolve, reject) => {
      const cancel = this.sink.awaitRequest(id, (r) => {
        clearTimeout(timer);
        resolve(r);
      });
      const timer = setTimeout(() => {
        cancel();
        reject(new ApiError(504, `the reclaim of pid ${pid} did not finish within ${MANUAL_TIMEOUT_MS / 1000} s; its outcome will appear in the history`));
      }, MANUAL_TIMEOUT_MS);
      this.requests$.next({ id, pid, kind, dryRun: this.mode !== 'active', by });
    });
    // The user is looking at the history right after this: write it now.
    this.sink.flush();
    return record;
  }

  /**
   * Record what this agent sees into `db` (main/daemon/recorder.ts). Only the linux host: a
   * recording of the simulator or of observe-only guesses would be replayed as if real.
   * Throws with the reason when refused or when the database refuses it.
   */
  startRecording(db: Db, log?: (line: string) => void): RecordingStatus {
    if (this.host.kind !== 'linux') throw new ApiError(409, `recording needs the linux host; this agent runs on ${this.host.detail}`, 'params.record');
    if (this.recorder?.status.active) return this.recorder.status;
    const s = this.settings;
    this.recorder = Recorder.start({
      db,
      host: this.host.host,
      detector: this.host.detector,
      scope: this.host.scope,
      device: readDeviceFacts(this.host.scope),
      settings: { policy: s.policy, params: s.params, dryRun: this.mode !== 'active', allowKill: s.allowKill },
      log,
    });
    return this.recorder.status;
  }

  stopRecording(): void {
    this.recorder?.stop();
  }

  /** The recording in progress, or the last one (stopped, with why), or null. */
  get recording(): RecordingStatus | null {
    return this.recorder?.status ?? null;
  }

  async stop(): Promise<void> {
    this.recorder?.stop();
    this.engineSub?.unsubscribe();
    if (this.restart) clearTimeout(this.restart);
    this.sampler.stop();
    this.sink.complete();
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
    this.engine = createEngine({
      host: this.host.host,
      detector: this.host.detector,
      policy: this.policy,
      scheduler: asyncScheduler,
      wallClock: () => performance.now(),
      requests$: this.requests$,
      // One subscription to the host's events, the engine's: the sampler logs what it heard.
      heard: (s) => {
        this.sampler.heard(s);
        this.recorder?.heard(s);
      },
      // A policy that keeps throwing gives way to the default, with the same dry-run and kill settings.
      fallback: () => this.buildPolicy({ ...this.settings, policy: DEFAULT_POLICY }),
    });
    this.engineSub = this.engine.decisions$.subscribe({
      next: (d) => this.sink.record(d),
      // A host whose event source failed: note it and start over rather than go deaf.
      error: (err: unknown) => {
        this.counters.noteEngineError(err);
        this.restart = setTimeout(() => this.runEngine(), 1000).unref();
      },
    });
  }
}
