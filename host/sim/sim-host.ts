import { Observable, Subject, of, timer, map, type SchedulerLike, type Subscription } from 'rxjs';
import type { Host } from '../../policy-engine/host-contract';
import { BAND_ADJ } from '../../policy-engine/importance';
import { protectionReason } from '../../policy-engine/protection';
import {
  PAGE_SIZE,
  type ActionOutcome,
  type ActionResult,
  type ImportanceBand,
  type PlannedAction,
  type PressureEvent,
  type PressureReading,
  type ProcessSnapshot,
  type ReclaimAction,
} from '../../policy-engine/types';
import type { Scenario, TimelineStep } from '../../scenario/scenario';
import { MIGRATE_US_PER_PAGE } from '../../scenario/device-profiles';
import { MemoryModel } from './memory-model';
import { PressureModel, type TickPressure } from './pressure-model';
import { psiLevel } from '../../policy-engine/detectors/psi-detector';
import { psiTriggersFor, type PsiTriggers } from '../../policy-engine/detectors/psi-triggers';
import { Rng } from '../../common/rng';
import { LRU_CLASSES, SimApp } from './sim-app';
import { SimCounters, type ReplayMetrics } from './sim-metrics';

export interface SimHostOptions {
  /** Model step; pressure and touches are computed per step. */
  tickMs?: number;
  /** Run the scenario again from the start when it ends (for a live demo). */
  loop?: boolean;
  /** Check page conservation and bounds after every step; throws on a violation. */
  checkInvariants?: boolean;
}

export const DEFAULT_TICK_MS = 100;
const FIRST_PID = 1000;
/**
 * Threads the foreground app keeps runnable while in use: its UI (main) thread. RenderThread
 * takes turns with it each frame (source.android.com, graphics architecture), so one in all.
 * Background apps are taken as idle; their own CPU is not modelled.
 */
export const FOREGROUND_RUNNABLE_THREADS = 1;

/** Something the device did that a person may want to see in a timeline. */
export interface SimEvent {
  at: number;
  type: 'launch' | 'foreground' | 'background' | 'close' | 'agent-kill' | 'oom-kill' | 'cold-start' | 'warm-resume' | 'state-loss';
  app: string;
}

/**
 * The simulated device as a Host: plays a scenario's timeline on its apps, runs the kernel
 * model each tick, and emits the pressure events a real kernel would.
 */
export class SimHost implements Host {
  readonly name = 'sim';
  readonly apps: SimApp[];
  readonly memory: MemoryModel;
  readonly counters = new SimCounters();
  readonly events: SimEvent[] = [];
  private readonly signals = new Subject<PressureEvent>();
  readonly pressure$: Observable<PressureEvent> = this.signals.asObservable();
  private readonly byId = new Map<string, SimApp>();
  private readonly byPid = new Map<number, SimApp>();
  private readonly pressure: PressureModel;
  private readonly rng: Rng;
  private readonly tickMs: number;
  private nextPid = FIRST_PID;
  private stepIndex = 0;
  private foreground: SimApp | null = null;
  private previous: SimApp | null = null;
  /** This tick's vmpressure report, if the kernel's window filled: part of what sample() reads. */
  private lastVmpressure: TickPressure['vmpressure'] = null;
  private readonly triggers: PsiTriggers;
  private startedAt = 0;
  private loopOffset = 0;
  private running: Subscription | null = null;
  /** The agent's reclaim calls in progress: each is one thread compressing from start to end. */
  private agentJobs: { start: number; end: number }[] = [];

  constructor(readonly scenario: Scenario, private readonly scheduler: SchedulerLike, private readonly options: SimHostOptions = {}) {
    this.tickMs = options.tickMs ?? DEFAULT_TICK_MS;
    this.rng = new Rng(scenario.seed);
    this.apps = scenario.apps.map((spec) => {
      const app = new SimApp(spec, Math.ceil(spec.anonBytes / PAGE_SIZE), Math.ceil(spec.fileBytes / PAGE_SIZE));
      this.byId.set(spec.id, app);
      return app;
    });
    this.memory = new MemoryModel(scenario.device, this.apps, (a) => this.bandOf(a), (victim) => this.onOomKill(victim));
    this.triggers = psiTriggersFor(scenario.device);
    this.pressure = new PressureModel(this.tickMs, this.triggers);
  }

  /** Scenario time in ms (0 at the start of the scenario). */
  now(): number {
    return this.scheduler.now() - this.startedAt;
  }

  /** Schedule the model's steps on the scheduler, from now until the scenario's end. */
  start(): void {
    if (this.running) return;
    this.startedAt = this.scheduler.now();
    const host = this;
    this.running = this.scheduler.schedule(function () {
      host.step();
      if (host.now() + host.tickMs <= host.scenario.durationMs + host.loopOffset) this.schedule(undefined, host.tickMs);
      else if (host.options.loop) {
        host.restart();
        this.schedule(undefined, host.tickMs);
      } else host.signals.complete();
    }, 0);
  }

  stop(): void {
    this.running?.unsubscribe();
    this.running = null;
    this.signals.complete();
  }

  /** Looping: every app ends, the timeline starts over; counters keep accumulating. */
  private restart(): void {
    for (const app of this.apps) if (app.alive) this.endApp(app, null);
    this.foreground = this.previous = null;
    this.stepIndex = 0;
    this.loopOffset = this.now() + this.tickMs;
  }

  // ---- the model step -------------------------------------------------------------------

  private step(): void {
    const now = this.now();
    const dt = this.tickMs;
    this.memory.beginTick(dt, now);
    const timeline = this.scenario.timeline;
    while (this.stepIndex < timeline.length && timeline[this.stepIndex].at + this.loopOffset <= now) {
      this.apply(timeline[this.stepIndex++], now);
    }
    for (const app of this.apps) {
      if (!app.alive) continue;
      this.allocatePending(app);
    }
    this.touch(dt);
    this.memory.runKswapd(dt);

    const tick = this.memory.tick;
    // Slower touches of demoted pages are the user's wait too, though not PSI's (memory-model.ts TickStats).
    this.counters.foregroundStallUs += tick.foregroundStallUs + this.cpuContentionStallUs(now, dt) + tick.slowForegroundUs;
    this.counters.visibleStallUs += tick.visibleStallUs + tick.slowVisibleUs;
    this.counters.perceptibleStallUs += tick.perceptibleStallUs + tick.slowPerceptibleUs;
    const p = this.pressure.update(now, tick);
    this.lastVmpressure = p.vmpressure;
    // Time at each level as the device's PSI detector judges this tick (the benchmark's measure).
    this.counters.addLevelTime(psiLevel(this.triggers, p.psi, p.vmpressure ?? undefined), dt);
    if (this.options.checkInvariants) this.assertInvariants();

    if (!p.vmpressure && !p.psiEvent) return;
    // Read only when there is an event to carry it: most steps have none.
    const memory = this.memoryReading();
    if (p.vmpressure) {
      this.signals.next({ at: now, source: 'vmpressure', level: p.vmpressure.level, vmpressure: p.vmpressure, psi: p.psi, memory });
    }
    if (p.psiEvent) {
      this.signals.next({ at: now, source: 'psi', level: p.psiEvent, psi: p.psi, memory });
    }
  }

  /**
   * CFS with equal weights: when more threads are runnable than the device has cores, each
   * gets cores/runnable of a core, so the foreground loses the rest of the tick. Runnable
   * are the foreground's thread, the agent's compressing calls and kswapd, for the share of
   * the tick each was busy. Counted as the foreground's stall, not as memory pressure (PSI cpu).
   */
  private cpuContentionStallUs(now: number, dt: number): number {
    const fg = this.foreground;
    this.agentJobs = this.agentJobs.filter((j) => j.end > now - dt);
    let agent = 0;
    for (const j of this.agentJobs) agent += Math.max(0, Math.min(j.end, now) - Math.max(j.start, now - dt)) / dt;
    this.memory.tick.agentBusy = Math.min(1, agent);
    this.memory.tick.foregroundPresent = fg !== null && fg.alive;
    if (!fg || !fg.alive) return 0;
    const kswapd = Math.min(1, this.memory.tick.kswapdCpuUs / (dt * 1000));
    const runnable = FOREGROUND_RUNNABLE_THREADS + agent + kswapd;
    const cores = this.scenario.device.cores;
    if (runnable <= cores) return 0;
    return dt * 1000 * (1 - cores / runnable);
  }

  private apply(step: TimelineStep, now: number): void {
    const app = this.byId.get(step.app)!;
    switch (step.do) {
      case 'launch':
        if (!app.alive) this.bringUp(app, now);
        return;
      case 'foreground':
        this.toForeground(app, now);
        return;
      case 'background':
        if (this.foreground === app) this.leaveForeground(app, now);
        return;
      case 'close':
        if (app.alive) {
          this.endApp(app, null);
          this.events.push({ at: now, type: 'close', app: app.id });
        }
        return;
      case 'allocate': {
        if (!app.alive) return;
        const pages = Math.ceil(step.bytes / PAGE_SIZE);
        const ticks = Math.max(1, Math.round(step.overMs / this.tickMs));
        if (ticks === 1) this.allocate(app, pages);
        else app.pendingAllocations.push({ remaining: pages, perTick: Math.ceil(pages / ticks) });
        return;
      }
      case 'free':
        if (app.alive) app.freeAnon(Math.ceil(step.bytes / PAGE_SIZE));
        return;
      case 'touch':
        if (app.alive) {
          const f = app.faultsFor(step.fraction, true);
          this.memory.faultIn(app, f.anon, f.file);
          this.memory.touchSlow(app, Math.round(app.slowPages * step.fraction), Math.round((app.anonHotSlow + app.fileHotSlow) * step.fraction));
          app.lastUsedAt = now;
          app.deactivated = false;
        }
        return;
      case 'priority':
        app.priority = step.priority;
        return;
    }
  }

  private allocate(app: SimApp, pages: number): void {
    app.addAnon(pages, this.now());
    this.memory.makeRoom(app, 0);
  }

  private allocatePending(app: SimApp): void {
    const list = app.pendingAllocations;
    for (let i = 0; i < list.length && app.alive; i++) {
      const n = Math.min(list[i].perTick, list[i].remaining);
      list[i].remaining -= n;
      this.allocate(app, n);
    }
    if (app.alive) {
      for (let i = list.length - 1; i >= 0; i--) if (list[i].remaining <= 0) list.splice(i, 1);
    }
  }

  /**
   * The foreground app touches its whole working set; others at their background rate; and
   * every app now and then a cold page (its coldTouch rate), so what was evicted cold can come back.
   */
  private touch(dt: number): void {
    const fg = this.foreground;
    if (fg && fg.alive && fg.nonResidentHot > 0) {
      this.memory.faultIn(fg, fg.anonHotZram, fg.fileHotOut);
    }
    this.touchSlowTier(fg, dt);
    for (const app of this.apps) {
      const out = app.anonColdZram + app.fileColdOut;
      if (!app.alive || out === 0 || app.spec.coldTouchPerSec === 0) continue;
      const pages = Math.min(out, this.rng.roundStochastic((out * app.spec.coldTouchPerSec * dt) / 1000));
      if (pages === 0) continue;
      const anon = Math.round((pages * app.anonColdZram) / out);
      this.memory.faultIn(app, anon, pages - anon, true);
    }
    for (const app of this.apps) {
      if (!app.alive || app === fg) continue;
      const out = app.nonResidentHot;
      if (out === 0) continue;
      const rate = app.backgroundTouchRate(this.bandOf(app));
      const expected = (out * rate * dt) / 1000 + app.touchCarry;
      const pages = Math.min(out, this.rng.roundStochastic(expected));
      app.touchCarry = 0;
      if (pages === 0) continue;
      const anon = Math.round((pages * app.anonHotZram) / out);
      this.memory.faultIn(app, anon, pages - anon);
    }
  }

  /**
   * Touches of pages on the slower tier, at the same rates as touches of pages out of RAM
   * (the foreground its whole working set, others their background rate, everyone their
   * cold-touch rate): each costs the slower access instead of a refault.
   */
  private touchSlowTier(fg: SimApp | null, dt: number): void {
    if (!this.memory.tier) return;
    for (const app of this.apps) {
      if (!app.alive || app.slowPages === 0) continue;
      const hotSlow = app.anonHotSlow + app.fileHotSlow;
      const coldSlow = app.anonColdSlow + app.fileColdSlow;
      const hot = app === fg ? hotSlow : Math.min(hotSlow, this.rng.roundStochastic((hotSlow * app.backgroundTouchRate(this.bandOf(app)) * dt) / 1000));
      const cold = Math.min(coldSlow, this.rng.roundStochastic((coldSlow * app.spec.coldTouchPerSec * dt) / 1000));
      this.memory.touchSlow(app, hot + cold, hot);
    }
  }

  // ---- app lifecycle ----------------------------------------------------------------------

  private bringUp(app: SimApp, now: number): void {
    if (app.everLaunched && app.killedBy !== null) {
      // A return to an app the system killed: the user pays a cold start, and loses state.
      this.counters.coldStarts++;
      this.counters.coldStartWaitMs += app.spec.coldStartMs;
      this.events.push({ at: now, type: 'cold-start', app: app.id });
      if (app.spec.stateful) {
        this.counters.stateLoss++;
        this.events.push({ at: now, type: 'state-loss', app: app.id });
      }
    }
    const pid = this.nextPid++;
    this.byPid.set(pid, app);
    app.startLife(pid, now);
    this.events.push({ at: now, type: 'launch', app: app.id });
    this.memory.makeRoom(app, 0);
  }

  private toForeground(app: SimApp, now: number): void {
    if (this.foreground === app && app.alive) return;
    if (this.foreground && this.foreground !== app) this.leaveForeground(this.foreground, now);
    const returning = app.alive && app.lastForegroundAt !== null;
    this.foreground = app;
    app.isForeground = true;
    app.lastForegroundAt = now;
    app.lastUsedAt = now;
    app.deactivated = false;
    if (this.previous === app) this.previous = null;
    if (!app.alive) this.bringUp(app, now);
    else if (returning) {
      this.counters.warmResumes++;
      this.counters.warmResumeWaitMs += app.spec.warmResumeMs;
      this.events.push({ at: now, type: 'warm-resume', app: app.id });
    }
    this.events.push({ at: now, type: 'foreground', app: app.id });
  }

  private leaveForeground(app: SimApp, now: number): void {
    app.isForeground = false;
    app.lastForegroundAt = now;
    app.lastUsedAt = now;
    this.foreground = null;
    this.previous = app;
    this.events.push({ at: now, type: 'background', app: app.id });
  }

  private endApp(app: SimApp, by: 'agent' | 'oom' | null): void {
    this.byPid.delete(app.pid);
    if (app.alive) app.endLife();
    app.killedBy = by;
    if (this.foreground === app) this.foreground = null;
    if (this.previous === app) this.previous = null;
  }

  private onOomKill(victim: SimApp): void {
    // MemoryModel already released the pages; record who did it.
    this.byPid.delete(victim.pid);
    victim.killedBy = 'oom';
    if (this.foreground === victim) this.foreground = null;
    if (this.previous === victim) this.previous = null;
    this.counters.oomKills++;
    this.events.push({ at: this.now(), type: 'oom-kill', app: victim.id });
  }

  bandOf(app: SimApp): ImportanceBand {
    if (app.isForeground) return 'foreground';
    if (app.spec.importance) return app.spec.importance;
    return app === this.previous ? 'previous' : 'cached';
  }

  // ---- Host -----------------------------------------------------------------------------

  snapshot(): ProcessSnapshot[] {
    const alive = this.apps.filter((a) => a.alive);
    // Android spreads cached apps over adj 900..999 by recency of use.
    const cachedOrder = alive
      .filter((a) => this.bandOf(a) === 'cached')
      .sort((a, b) => b.lastUsedAt - a.lastUsedAt || a.pid - b.pid);
    const cachedAdj = new Map(cachedOrder.map((a, i) => [a, 900 + Math.min(99, i)]));
    return alive.map((a) => {
      const band = this.bandOf(a);
      return {
        pid: a.pid,
        startTime: a.startTime,
        appKey: a.id,
        name: a.id,
        importance: band,
        oomScoreAdj: cachedAdj.get(a) ?? BAND_ADJ[band],
        priority: a.priority,
        isForeground: a.isForeground,
        // On the scheduler's clock, as policies compare it with their context's `now`
        // (the same in a replay, which starts at 0; wall time when served live).
        lastForegroundAt: a.lastForegroundAt === null ? null : a.lastForegroundAt + this.startedAt,
        // RSS counts pages on every node (a demoted page is still mapped), as /proc/PID/status does.
        rssAnonBytes: (a.anonResident + a.anonHotSlow + a.anonColdSlow) * PAGE_SIZE,
        rssFileBytes: (a.fileResident + a.fileHotSlow + a.fileColdSlow) * PAGE_SIZE,
        swapBytes: a.zramPages * PAGE_SIZE,
        // The idle estimate a policy may use (h13): the pages outside the working set.
        idleAnonBytes: a.anonColdRes * PAGE_SIZE,
        idleFileBytes: a.fileColdRes * PAGE_SIZE,
      };
    });
  }

  sample(): PressureReading {
    return { at: this.now(), psi: this.pressure.reading(), vmpressure: this.lastVmpressure ?? undefined, memory: this.memoryReading() };
  }

  private memoryReading(): PressureReading['memory'] {
    const m = this.memory;
    return {
      totalBytes: m.ramPages * PAGE_SIZE,
      availableBytes: m.availablePages * PAGE_SIZE,
      freeBytes: Math.max(0, m.freePages) * PAGE_SIZE,
      swapTotalBytes: m.zramCapacityPages * PAGE_SIZE,
      swapFreeBytes: m.zramFreePages * PAGE_SIZE,
      fileCacheBytes: m.fileCachePages * PAGE_SIZE,
      anonBytes: this.apps.reduce((n, a) => n + (a.alive ? a.anonResident : 0), 0) * PAGE_SIZE,
      zramBytes: m.zramFootprintPages * PAGE_SIZE,
      watermarks: { ...this.scenario.device.watermarks },
      workingsetRefaultFile: m.refaultsFile,
      pgscanDirect: m.pgscanDirect,
      inactiveFileBytes: m.inactiveFilePages * PAGE_SIZE,
      pgscanKswapd: m.pgscanKswapd,
      lowRamDevice: this.scenario.device.lowRam ?? false,
      ...(m.tier ? { tiers: [{ name: m.tier.name, totalBytes: m.tierCapacityPages * PAGE_SIZE, freeBytes: m.tierFreePages * PAGE_SIZE, accessLatencyNs: m.tier.accessLatencyNs, kernelDemotes: this.scenario.device.demotion === true }] } : {}),
    };
  }

  execute(action: PlannedAction): Observable<ActionOutcome> {
    const started = this.now();
    const app = this.byPid.get(action.pid);
    if (!app || !app.alive || app.startTime !== action.startTime) {
      return of(this.outcome(action, 'gone', `process ${action.pid} (${action.appKey}) is gone`, started));
    }
    const refusal = this.refusal(app);
    if (refusal) return of(this.outcome(action, 'refused', refusal, started));
    if (action.type === 'kill') {
      const anon = app.anonResident * PAGE_SIZE;
      const file = app.fileResident * PAGE_SIZE;
      this.endApp(app, 'agent');
      this.counters.agentKills++;
      this.events.push({ at: started, type: 'agent-kill', app: app.id });
      return of(this.outcome(action, 'ok', `killed ${app.id}`, started, anon, file));
    }
    if (action.kind === 'demote') {
      const unsupported = this.demoteUnsupported(action);
      if (unsupported) return of(this.outcome(action, 'unsupported', unsupported, started));
      // Migration is CPU work in the agent's context too (move_pages copies each page).
      const pages = Math.min(app.resident, budgetPages(action), this.memory.tierFreePages);
      const ms = (pages * MIGRATE_US_PER_PAGE) / 1000;
      if (ms > 0) this.agentJobs.push({ start: started, end: started + ms });
      return timer(ms, this.scheduler).pipe(map(() => this.completeReclaim(action, app, started)));
    }
    // Reclaim takes time (compression is CPU work): the outcome arrives when it is done,
    // which is what makes overlapping requests on one process possible to get wrong.
    const budget = budgetPages(action);
    const anonPages = action.kind === 'file' ? 0 : Math.min(app.anonResident, budget);
    const filePages = action.kind === 'anon' ? 0 : Math.min(app.fileResident, budget);
    const durationMs =
      action.mode === 'cold'
        ? 0
        : (anonPages * this.scenario.device.zram.compressUsPerPage + filePages * this.scenario.device.fileDropUsPerPage) / 1000;
    if (durationMs > 0) this.agentJobs.push({ start: started, end: started + durationMs });
    return timer(durationMs, this.scheduler).pipe(map(() => this.completeReclaim(action, app, started)));
  }

  /** The mechanism re-checks the protection rule at the moment it acts (the app may have come to the front since the plan). */
  private refusal(app: SimApp): string | null {
    const why = protectionReason(app);
    return why === null ? null : `${app.id}: ${why}`;
  }

  /** Why a demote cannot run here, or null: the device needs the slower tier the action names. */
  private demoteUnsupported(action: ReclaimAction): string | null {
    const tier = this.memory.tier;
    if (!tier) return `${this.scenario.device.name} has no slower memory tier to demote to (device.tiers is empty)`;
    if (action.tier !== undefined && action.tier !== tier.name) return `${this.scenario.device.name} has no tier "${action.tier}" (its slower tier is "${tier.name}")`;
    return null;
  }

  private completeDemote(action: ReclaimAction, app: SimApp, started: number): ActionOutcome {
    const tier = this.memory.tier!;
    const freeBefore = this.memory.freePages;
    // The idle pages only: the working set on the slower tier would cost a slower touch at once, every time.
    const moved = this.memory.demote(app, budgetPages(action), false);
    const pages = moved.anon + moved.file;
    this.counters.movedBytes += pages * PAGE_SIZE;
    this.counters.reclaimedBytes += Math.max(0, this.memory.freePages - freeBefore) * PAGE_SIZE;
    const full = pages < budgetPages(action) && this.memory.tierFreePages === 0 ? ` (${tier.name} full)` : '';
    const done = { ...action, tier: tier.name };
    return this.outcome(done, 'ok', `demoted ${moved.anon} anon + ${moved.file} file pages to ${tier.name}${full}`, started, moved.anon * PAGE_SIZE, moved.file * PAGE_SIZE);
  }

  private completeReclaim(action: ReclaimAction, app: SimApp, started: number): ActionOutcome {
    if (!app.alive || app.pid !== action.pid || app.startTime !== action.startTime) {
      return this.outcome(action, 'gone', `process ${action.pid} (${action.appKey}) exited during reclaim`, started);
    }
    const refusal = this.refusal(app);
    if (refusal) return this.outcome(action, 'refused', `${refusal}; reclaim cancelled`, started);
    if (action.mode === 'cold') {
      app.deactivated = true;
      return this.outcome(action, 'ok', `deactivated ${app.id}'s pages (MADV_COLD)`, started);
    }
    if (action.kind === 'demote') return this.completeDemote(action, app, started);
    let budget = budgetPages(action);
    const freeBefore = this.memory.freePages;
    let file = 0;
    let anon = 0;
    if (action.kind !== 'anon') {
      file = app.dropFile(budget, true);
      budget -= file;
    }
    if (action.kind !== 'file') {
      anon = this.memory.pageOutAnon(app, budget, true);
    }
    // Moved is what the action reports; freed is what RAM gained, the compressed copies in
    // zram counted (nothing else changes the free count inside this call).
    this.counters.movedBytes += (anon + file) * PAGE_SIZE;
    this.counters.reclaimedBytes += Math.max(0, this.memory.freePages - freeBefore) * PAGE_SIZE;
    const full = action.kind !== 'file' && app.anonResident > 0 && anon < budget && this.memory.zramFreePages === 0 ? ' (zram full)' : '';
    return this.outcome(action, 'ok', `reclaimed ${anon} anon + ${file} file pages${full}`, started, anon * PAGE_SIZE, file * PAGE_SIZE);
  }

  private outcome(action: PlannedAction, result: ActionResult, message: string, started: number, anon = 0, file = 0): ActionOutcome {
    const at = this.now();
    return { action, result, message, reclaimedAnonBytes: anon, reclaimedFileBytes: file, durationMs: at - started, at };
  }

  // ---- metrics and invariants -----------------------------------------------------------

  /** Every metric the device knows; the engine supplies decisions and their latency. */
  metrics(): Omit<ReplayMetrics, 'decisions' | 'decisionLatencyUs'> {
    const c = this.counters;
    const stallMs = round1(c.foregroundStallUs / 1000);
    const visibleMs = round1(c.visibleStallUs / 1000);
    const perceptibleMs = round1(c.perceptibleStallUs / 1000);
    return {
      agentKills: c.agentKills,
      oomKills: c.oomKills,
      stateLoss: c.stateLoss,
      coldStarts: c.coldStarts,
      warmResumes: c.warmResumes,
      foregroundStallMs: stallMs,
      userWaitMs: round1(stallMs + visibleMs + perceptibleMs + c.coldStartWaitMs + c.warmResumeWaitMs),
      userWaitByBandMs: { foreground: stallMs, visible: visibleMs, perceptible: perceptibleMs, coldStart: c.coldStartWaitMs, warmResume: c.warmResumeWaitMs },
      refaultsAnon: this.memory.refaultsAnon,
      refaultsFile: this.memory.refaultsFile,
      reclaimedBytes: c.reclaimedBytes,
      movedBytes: c.movedBytes,
      zramCpuMs: round1(this.memory.zramCpuUs / 1000),
      cpuMsBy: { agent: round1(this.memory.cpuUs.agent / 1000), kswapd: round1(this.memory.cpuUs.kswapd / 1000), apps: round1(this.memory.cpuUs.apps / 1000) },
      timeAtLevelMs: { ...c.timeAtLevelMs },
    };
  }

  /** Conservation and bounds; an empty list means the model is consistent. */
  invariantViolations(): string[] {
    const out: string[] = [];
    for (const a of this.apps) {
      const fields = ['anonHotRes', 'anonHotZram', 'anonColdRes', 'anonColdZram', 'anonSharedRes', 'anonSharedZram', 'anonSharedSlow', 'fileHotRes', 'fileHotOut', 'fileColdRes', 'fileColdOut', 'anonHotSlow', 'anonColdSlow', 'fileHotSlow', 'fileColdSlow', 'anonHotAct', 'anonColdAct', 'fileHotAct', 'fileColdAct'] as const;
      for (const f of fields) {
        if (!Number.isInteger(a[f]) || a[f] < 0) out.push(`${a.id}.${f} = ${a[f]}`);
      }
      if (a.alive && a.fileTotal !== a.pagesFile) out.push(`${a.id}: file resident + dropped = ${a.fileTotal}, expected ${a.pagesFile}`);
      if (!a.alive && a.resident + a.zramPages + a.slowPages !== 0) out.push(`${a.id}: dead but holds pages`);
      // Active pages are a subset of each class's resident ones.
      if (a.anonHotAct > a.anonHotRes || a.anonColdAct > a.anonColdRes || a.fileHotAct > a.fileHotRes || a.fileColdAct > a.fileColdRes) out.push(`${a.id}: more active pages than resident`);
      // Marked pages (seen once by reclaim, or deactivated) are a subset of each class's inactive ones.
      for (const c of LRU_CLASSES) if (!(a.marked[c] >= 0 && a.marked[c] <= a.inactive(c) && Number.isInteger(a.marked[c]))) out.push(`${a.id}: ${a.marked[c]} ${c} pages marked of ${a.inactive(c)} inactive`);
      // Shared anon pages are a subset of the cold ones, and only kswapd and faults move them.
      if (a.anonSharedRes > a.anonColdRes || a.anonSharedZram > a.anonColdZram || a.anonSharedSlow > a.anonColdSlow) out.push(`${a.id}: shared anon pages exceed the cold ones`);
      const shared = a.anonSharedRes + a.anonSharedZram + a.anonSharedSlow;
      if (a.alive && shared !== a.sharedAnonTotal) out.push(`${a.id}: shared resident + zram + slow = ${shared}, expected ${a.sharedAnonTotal}`);
    }
    if (this.memory.zramStoredPages > this.memory.zramCapacityPages) {
      out.push(`zram holds ${this.memory.zramStoredPages} pages, capacity ${this.memory.zramCapacityPages}`);
    }
    if (this.memory.tierStoredPages > this.memory.tierCapacityPages) {
      out.push(`the slower tier holds ${this.memory.tierStoredPages} pages, capacity ${this.memory.tierCapacityPages}`);
    }
    return out;
  }

  private assertInvariants(): void {
    const v = this.invariantViolations();
    if (v.length > 0) throw new Error(`simulator invariant broken at ${this.now()} ms: ${v.join('; ')}`);
  }

  currentForeground(): string | null {
    return this.foreground?.id ?? null;
  }
}

function budgetPages(action: ReclaimAction): number {
  return action.requestedBytes > 0 ? Math.ceil(action.requestedBytes / PAGE_SIZE) : Number.MAX_SAFE_INTEGER;
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}
