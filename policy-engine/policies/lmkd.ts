import { formatBytes } from '../../common/format';
import { isSystemBand } from '../importance';
import { configureParams, type ParamSpecs, type ParamValues } from '../params';
import { processKey, type PolicyContext, type ReclaimPolicy } from '../policy';
import { protectionReason } from '../protection';
import type { PolicyFactory } from '../registry';
import { belowKillAdj, BUSY, notEligible, skippedAbove } from '../skip-reasons';
import { PAGE_SIZE, type ActionOutcome, type KillReason, type MemoryReading, type PlannedAction, type PressureSignal, type ProcessSnapshot, type RankedProcess } from '../types';

// A port of Android's lmkd, written from the source (never copied) at one pinned revision.
// Line numbers below are of lmkd.cpp at that revision.
export const LMKD_REVISION = 'AOSP platform/system/memory/lmkd @767ae2336a12 (main, 2025-03-17)';

// lmkd.cpp:99-100 and ProcessList.java: the adj bands lmkd itself knows.
const PERCEPTIBLE_APP_ADJ = 200;
const OOM_SCORE_ADJ_MAX = 1000;
// lmkd.cpp:112 THRASHING_RESET_INTERVAL_MS.
const THRASHING_RESET_INTERVAL_MS = 1000;
// lmkd.cpp:141-145: poll for one PSI window after an event, every 10 ms when swap is low or
// a kill is in progress, otherwise every 100 ms.
const PSI_WINDOW_SIZE_MS = 1000;
const PSI_POLL_PERIOD_SHORT_MS = 10;
const PSI_POLL_PERIOD_LONG_MS = 100;
// lmkd.cpp:153-170: property defaults, and their low-RAM (ro.config.low_ram) variants.
const DEF_THRASHING = 100;
const DEF_THRASHING_LOWRAM = 30;
const DEF_THRASHING_DECAY = 10;
const DEF_THRASHING_DECAY_LOWRAM = 50;
/** Marks a parameter left to lmkd's own default (the property is unset). */
const UNSET = -1;

export const LMKD_PARAMS = {
  swapFreeLowPct: { type: 'integer', default: 10, min: 0, max: 100, unit: '%', description: 'ro.lmk.swap_free_low_percentage (DEF_LOW_SWAP 10): swap is low below this share of total swap free.' },
  thrashingLimitPct: { type: 'integer', default: UNSET, min: UNSET, max: 10_000, unit: '%', description: 'ro.lmk.thrashing_limit: file refaults in a 1 s window as a share of the file LRU; -1: 100, or 30 on a low-RAM device.' },
  thrashingLimitDecayPct: { type: 'integer', default: UNSET, min: UNSET, max: 100, unit: '%', description: 'ro.lmk.thrashing_limit_decay: cut of the limit after each thrashing kill; -1: 10, or 50 on a low-RAM device.' },
  thrashingCriticalPct: { type: 'integer', default: UNSET, min: UNSET, max: 30_000, unit: '%', description: 'ro.lmk.thrashing_limit_critical: above it perceptible apps may die too; -1: 3 × the thrashing limit.' },
  swapUtilMaxPct: { type: 'integer', default: 100, min: 0, max: 100, unit: '%', description: 'ro.lmk.swap_util_max: LOW_MEM_AND_SWAP_UTIL fires above it (100: never).' },
  filecacheMinKb: { type: 'integer', default: 0, min: 0, max: 100_000_000, unit: 'KiB', description: 'ro.lmk.filecache_min_kb: keep killing after thrashing while the file LRU is below it (0: never).' },
  stallLimitCriticalPct: { type: 'number', default: 100, min: 0, max: 100, unit: '%', description: 'ro.lmk.stall_limit_critical: PSI full avg10 above it allows killing perceptible apps.' },
  lowmemMinOomScore: { type: 'integer', default: 701, min: 201, max: 1001, description: 'ro.lmk.lowmem_min_oom_score (PREVIOUS_APP_ADJ + 1): LOW_MEM kills at or above this adj.' },
  pressureAfterKillMinScore: { type: 'integer', default: 0, min: 0, max: 1001, description: 'ro.lmk.pressure_after_kill_min_score: how deep PRESSURE_AFTER_KILL may go.' },
  swapCompressionRatio: { type: 'integer', default: 1, min: 0, max: 100, description: 'ro.lmk.swap_compression_ratio: free swap counts at most (free + inactive file) × this (0: free swap only).' },
  directReclaimThresholdMs: { type: 'integer', default: 0, min: 0, max: 60_000, unit: 'ms', description: 'ro.lmk.direct_reclaim_threshold_ms: DIRECT_RECL_STUCK (0: off).' },
  killTimeoutMs: { type: 'integer', default: 100, min: 0, max: 60_000, unit: 'ms', description: 'ro.lmk.kill_timeout_ms: wait this long for a victim to die before acting again.' },
  killHeaviestTask: { type: 'boolean', default: false, description: 'ro.lmk.kill_heaviest_task: the heaviest process of an adj, not the oldest.' },
  useVmpressure: { type: 'boolean', default: false, description: 'ro.lmk.use_psi=false: the legacy vmpressure strategy (mp_event_common) instead of PSI.' },
  lowMinAdj: { type: 'integer', default: 1001, min: -1000, max: 1001, description: 'Legacy ro.lmk.low: kill at or above this adj on a low vmpressure event (1001: never).' },
  mediumMinAdj: { type: 'integer', default: 800, min: -1000, max: 1001, description: 'Legacy ro.lmk.medium.' },
  criticalMinAdj: { type: 'integer', default: 0, min: -1000, max: 1001, description: 'Legacy ro.lmk.critical.' },
} as const satisfies ParamSpecs;

export type LmkdParams = ParamValues<typeof LMKD_PARAMS>;

/** lmkd.cpp:2633 enum zone_watermark: the lowest watermark breached, ordered. */
enum Wmark {
  Min = 0,
  Low = 1,
  High = 2,
  None = 3,
}

/** enum vmpressure_level: PSI trigger levels, ordered. */
const LEVEL_RANK = { low: 0, medium: 1, critical: 2 } as const;
type Level = keyof typeof LEVEL_RANK;

type Reclaim = 'none' | 'kswapd' | 'direct';

export interface KillDecision {
  /** lmkd's kill_reasons name (LOW_MEM_AND_SWAP, ...). */
  reason: KillReason;
  desc: string;
  minAdj: number;
}

/** The properties lmkd derives from ro.config.low_ram (lmkd.cpp:4142-4163, update_props). */
export interface LmkdProps {
  thrashingLimit: number;
  thrashingDecay: number;
  thrashingCritical: number;
}

export function lmkdProps(p: LmkdParams, lowRam: boolean): LmkdProps {
  const thrashingLimit = p.thrashingLimitPct === UNSET ? (lowRam ? DEF_THRASHING_LOWRAM : DEF_THRASHING) : p.thrashingLimitPct;
  return {
    thrashingLimit,
    thrashingDecay: p.thrashingLimitDecayPct === UNSET ? (lowRam ? DEF_THRASHING_DECAY_LOWRAM : DEF_THRASHING_DECAY) : p.thrashingLimitDecayPct,
    thrashingCritical: p.thrashingCriticalPct === UNSET ? thrashingLimit * 3 : p.thrashingCriticalPct,
  };
}

const pages = (bytes: number | undefined): number => Math.floor((bytes ?? 0) / PAGE_SIZE);

/**
 * Baseline: Android lmkd (LMKD_REVISION). On a PSI event it runs __mp_event_psi: decides
 * from zone watermarks, free swap, page-cache thrashing and reclaim activity whether to kill
 * and how deep, kills one process (highest oom_score_adj first; the oldest of an adj, the
 * heaviest once at perceptible), then re-polls memory every 10-100 ms for a second. It never
 * reclaims. User priorities are invisible to it, except `protected`, honoured as a
 * persistent process would be. With useVmpressure it runs the legacy mp_event_common instead.
 */
export class LmkdPolicy implements ReclaimPolicy {
  readonly name: string = 'lmkd';

  // __mp_event_psi's statics (lmkd.cpp:2720-2733).
  private initWsRefault = 0;
  private prevWorkingsetRefault = 0;
  private baseFileLru = 0;
  private initPgscanKswapd = 0;
  private initPgscanDirect = 0;
  private initPgrefill = 0;
  private killing = false;
  private thrashingLimit: number | null = null;
  // CLOCK_MONOTONIC is far from zero on a device; -Infinity keeps the first window "long ago".
  private thrashingResetAt = -Infinity;
  private prevThrashGrowth = 0;
  private checkFilecache = false;
  private maxThrashing = 0;
  private prevLevel: Level = 'low';

  // The kill in flight (last_kill_pid_or_fd, last_kill_tm) and the main loop's polling state.
  private lastKillAt = -Infinity;
  private waitingForKill: string | null = null;
  private resumeNow = false;
  private polling = false;
  private pollStartAt = 0;
  private lastPollAt = 0;
  private pollIntervalMs = PSI_POLL_PERIOD_LONG_MS;
  private pollLevel: Level = 'low';

  // record_low_pressure_levels (lmkd.cpp:2596): free pages seen at low vmpressure events.
  private lowPressureMinFree = -1;
  private lowPressureMaxFree = -1;

  constructor(readonly params: LmkdParams) {}

  rank(procs: readonly ProcessSnapshot[]): RankedProcess[] {
    const ranked = procs.map((p): RankedProcess => {
      // lmkd itself may kill adj 0, the foreground app, when min_score_adj is 0 (its critical
      // level): the foreground is left to the host's own check of the protection rule, which refuses it.
      const blocked = protectionReason({ ...p, isForeground: false }) ?? (isSystemBand(p.importance) || p.oomScoreAdj < 0 ? 'persistent/system' : null);
      return {
        process: p,
        score: blocked ? -Infinity : p.oomScoreAdj,
        effectiveAdj: p.oomScoreAdj,
        eligible: blocked === null,
        why: blocked ? `not a candidate: ${blocked}` : `oom_score_adj ${p.oomScoreAdj}, ${formatBytes(p.rssAnonBytes + p.rssFileBytes)} resident`,
      };
    });
    // Highest adj first. Within an adj lmkd takes the tail of the adj's list, the process
    // that has held that adj longest; the time it left the foreground stands in for that.
    ranked.sort(
      (a, b) =>
        b.score - a.score ||
        (a.process.lastForegroundAt ?? -Infinity) - (b.process.lastForegroundAt ?? -Infinity) ||
        a.process.pid - b.process.pid,
    );
    return ranked;
  }

  plan(signal: PressureSignal, ranked: readonly RankedProcess[], ctx: PolicyContext): PlannedAction[] {
    if (this.params.useVmpressure) {
      return signal.source === 'vmpressure' && signal.vmpressure ? this.mpEventCommon(signal, ranked, ctx) : [];
    }
    if (signal.source === 'vmpressure' || signal.source === 'manual') return [];
    // A PSI trigger is an event (events > 0); a timer is the main loop's poll, which calls the
    // handler that started polling with events = 0 (mainloop, lmkd.cpp:3966-3987).
    const isEvent = signal.source === 'psi';
    const level: Level = isEvent ? (signal.level === 'critical' ? 'critical' : signal.level === 'medium' ? 'medium' : 'low') : this.pollLevel;
    const result = this.mpEventPsi(signal, level, isEvent, ranked, ctx);
    this.afterHandler(ctx.now, result.update, level);
    return result.actions;
  }

  observe(outcome: ActionOutcome, ctx: PolicyContext): void {
    if (outcome.action.type !== 'kill' || processKey(outcome.action) !== this.waitingForKill) return;
    // The pidfd said the victim is dead (or it never was killed): stop waiting and resume
    // polling at once, at the short period (stop_wait_for_proc_kill, resume_polling :3902).
    this.waitingForKill = null;
    // The legacy strategy never polls (use_psi_monitors is false).
    if (this.params.useVmpressure) return;
    if (outcome.result !== 'ok') this.killing = false;
    this.resumeNow = true;
    this.polling = true;
    this.pollStartAt = ctx.now;
    this.pollIntervalMs = PSI_POLL_PERIOD_SHORT_MS;
  }

  nextPollMs(ctx: PolicyContext): number | null {
    // Waiting for a kill: polling is paused until the death or kill_timeout_ms (mainloop :3991-4004).
    if (this.waitingForKill !== null) return this.params.killTimeoutMs > 0 ? Math.max(0, this.lastKillAt + this.params.killTimeoutMs - ctx.now) : null;
    if (this.resumeNow) return 0;
    if (!this.polling) return null;
    return Math.max(0, this.lastPollAt + this.pollIntervalMs - ctx.now);
  }

  /** call_handler (lmkd.cpp:3909): what the main loop does with the handler's polling request. */
  private afterHandler(now: number, update: 'start' | 'pause' | 'keep' | 'ignored', level: Level): void {
    this.resumeNow = false;
    if (update === 'ignored') return;
    this.lastPollAt = now;
    if (update === 'start') {
      this.polling = true;
      this.pollStartAt = now;
      this.pollLevel = level;
    } else if (update === 'keep' && this.polling && now - this.pollStartAt > PSI_WINDOW_SIZE_MS) {
      this.polling = false;
    }
  }

  /** __mp_event_psi (lmkd.cpp:2713-3115), one wake-up. */
  private mpEventPsi(
    signal: PressureSignal,
    level: Level,
    isEvent: boolean,
    ranked: readonly RankedProcess[],
    ctx: PolicyContext,
  ): { actions: PlannedAction[]; update: 'start' | 'pause' | 'keep' | 'ignored' } {
    const p = this.params;
    const now = ctx.now;
    const m = signal.memory;
    const props = lmkdProps(p, m.lowRamDevice ?? false);
    if (this.thrashingLimit === null) this.thrashingLimit = props.thrashingLimit;

    // :2772-2786 A lower event within the first polling window is ignored; a poll resets the level.
    if (isEvent) {
      if (LEVEL_RANK[level] < LEVEL_RANK[this.prevLevel]) return { actions: [], update: 'ignored' };
      this.prevLevel = level;
    } else {
      this.prevLevel = 'low';
    }

    let actions: PlannedAction[] = [];
    let swapIsLow = false;
    let reclaim: Reclaim = 'none';
    decide: {
      // :2790-2796 Skip while still killing a process, unless kill_timeout_ms has passed.
      if (this.waitingForKill !== null && (p.killTimeoutMs === 0 || now - this.lastKillAt < p.killTimeoutMs)) break decide;
      this.waitingForKill = null;

      const wsRefault = m.workingsetRefaultFile ?? 0;
      const fileLru = pages(m.fileCacheBytes);
      // :2815-2824 Reset the thrashing baseline after a kill: this wake-up is the cycle after it.
      let cycleAfterKill = false;
      if (this.killing) {
        this.killing = false;
        cycleAfterKill = true;
        this.baseFileLru = fileLru;
        this.initWsRefault = wsRefault;
        this.thrashingResetAt = now;
        this.prevThrashGrowth = 0;
      }

      // :2826-2832 and get_free_swap (:2001): free swap, but no more than free + inactive file.
      const freeSwap = this.freeSwapPages(m);
      const swapLowThreshold = p.swapFreeLowPct ? Math.trunc((pages(m.swapTotalBytes) * p.swapFreeLowPct) / 100) : 0;
      swapIsLow = p.swapFreeLowPct > 0 && freeSwap < swapLowThreshold;

      // :2833-2864 Reclaim state from vmstat (no memevent listener): direct if pgscan_direct moved,
      // kswapd if pgscan_kswapd or pgrefill moved; otherwise, with no new refaults, bail out.
      const pgscanDirect = m.pgscanDirect ?? 0;
      const pgscanKswapd = m.pgscanKswapd ?? 0;
      const pgrefill = m.pgrefill ?? 0;
      if (pgscanDirect !== this.initPgscanDirect) {
        this.initPgscanDirect = pgscanDirect;
        this.initPgscanKswapd = pgscanKswapd;
        this.initPgrefill = pgrefill;
        reclaim = 'direct';
      } else if (pgscanKswapd !== this.initPgscanKswapd || pgrefill !== this.initPgrefill) {
        this.initPgscanKswapd = pgscanKswapd;
        this.initPgrefill = pgrefill;
        reclaim = 'kswapd';
      } else if (wsRefault === this.prevWorkingsetRefault) {
        break decide;
      }
      this.prevWorkingsetRefault = wsRefault;

      // :2877-2907 Thrashing: refaults since the window's start as a share of the file LRU at
      // its start, plus the previous window's growth, halved per window passed.
      let thrashing = 0;
      const sinceReset = now - this.thrashingResetAt;
      if (sinceReset > THRASHING_RESET_INTERVAL_MS) {
        this.prevThrashGrowth = Math.trunc(((wsRefault - this.initWsRefault) * 100) / (this.baseFileLru + 1));
        const windowsPassed = Math.floor(sinceReset / THRASHING_RESET_INTERVAL_MS);
        if (windowsPassed > 1 || this.prevThrashGrowth < this.thrashingLimit) {
          this.prevThrashGrowth = windowsPassed >= 63 ? 0 : Math.floor(this.prevThrashGrowth / 2 ** windowsPassed);
        }
        this.baseFileLru = fileLru;
        this.initWsRefault = wsRefault;
        this.thrashingResetAt = now;
        this.thrashingLimit = props.thrashingLimit;
      } else {
        thrashing = Math.trunc(((wsRefault - this.initWsRefault) * 100) / (this.baseFileLru + 1));
      }
      thrashing += this.prevThrashGrowth;
      if (this.maxThrashing < thrashing) this.maxThrashing = thrashing;

      const wmark = lowestWatermark(m);
      const criticalStall = (signal.psi?.fullAvg10 ?? 0) > p.stallLimitCriticalPct;
      const decision = this.killReason({ m, isEvent, level, cycleAfterKill, wmark, swapIsLow, freeSwap, swapLowThreshold, thrashing, reclaim, props });
      if (!decision) break decide;

      // :3069-3072 Allow killing perceptible apps if the system is stalled.
      const minAdj = criticalStall ? 0 : decision.minAdj;
      const victim = findVictim(ranked, minAdj, p.killHeaviestTask, ctx);
      if (!victim) break decide;
      // :3076-3086 A kill: reset the baseline next time, and cut the limit after a thrashing kill.
      this.killing = true;
      this.maxThrashing = 0;
      if (decision.reason === 'LOW_MEM_AND_THRASHING' || decision.reason === 'DIRECT_RECL_AND_THRASHING') {
        this.thrashingLimit = Math.trunc((this.thrashingLimit * (100 - props.thrashingDecay)) / 100);
      }
      this.lastKillAt = now;
      this.waitingForKill = processKey(victim.process);
      actions = [killAction(victim, decision.reason, `${decision.reason}: ${decision.desc} (${signal.source} ${isEvent ? signal.level : 'poll'}), min adj ${minAdj}${criticalStall ? ' (critical stall)' : ''}`, passedOver(ranked, victim, minAdj, ctx))];
    }

    // :3089-3115 no_kill: pause while waiting for the victim; (re)start polling after an event,
    // a kill or in direct reclaim; poll fast when swap is low or a kill is in progress.
    if (this.waitingForKill !== null) return { actions, update: 'pause' };
    this.pollIntervalMs = swapIsLow || this.killing ? PSI_POLL_PERIOD_SHORT_MS : PSI_POLL_PERIOD_LONG_MS;
    return { actions, update: isEvent || this.killing || reclaim === 'direct' ? 'start' : 'keep' };
  }

  /** get_free_swap (lmkd.cpp:2001): with zram, swap is only as free as the memory behind it. */
  private freeSwapPages(m: MemoryReading): number {
    const freeSwap = pages(m.swapFreeBytes);
    if (!this.params.swapCompressionRatio) return freeSwap;
    const easyAvailable = pages(m.freeBytes) + pages(m.inactiveFileBytes);
    return Math.min(freeSwap, easyAvailable * this.params.swapCompressionRatio);
  }

  /** The kill reasons of __mp_event_psi in lmkd's order (lmkd.cpp:2934-3051). */
  private killReason(s: {
    m: MemoryReading;
    isEvent: boolean;
    level: Level;
    cycleAfterKill: boolean;
    wmark: Wmark;
    swapIsLow: boolean;
    freeSwap: number;
    swapLowThreshold: number;
    thrashing: number;
    reclaim: Reclaim;
    props: LmkdProps;
  }): KillDecision | null {
    const p = this.params;
    const { wmark, thrashing, props } = s;
    const limit = this.thrashingLimit ?? props.thrashingLimit;
    const which = wmark < Wmark.Low ? 'min' : 'low';
    const swapText = `${formatBytes(s.freeSwap * PAGE_SIZE)} < ${formatBytes(s.swapLowThreshold * PAGE_SIZE)}`;
    // "Do not kill perceptible apps unless below min watermark or heavily thrashing."
    const abovePerceptible = (cond: boolean) => (cond ? PERCEPTIBLE_APP_ADJ + 1 : 0);
    if (s.cycleAfterKill && wmark < Wmark.Low) {
      return { reason: 'PRESSURE_AFTER_KILL', desc: 'min watermark is breached even after kill', minAdj: p.pressureAfterKillMinScore };
    }
    if (s.level === 'critical' && s.isEvent) {
      return { reason: 'NOT_RESPONDING', desc: 'device is not responding', minAdj: 0 };
    }
    if (s.swapIsLow && thrashing > props.thrashingLimit) {
      this.checkFilecache = true;
      return {
        reason: 'LOW_SWAP_AND_THRASHING',
        desc: `device is low on swap (${swapText}) and thrashing (${thrashing}%)`,
        minAdj: abovePerceptible(wmark > Wmark.Min && thrashing < props.thrashingCritical),
      };
    }
    if (s.swapIsLow && wmark < Wmark.High) {
      return {
        reason: 'LOW_MEM_AND_SWAP',
        desc: `${which} watermark is breached and swap is low (${swapText})`,
        minAdj: abovePerceptible(wmark > Wmark.Min && thrashing < props.thrashingCritical),
      };
    }
    if (wmark < Wmark.High && p.swapUtilMaxPct < 100) {
      const util = swapUtilization(s.m, s.freeSwap);
      if (util > p.swapUtilMaxPct) {
        return { reason: 'LOW_MEM_AND_SWAP_UTIL', desc: `${which} watermark is breached and swap utilization is high (${util}% > ${p.swapUtilMaxPct}%)`, minAdj: 0 };
      }
    }
    if (wmark < Wmark.High && thrashing > limit) {
      this.checkFilecache = true;
      return { reason: 'LOW_MEM_AND_THRASHING', desc: `${which} watermark is breached and thrashing (${thrashing}%)`, minAdj: abovePerceptible(thrashing < props.thrashingCritical) };
    }
    if (s.reclaim === 'direct' && thrashing > limit) {
      this.checkFilecache = true;
      return { reason: 'DIRECT_RECL_AND_THRASHING', desc: `device is in direct reclaim and thrashing (${thrashing}%)`, minAdj: abovePerceptible(thrashing < props.thrashingCritical) };
    }
    // Without memevents the reclaim start time is unknown (zero), so any direct reclaim counts
    // as longer than a non-zero threshold, as lmkd computes it.
    if (s.reclaim === 'direct' && p.directReclaimThresholdMs > 0) {
      return { reason: 'DIRECT_RECL_STUCK', desc: `device is stuck in direct reclaim (> ${p.directReclaimThresholdMs}ms)`, minAdj: 0 };
    }
    if (this.checkFilecache) {
      const fileLruKb = Math.floor((s.m.fileCacheBytes ?? 0) / 1024);
      if (fileLruKb < p.filecacheMinKb) {
        return { reason: 'LOW_FILECACHE_AFTER_THRASHING', desc: `filecache is low (${fileLruKb}kB < ${p.filecacheMinKb}kB) after thrashing`, minAdj: PERCEPTIBLE_APP_ADJ + 1 };
      }
      this.checkFilecache = false;
    }
    // :3044-3051 (Android 15) LOW_MEM: with no other reason, a cached app (adj ≥ 701) dies below the low watermark.
    if (wmark < Wmark.High) {
      return { reason: 'LOW_MEM', desc: `${which} watermark is breached`, minAdj: Math.max(PERCEPTIBLE_APP_ADJ + 1, p.lowmemMinOomScore) };
    }
    return null;
  }

  /** mp_event_common (lmkd.cpp:3132-3345), the legacy vmpressure strategy without minfree levels. */
  private mpEventCommon(signal: PressureSignal, ranked: readonly RankedProcess[], ctx: PolicyContext): PlannedAction[] {
    const p = this.params;
    const level = signal.vmpressure!.level;
    // :3194-3208 Within the kill timeout, skip while the victim still lives.
    if (p.killTimeoutMs && ctx.now - this.lastKillAt < p.killTimeoutMs && this.waitingForKill !== null) return [];
    this.waitingForKill = null;
    const free = pages(signal.memory.freeBytes);
    if (level === 'low') this.recordLowPressureLevels(free);
    const levelAdj = level === 'critical' ? p.criticalMinAdj : level === 'medium' ? p.mediumMinAdj : p.lowMinAdj;
    if (levelAdj > OOM_SCORE_ADJ_MAX) return [];
    // mem_pressure (memcg usage × 100 / usage+swap) is ≤ 100 by construction; with the default
    // ro.lmk.upgrade_pressure / downgrade_pressure of 100 and critical_upgrade off it changes nothing.
    // :3320-3330 Not a low-RAM device: ignore the event while more is free than at low pressure.
    if (!(signal.memory.lowRamDevice ?? false) && this.lowPressureMaxFree !== -1 && free >= this.lowPressureMaxFree) return [];
    const victim = findVictim(ranked, levelAdj, p.killHeaviestTask, ctx);
    if (!victim) return [];
    this.lastKillAt = ctx.now;
    this.waitingForKill = processKey(victim.process);
    return [killAction(victim, 'VMPRESSURE_LEVEL', `vmpressure ${level}: legacy level table, min adj ${levelAdj}`, passedOver(ranked, victim, levelAdj, ctx))];
  }

  /** record_low_pressure_levels (lmkd.cpp:2596): ignoring upward jumps of 10 % or more. */
  private recordLowPressureLevels(free: number): void {
    if (this.lowPressureMinFree === -1 || this.lowPressureMinFree > free) this.lowPressureMinFree = free;
    if (this.lowPressureMaxFree === -1 || (this.lowPressureMaxFree < free && free - this.lowPressureMaxFree < this.lowPressureMaxFree * 0.1)) {
      this.lowPressureMaxFree = free;
    }
  }
}

function killAction(victim: RankedProcess, killReason: KillReason, reason: string, skipped: Record<string, string>): PlannedAction {
  const proc = victim.process;
  const requestedBytes = proc.rssAnonBytes + proc.rssFileBytes + proc.swapBytes;
  return { type: 'kill', pid: proc.pid, startTime: proc.startTime, appKey: proc.appKey, requestedBytes, reason: `${reason}; ${victim.why}`, killReason, dryRun: false, skipped };
}

const residentBytes = (r: RankedProcess) => r.process.rssAnonBytes + r.process.rssFileBytes;

/** Why findVictim passed over each candidate ranked above the victim, in its order of checks. */
function passedOver(ranked: readonly RankedProcess[], victim: RankedProcess, minAdj: number, ctx: PolicyContext): Record<string, string> {
  return skippedAbove(ranked, victim, (r) => {
    if (!r.eligible) return notEligible(r);
    if (ctx.busy.has(processKey(r.process))) return BUSY;
    if (r.effectiveAdj < minAdj) return belowKillAdj(r.effectiveAdj, minAdj);
    const adj = Math.min(r.effectiveAdj, OOM_SCORE_ADJ_MAX);
    // Only the heaviest-process rule passes over an eligible one at the victim's own adj.
    if (adj === Math.min(victim.effectiveAdj, OOM_SCORE_ADJ_MAX)) {
      return `lighter: ${formatBytes(residentBytes(r))} resident; at adj ${adj} the heaviest goes first (${victim.process.appKey}, ${formatBytes(residentBytes(victim))})`;
    }
    return `not the victim: lmkd kills from adj ${OOM_SCORE_ADJ_MAX} down and took adj ${victim.effectiveAdj}`;
  });
}

/** get_lowest_watermark (lmkd.cpp:2651). */
function lowestWatermark(m: MemoryReading): Wmark {
  const w = m.watermarks;
  if (!w) return Wmark.None;
  if (m.freeBytes < w.minBytes) return Wmark.Min;
  if (m.freeBytes < w.lowBytes) return Wmark.Low;
  if (m.freeBytes < w.highBytes) return Wmark.High;
  return Wmark.None;
}

/** calc_swap_utilization (lmkd.cpp:2696): swap used as a share of all swappable memory. */
function swapUtilization(m: MemoryReading, freeSwap: number): number {
  const used = pages(m.swapTotalBytes) - freeSwap;
  const swappable = pages(m.anonBytes) + used;
  return swappable > 0 ? Math.trunc((used * 100) / swappable) : 0;
}

/**
 * find_and_kill_process (lmkd.cpp:2539): adj from 1000 down to minAdj; within an adj the
 * oldest (proc_adj_tail), or the heaviest (proc_get_heaviest) once at perceptible or below.
 */
export function findVictim(ranked: readonly RankedProcess[], minAdj: number, killHeaviest: boolean, ctx: PolicyContext): RankedProcess | null {
  const byAdj = new Map<number, RankedProcess[]>();
  for (const r of ranked) {
    if (!r.eligible || r.effectiveAdj < minAdj || ctx.busy.has(processKey(r.process))) continue;
    const adj = Math.min(r.effectiveAdj, OOM_SCORE_ADJ_MAX);
    const list = byAdj.get(adj);
    if (list) list.push(r);
    else byAdj.set(adj, [r]);
  }
  // Walking only the adjs that hold a process visits them in lmkd's order, 1000 downwards.
  for (const adj of [...byAdj.keys()].sort((a, b) => b - a)) {
    const atAdj = byAdj.get(adj)!;
    if (!killHeaviest && adj > PERCEPTIBLE_APP_ADJ) return atAdj[0];
    return atAdj.reduce((best, r) => (residentBytes(r) > residentBytes(best) ? r : best));
  }
  return null;
}

export const lmkdPolicyFactory: PolicyFactory = {
  name: 'lmkd',
  description: `Android lmkd ported from ${LMKD_REVISION}: every kill reason of __mp_event_psi in its order, 1 s of re-polling after an event, one kill at a time by oom_score_adj; never reclaims.`,
  params: LMKD_PARAMS,
  create: (config?: unknown) => new LmkdPolicy(configureParams('lmkd', LMKD_PARAMS, config)),
};
