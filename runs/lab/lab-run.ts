import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { asyncScheduler, type Subscription } from 'rxjs';
import { createEngine } from '../../policy-engine/engine';
import { BAND_ADJ } from '../../policy-engine/importance';
import type { PolicyRegistry } from '../../policy-engine/registry';
import { levelRank, type Decision, type PressureLevel, type UserPriority } from '../../policy-engine/types';
import { kernelPressureEvents } from '../../host/linux/pressure-events';
import { LinuxHost } from '../../host/linux/linux-host';
import type { Scenario, TimelineStep } from '../../scenario/scenario';
import { percentiles } from '../replay';
import type { ReplayMetrics } from '../../host/sim/sim-metrics';
import { LabWorker } from './lab-worker-process';
import { Memcg } from './memcg';

export interface LabRunOptions {
  registry: PolicyRegistry;
  /** `none` runs no agent at all: the kernel alone. */
  policy: string;
  policyConfig?: unknown;
  /** Scenario time runs this many times faster than the wall clock. */
  timeScale: number;
  /** The compiled lab-worker. */
  workerBin: string;
  /** A disk folder for the apps' mapped files (not tmpfs: file pages must be page cache). */
  dataDir: string;
  /** Name prefix of the memcg; the pid and policy are appended. */
  cgroupPrefix: string;
  onDecision?: (d: Decision) => void;
  /** Checked between steps: when it returns true the run stops early and cleans up. */
  aborted?: () => boolean;
}

export interface LabRunResult {
  policy: string;
  metrics: ReplayMetrics;
  /** Foreground touch-pass stall beyond each app's unloaded pass, per pass. */
  foregroundStall: { p50Ms: number; p99Ms: number; passes: number };
  events: { at: number; type: string; app: string }[];
}

interface AppState {
  worker: LabWorker | null;
  everLaunched: boolean;
  everForeground: boolean;
  closedByUser: boolean;
  killedByAgent: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Wait, but notice an abort within 100 ms. */
async function wait(ms: number, aborted?: () => boolean): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end && !aborted?.()) await sleep(Math.min(100, end - Date.now()));
}

/** Vmstat counters, for the zram CPU estimate (swap outs compress, swap ins decompress). */
function vmstat(name: string): number {
  const m = new RegExp(`^${name} (\\d+)$`, 'm').exec(readFileSync('/proc/vmstat', 'utf8'));
  return m ? Number(m[1]) : 0;
}

/**
 * Play one scenario with real processes in a memory cgroup the size of the device, under
 * one policy, and measure what happens. Cleans up its processes and cgroup whatever happens.
 */
export async function runLab(scenario: Scenario, o: LabRunOptions): Promise<LabRunResult> {
  const device = scenario.device;
  const memcg = new Memcg(`${o.cgroupPrefix}-${process.pid}-${o.policy}`, device.ramBytes - device.reservedBytes);
  const apps = new Map<string, AppState>(scenario.apps.map((a) => [a.id, { worker: null, everLaunched: false, everForeground: false, closedByUser: false, killedByAgent: false }]));
  const specs = new Map(scenario.apps.map((a) => [a.id, a]));
  const priorities = new Map<string, UserPriority>(scenario.apps.map((a) => [a.id, a.priority]));
  const events: LabRunResult['events'] = [];
  const decisions: Decision[] = [];
  const counters = { coldStarts: 0, warmResumes: 0, stateLoss: 0, coldStartWaitMs: 0 };
  const timeAtLevel = { low: 0, medium: 0, critical: 0 };
  const fgPasses = new Map<string, number[]>();
  let foreground: string | null = null;
  let host: LinuxHost | null = null;
  const subscriptions: Subscription[] = [];
  const t0 = Date.now();
  const at = () => Date.now() - t0;
  const start = { oom: memcg.counter('oom_kill'), refaultAnon: memcg.counter('total_workingset_refault_anon'), refaultFile: memcg.counter('total_workingset_refault_file'), pswpout: vmstat('pswpout'), pswpin: vmstat('pswpin') };
  let endCounters = { oom: 0, refaultAnon: 0, refaultFile: 0 };
  let levelUntil = 0;
  let level: PressureLevel = 'none';

  try {
    // Pressure as the kernel reports it for this cgroup, for time-at-level (every policy, and `none`).
    subscriptions.push(
      kernelPressureEvents({ memcg: memcg.path }).subscribe({
        next: (e) => {
          if (levelRank(e.level) >= levelRank(level) || Date.now() > levelUntil) level = e.level;
          levelUntil = Date.now() + 1000; // an event stands for the second around it
        },
        error: () => undefined,
      }),
    );
    const sampler = setInterval(() => {
      if (Date.now() > levelUntil) level = 'none';
      if (level !== 'none') timeAtLevel[level] += 100;
    }, 100);
    subscriptions.push({ unsubscribe: () => clearInterval(sampler) } as Subscription);

    if (o.policy !== 'none') {
      host = new LinuxHost({ memcg: memcg.path, scanMaxAgeMs: 300, priorities: () => priorities, memcgWatermarks: device.watermarks });
      host.startBackgroundScan(300);
      const engine = createEngine({ host, policy: o.registry.create(o.policy, o.policyConfig), scheduler: asyncScheduler, wallClock: () => performance.now() });
      subscriptions.push(
        engine.decisions$.subscribe((d) => {
          decisions.push(d);
          if (d.action.type === 'kill' && d.outcome.result === 'ok') {
            const app = apps.get(d.action.appKey);
            if (app) app.killedByAgent = true;
            events.push({ at: at(), type: 'agent-kill', app: d.action.appKey });
          }
          o.onDecision?.(d);
        }),
      );
    }

    const launch = async (id: string) => {
      const spec = specs.get(id)!;
      const state = apps.get(id)!;
      const rate = spec.backgroundTouchPerSec ?? 0.02;
      const argv = [...memcg.wrap(id), o.workerBin, String(Math.round(spec.anonBytes / 1048576)), String(Math.round(spec.fileBytes / 1048576)), join(o.dataDir, `${id}.data`), String(spec.workingSet), String(rate)];
      const returning = state.everLaunched && !state.closedByUser;
      const { worker, launchMs } = await LabWorker.start(`lab worker ${id}`, argv);
      if (returning) {
        // The app had been killed: the user waits for a relaunch, and loses what it held.
        counters.coldStarts++;
        counters.coldStartWaitMs += spec.coldStartMs + launchMs;
        events.push({ at: at(), type: 'cold-start', app: id });
        if (spec.stateful) {
          counters.stateLoss++;
          events.push({ at: at(), type: 'state-loss', app: id });
        }
      }
      state.worker = worker;
      state.everLaunched = true;
      state.closedByUser = false;
      state.killedByAgent = false;
      events.push({ at: at(), type: 'launch', app: id });
      setAdjustments();
    };
    // As ActivityManager does on a phone: each app's oom_score_adj follows its state, so
    // the agent (and lmkd) see real bands — foreground 0, previous 700, cached 900 and up.
    let previous: string | null = null;
    const lastUsed = new Map<string, number>();
    const setAdjustments = () => {
      const cached = [...apps.keys()].filter((id) => id !== foreground && id !== previous && !specs.get(id)!.importance).sort((a, b) => (lastUsed.get(b) ?? 0) - (lastUsed.get(a) ?? 0));
      for (const [id, state] of apps) {
        if (!state.worker || state.worker.exited) continue;
        const spec = specs.get(id)!;
        const adj = id === foreground ? 0 : spec.importance ? BAND_ADJ[spec.importance] : id === previous ? BAND_ADJ.previous : 900 + Math.min(99, cached.indexOf(id));
        try {
          writeFileSync(`/proc/${state.worker.pid}/oom_score_adj`, String(adj));
        } catch {
          /* it just died */
        }
      }
    };
    const alive = (id: string) => {
      const w = apps.get(id)!.worker;
      return w !== null && !w.exited;
    };
    const toBackground = (id: string) => {
      const w = apps.get(id)!.worker;
      if (w && !w.exited) {
        fgPasses.set(id, [...(fgPasses.get(id) ?? []), ...w.passesUs.splice(0)]);
        w.send('bg');
      }
      if (host && w) host.marked.unmark(w.pid);
      if (foreground === id) {
        foreground = null;
        previous = id;
      }
      lastUsed.set(id, at());
      setAdjustments();
    };

    const apply = async (step: TimelineStep) => {
      const state = apps.get(step.app)!;
      switch (step.do) {
        case 'launch':
          if (!alive(step.app)) await launch(step.app);
          return;
        case 'foreground': {
          if (foreground && foreground !== step.app) toBackground(foreground);
          if (!alive(step.app)) await launch(step.app);
          else if (state.everForeground && foreground !== step.app) {
            counters.warmResumes++;
            events.push({ at: at(), type: 'warm-resume', app: step.app });
          }
          state.everForeground = true;
          foreground = step.app;
          if (previous === step.app) previous = null;
          lastUsed.set(step.app, at());
          setAdjustments();
          host?.marked.mark(state.worker!.pid);
          state.worker!.send('fg');
          return;
        }
        case 'background':
          toBackground(step.app);
          return;
        case 'close':
          if (alive(step.app)) {
            state.closedByUser = true;
            state.worker!.send('quit');
          }
          return;
        case 'allocate': {
          if (!alive(step.app)) return;
          const mib = Math.round(step.bytes / 1048576);
          const parts = Math.max(1, Math.min(mib, Math.round(step.overMs / o.timeScale / 250)));
          for (let i = 0; i < parts; i++) {
            state.worker?.send('alloc', Math.round(mib / parts));
            if (parts > 1) await sleep(250);
          }
          return;
        }
        case 'free':
          state.worker?.send('free', Math.round(step.bytes / 1048576));
          return;
        case 'touch':
          state.worker?.send('touch', step.fraction);
          return;
        case 'priority':
          priorities.set(step.app, step.priority);
          return;
      }
    };

    for (const step of scenario.timeline) {
      const due = step.at / o.timeScale - at();
      if (due > 0) await wait(due, o.aborted);
      if (o.aborted?.()) break;
      await apply(step);
    }
    const end = scenario.durationMs / o.timeScale - at();
    if (end > 0) await wait(end, o.aborted);
    if (foreground) toBackground(foreground);
  } finally {
    for (const s of subscriptions) s.unsubscribe();
    // The cgroup's counters go with it: read them first.
    endCounters = { oom: memcg.counter('oom_kill'), refaultAnon: memcg.counter('total_workingset_refault_anon'), refaultFile: memcg.counter('total_workingset_refault_file') };
    await Promise.all([...apps.values()].map((a) => a.worker?.kill()));
    await host?.close();
    memcg.remove();
  }

  // Kills the agent did not make are the kernel's (its OOM counter says how many).
  const oomKills = Math.max(0, endCounters.oom - start.oom);
  const stalls: number[] = [];
  for (const passes of fgPasses.values()) {
    if (passes.length === 0) continue;
    const baseline = Math.min(...passes);
    for (const p of passes) stalls.push((p - baseline) / 1000);
  }
  const stallMs = Math.round(stalls.reduce((s, x) => s + x, 0) * 10) / 10;
  const p = percentiles(stalls);
  const reclaimed = decisions.reduce((s, d) => s + (d.outcome.result === 'ok' ? d.outcome.reclaimedAnonBytes + d.outcome.reclaimedFileBytes : 0), 0);
  const swapOut = vmstat('pswpout') - start.pswpout;
  const swapIn = vmstat('pswpin') - start.pswpin;
  const latency = percentiles(decisions.map((d) => d.latencyUs ?? 0));
  return {
    policy: o.policy,
    metrics: {
      agentKills: decisions.filter((d) => d.action.type === 'kill' && d.outcome.result === 'ok').length,
      oomKills,
      stateLoss: counters.stateLoss,
      coldStarts: counters.coldStarts,
      warmResumes: counters.warmResumes,
      foregroundStallMs: stallMs,
      userWaitMs: Math.round((stallMs + counters.coldStartWaitMs) * 10) / 10,
      // The lab times the foreground's passes only; visible and perceptible apps are not watched.
      userWaitByBandMs: null,
      refaultsAnon: Math.max(0, endCounters.refaultAnon - start.refaultAnon),
      refaultsFile: Math.max(0, endCounters.refaultFile - start.refaultFile),
      reclaimedBytes: reclaimed,
      // The outcomes' sum is what the actions moved; the lab does not yet measure RAM freed apart.
      movedBytes: reclaimed,
      // Estimated: pages swapped out/in times the device's compress/decompress cost.
      zramCpuMs: Math.round((swapOut * device.zram.compressUsPerPage + swapIn * device.zram.decompressUsPerPage) / 100) / 10,
      // pswpin/pswpout do not say who compressed: kswapd, direct reclaim or the agent.
      cpuMsBy: null,
      timeAtLevelMs: timeAtLevel,
      decisions: decisions.length,
      decisionLatencyUs: latency,
    },
    foregroundStall: { p50Ms: Math.round(p.p50 * 10) / 10, p99Ms: Math.round(p.p99 * 10) / 10, passes: stalls.length },
    events,
  };
}
