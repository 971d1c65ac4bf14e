import type { ActionOutcome, PlannedAction, PressureSignal, ProcessSnapshot, RankedProcess } from './types';

/** What the engine tells a policy besides the signal and the processes. */
export interface PolicyContext {
  /** Clock time in ms, from the engine's injected scheduler. */
  readonly now: number;
  /** Keys (see processKey) of processes with an action in flight: never plan another on them. */
  readonly busy: ReadonlySet<string>;
}

/**
 * Our userspace reclaim_ops: a policy ranks and plans, it never acts. Only a host executes
 * the planned actions, and reports outcomes back through observe().
 */
export interface ReclaimPolicy {
  readonly name: string;
  /** Best victim first, each with its score and a why. */
  rank(procs: readonly ProcessSnapshot[], ctx: PolicyContext): RankedProcess[];
  /** The actions for one signal, in the order they should run. */
  plan(signal: PressureSignal, ranked: readonly RankedProcess[], ctx: PolicyContext): PlannedAction[];
  /**
   * The reclaims plan() would return now, in its order, without recording anything (no
   * cooldown started, no episode tracked): what a host may issue ahead of the engine. Kills
   * are never planned ahead — a kill is judged at the moment. Without it, nothing is.
   */
  planAhead?(signal: PressureSignal, ranked: readonly RankedProcess[], ctx: PolicyContext): PlannedAction[];
  /** Feedback: the outcome of an action this policy planned. */
  observe?(outcome: ActionOutcome, ctx: PolicyContext): void;
  /** If set, the engine also calls plan() every this many ms with a `timer` signal. */
  readonly tickIntervalMs?: number;
  /**
   * If set, asked after every plan() and observe(): in how many ms the policy wants one
   * `timer` signal (a short re-poll after an event, as lmkd polls), or null for none. Each
   * answer replaces the previous request, so an idle policy costs no timer at all.
   */
  nextPollMs?(ctx: PolicyContext): number | null;
}

export function processKey(p: { pid: number; startTime: number }): string {
  return `${p.pid}:${p.startTime}`;
}
