// The reclaims planned ahead for each kind of kernel event, in memory shared between the
// main thread (which plans) and the reaction thread (which acts on an event without asking).
import type { KernelEvent } from './pressure-sources';
import { RECLAIM_KINDS, RECLAIM_MODES, type ReclaimKind, type ReclaimMode } from '../../common/vocabulary';

/** The events the kernel can send: PSI has no low level, vmpressure has three. */
export const REACTION_SLOTS: readonly { source: KernelEvent['source']; level: KernelEvent['level'] }[] = [
  { source: 'psi', level: 'medium' },
  { source: 'psi', level: 'critical' },
  { source: 'vmpressure', level: 'low' },
  { source: 'vmpressure', level: 'medium' },
  { source: 'vmpressure', level: 'critical' },
];

/**
 * How many of the policy's planned reclaims each slot keeps, in the policy's order: the
 * reaction takes the first whose process is still there, so a planned victim that exited
 * since the last scan does not leave the event unanswered.
 */
export const CANDIDATES_PER_SLOT = 4;

const FIELDS = 5; // pid, startTime, kind, mode, budgetBytes
// Encoded as their index in the vocabulary's lists.
const KINDS: readonly ReclaimKind[] = RECLAIM_KINDS;
const MODES: readonly ReclaimMode[] = RECLAIM_MODES;

/**
 * What became of the kernel's events in the reaction thread, each counted once by its fate: for the
 * benchmark and `serve`'s status, so an event left unanswered says why.
 */
export interface ReactionCounts {
  /** Every event poll() returned. */
  heard: number;
  /** Dropped by the storm control: same or lower level from the same source within minIntervalMs (the engine's throttle). */
  throttled: number;
  /** No plan armed (no planner yet, or it went away) — posted to the engine. */
  notArmed: number;
  /** A plan, but the policy had nothing to reclaim for this kind of event — posted to the engine. */
  slotEmpty: number;
  /** Every planned process was acted on by this thread within TAKEN_GUARD_MS (the main thread has not planned again yet) — posted to the engine. */
  candidatesBusy: number;
  /** Every planned process had exited or become untouchable — posted to the engine. */
  candidatesGone: number;
  /** Reclaimed here, first call before the main thread heard of it. */
  answered: number;
  /** Of `answered`, those whose target's /proc ranges were read ahead (ranges-ahead.ts): not a fate, a subset. */
  answeredReadAhead: number;
}

export const NO_REACTION_COUNTS: ReactionCounts = { heard: 0, throttled: 0, notArmed: 0, slotEmpty: 0, candidatesBusy: 0, candidatesGone: 0, answered: 0, answeredReadAhead: 0 };

/**
 * Processes the reaction thread acted on lately, skipped by the next events until the main
 * thread has heard of them: it then plans again with them busy in the engine (and the
 * policy's cooldown after). The main thread was measured up to ~60 ms late under load
 * (README, reaction path); TAKEN_GUARD_MS leaves margin and stays under the policy's
 * cooldowns (10 s by default; 1 s at the shortest any caller sets).
 */
export const TAKEN_GUARD_MS = 1000;

export class RecentlyTaken {
  private readonly at = new Map<string, number>();

  /** The candidates not taken within TAKEN_GUARD_MS of `now`, in their order. */
  fresh(candidates: readonly PlannedReclaim[], now: number): PlannedReclaim[] {
    for (const [key, t] of this.at) if (now - t >= TAKEN_GUARD_MS) this.at.delete(key);
    return candidates.filter((c) => !this.at.has(`${c.pid}:${c.startTime}`));
  }

  mark(c: PlannedReclaim, now: number): void {
    this.at.set(`${c.pid}:${c.startTime}`, now);
  }
}

/** Int32 control words. */
const STOP = 0;
/** 1 while a plan is armed (the main thread disarms it when its planner goes away or at a stop). */
const ARMED = 1;
/** Seqlock: odd while the main thread writes the plans. */
const SEQ = 2;
const CONTROL_WORDS = 4;

export interface PlannedReclaim {
  pid: number;
  startTime: number;
  kind: ReclaimKind;
  mode: ReclaimMode;
  budgetBytes: number;
}

export function slotOf(source: KernelEvent['source'], level: KernelEvent['level']): number {
  return REACTION_SLOTS.findIndex((s) => s.source === source && s.level === level);
}

/** The shared buffer and both sides' view of it. */
export class ReactionPlan {
  readonly buffer: SharedArrayBuffer;
  private readonly control: Int32Array;
  private readonly plans: Float64Array;

  constructor(buffer?: SharedArrayBuffer) {
    this.buffer = buffer ?? new SharedArrayBuffer(CONTROL_WORDS * 4 + REACTION_SLOTS.length * CANDIDATES_PER_SLOT * FIELDS * 8);
    this.control = new Int32Array(this.buffer, 0, CONTROL_WORDS);
    this.plans = new Float64Array(this.buffer, CONTROL_WORDS * 4);
  }

  /** Main thread: replace every slot's candidates and arm; returns the plan's sequence number. */
  write(slots: readonly (readonly PlannedReclaim[])[]): number {
    const seq = Atomics.add(this.control, SEQ, 1) + 1; // odd: writing
    this.plans.fill(0);
    slots.forEach((candidates, s) =>
      candidates.slice(0, CANDIDATES_PER_SLOT).forEach((c, k) => {
        const at = (s * CANDIDATES_PER_SLOT + k) * FIELDS;
        this.plans.set([c.pid, c.startTime, KINDS.indexOf(c.kind), MODES.indexOf(c.mode), c.budgetBytes], at);
      }),
    );
    Atomics.store(this.control, SEQ, seq + 1); // even: stable
    Atomics.store(this.control, ARMED, 1);
    return seq + 1;
  }

  /** Whether a plan is armed now (the reaction thread's count of why an event went unanswered). */
  get armed(): boolean {
    return Atomics.load(this.control, ARMED) === 1;
  }

  disarm(): void {
    Atomics.store(this.control, ARMED, 0);
  }

  /**
   * Reaction thread: the armed plan's candidates for one slot, in the policy's order, or null
   * when no plan is armed or the slot is empty. Reading does not disarm: a second event before
   * the main thread has planned again takes the next candidate (see RecentlyTaken), instead of
   * going to the engine's slower path — under thrashing, events come faster than the main
   * thread hears of the last one.
   */
  take(slot: number): { seq: number; candidates: PlannedReclaim[] } | null {
    if (Atomics.load(this.control, ARMED) !== 1) return null;
    const taken = this.read(slot);
    return taken.candidates.length > 0 ? taken : null;
  }

  /** The plan's sequence number now (even when stable): the reaction thread reads ahead for each new one. */
  get seq(): number {
    return Atomics.load(this.control, SEQ);
  }

  /** Every slot's candidates of the armed plan, in slot order (none when disarmed). */
  everyCandidate(): PlannedReclaim[] {
    if (!this.armed) return [];
    return REACTION_SLOTS.flatMap((_, slot) => this.read(slot).candidates);
  }

  /** One slot's candidates under the seqlock. */
  private read(slot: number): { seq: number; candidates: PlannedReclaim[] } {
    for (;;) {
      const before = Atomics.load(this.control, SEQ);
      if (before % 2 === 1) continue; // the main thread is writing a newer plan: microseconds
      const candidates: PlannedReclaim[] = [];
      for (let k = 0; k < CANDIDATES_PER_SLOT; k++) {
        const at = (slot * CANDIDATES_PER_SLOT + k) * FIELDS;
        const pid = this.plans[at];
        if (pid === 0) break;
        candidates.push({ pid, startTime: this.plans[at + 1], kind: KINDS[this.plans[at + 2]], mode: MODES[this.plans[at + 3]], budgetBytes: this.plans[at + 4] });
      }
      if (Atomics.load(this.control, SEQ) === before) return { seq: before, candidates };
    }
  }

  stop(): void {
    Atomics.store(this.control, STOP, 1);
  }

  get stopped(): boolean {
    return Atomics.load(this.control, STOP) === 1;
  }
}
