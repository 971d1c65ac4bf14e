import { LMKD_PSI_TRIGGERS, type PsiTriggers } from '../../policy-engine/detectors/psi-triggers';
import type { PressureLevel, PsiReading } from '../../policy-engine/types';
import type { TickStats } from './memory-model';

// The kernel's vmpressure thresholds (mm/vmpressure.c): share of scanned pages not reclaimed.
const VMPRESSURE_MEDIUM_PCT = 60;
const VMPRESSURE_CRITICAL_PCT = 95;
/**
 * mm/vmpressure.c vmpressure_win = SWAP_CLUSTER_MAX * 16 = 512 pages: the kernel adds up
 * scanned and reclaimed pages and reports only once this many were scanned, then starts over.
 */
export const VMPRESSURE_WIN_PAGES = 512;

export interface TickPressure {
  /** vmpressure event this tick, when the kernel's 512-page window filled (or reclaim failed). */
  vmpressure: { level: Exclude<PressureLevel, 'none'>; pressurePct: number } | null;
  /** A PSI trigger fired this tick (at most once per window per trigger, as the kernel does). */
  psiEvent: Exclude<PressureLevel, 'none' | 'low'> | null;
  psi: PsiReading;
}

/**
 * One tick's memory stall as kernel/sched/psi.c defines it: `some` while at least one task is
 * stalled on memory, `full` while every non-idle task is. kswapd counts as a stalled task
 * (mm/vmscan.c balance_pgdat() runs between psi_memstall_enter() and psi_memstall_leave()),
 * so its reclaim is `some` even when no app waits. The foreground app in use is non-idle all
 * tick, so `full` is its stall while nothing productive runs beside it: the agent compressing
 * is productive (process_madvise's pageout is not a memstall). Without a foreground app, the
 * non-idle tasks are the stalled ones, and `full` is `some` unless the agent runs. Per-CPU
 * states are folded into one system-wide view, and stalls of different tasks are taken to add
 * up (capped at the tick) rather than overlap: the model does not know when in a tick each is.
 */
export function psiStallMs(dt: number, t: TickStats): { someMs: number; fullMs: number } {
  const kswapdMs = Math.min(dt, t.kswapdCpuUs / 1000);
  const someMs = Math.min(dt, (t.foregroundStallUs + t.backgroundStallUs) / 1000 + kswapdMs);
  const stalledMs = t.foregroundPresent ? Math.min(dt, t.foregroundStallUs / 1000) : someMs;
  const fullMs = stalledMs * (1 - t.agentBusy);
  return { someMs, fullMs };
}

/**
 * Turns what the memory model did each tick into the kernel's two pressure interfaces:
 * vmpressure from reclaim efficiency, PSI from stall time (psiStallMs).
 */
export class PressureModel {
  private readonly someRing: number[];
  private readonly fullRing: number[];
  private ringIndex = 0;
  private someWindowMs = 0;
  private fullWindowMs = 0;
  private someAvg10 = 0;
  private fullAvg10 = 0;
  private someAvg60 = 0;
  private fullAvg60 = 0;
  /** vmpressure's window: pages scanned and reclaimed since the last report. */
  private vmScanned = 0;
  private vmReclaimed = 0;
  private lastMediumAt = -Infinity;
  private lastCriticalAt = -Infinity;

  constructor(private readonly dtMs: number, private readonly triggers: PsiTriggers = LMKD_PSI_TRIGGERS) {
    const slots = Math.max(1, Math.round(triggers.windowMs / dtMs));
    this.someRing = new Array<number>(slots).fill(0);
    this.fullRing = new Array<number>(slots).fill(0);
  }

  update(now: number, t: TickStats): TickPressure {
    const dt = this.dtMs;
    const { someMs, fullMs } = psiStallMs(dt, t);

    this.someWindowMs += someMs - this.someRing[this.ringIndex];
    this.fullWindowMs += fullMs - this.fullRing[this.ringIndex];
    this.someRing[this.ringIndex] = someMs;
    this.fullRing[this.ringIndex] = fullMs;
    this.ringIndex = (this.ringIndex + 1) % this.someRing.length;

    // The kernel's running averages are exponentially decaying percentages.
    const k10 = Math.exp(-dt / 10_000);
    const k60 = Math.exp(-dt / 60_000);
    const somePct = (100 * someMs) / dt;
    const fullPct = (100 * fullMs) / dt;
    this.someAvg10 = this.someAvg10 * k10 + somePct * (1 - k10);
    this.fullAvg10 = this.fullAvg10 * k10 + fullPct * (1 - k10);
    this.someAvg60 = this.someAvg60 * k60 + somePct * (1 - k60);
    this.fullAvg60 = this.fullAvg60 * k60 + fullPct * (1 - k60);

    // Reclaim that made no progress at all is the kernel's lowest scan priority: critical
    // (vmpressure_prio), reported at once whatever the window holds.
    let vmpressure: TickPressure['vmpressure'] = null;
    this.vmScanned += t.scanned + t.criticalPriority * VMPRESSURE_WIN_PAGES;
    this.vmReclaimed += t.reclaimed;
    if (t.exhausted) {
      vmpressure = { level: 'critical', pressurePct: 100 };
      this.vmScanned = this.vmReclaimed = 0;
    } else if (this.vmScanned >= VMPRESSURE_WIN_PAGES) {
      const pressurePct = Math.max(0, Math.round((100 * (this.vmScanned - this.vmReclaimed)) / this.vmScanned));
      const level = pressurePct >= VMPRESSURE_CRITICAL_PCT ? 'critical' : pressurePct >= VMPRESSURE_MEDIUM_PCT ? 'medium' : 'low';
      vmpressure = { level, pressurePct };
      this.vmScanned = this.vmReclaimed = 0;
    }

    // The PSI triggers fire as psi.c's do: once the window's stall crosses the threshold, at
    // most once per window each.
    let psiEvent: TickPressure['psiEvent'] = null;
    if (this.fullWindowMs >= this.triggers.fullMs && now - this.lastCriticalAt >= this.triggers.windowMs) {
      psiEvent = 'critical';
      this.lastCriticalAt = now;
    } else if (this.someWindowMs >= this.triggers.someMs && now - this.lastMediumAt >= this.triggers.windowMs) {
      psiEvent = 'medium';
      this.lastMediumAt = now;
    }
    return { vmpressure, psiEvent, psi: this.reading() };
  }

  /**
   * The averages are rounded to 0.01 % as /proc/pressure/memory prints them; the window totals
   * stay exact, since the detector compares them with the triggers as the kernel's trigger does.
   */
  reading(): PsiReading {
    const r = (x: number) => Math.round(x * 100) / 100;
    return {
      someAvg10: r(this.someAvg10),
      fullAvg10: r(this.fullAvg10),
      someAvg60: r(this.someAvg60),
      fullAvg60: r(this.fullAvg60),
      someWindowMs: this.someWindowMs,
      fullWindowMs: this.fullWindowMs,
      windowMs: this.triggers.windowMs,
    };
  }
}
