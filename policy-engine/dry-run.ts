import type { ReclaimPolicy } from './policy';

/**
 * The same policy, observing only: every planned action is marked as a dry run, which the
 * engine logs without asking the host to act. Used by `none` and by `--dry-run`.
 */
export function dryRun(policy: ReclaimPolicy, name = policy.name): ReclaimPolicy {
  return {
    name,
    tickIntervalMs: policy.tickIntervalMs,
    rank: (procs, ctx) => policy.rank(procs, ctx),
    plan: (signal, ranked, ctx) => policy.plan(signal, ranked, ctx).map((a) => ({ ...a, dryRun: true })),
    planAhead: policy.planAhead ? (signal, ranked, ctx) => policy.planAhead!(signal, ranked, ctx).map((a) => ({ ...a, dryRun: true })) : undefined,
    observe: policy.observe ? (outcome, ctx) => policy.observe!(outcome, ctx) : undefined,
  };
}

/**
 * The same policy with kills forbidden (the user's "allow kill" switch off): a planned kill
 * is logged as a dry run that says why, so the user still sees what would have happened.
 */
export function withoutKills(policy: ReclaimPolicy): ReclaimPolicy {
  return {
    ...dryRun(policy),
    plan: (signal, ranked, ctx) =>
      policy.plan(signal, ranked, ctx).map((a) => (a.type === 'kill' ? { ...a, dryRun: true, reason: `${a.reason} (kills are not allowed)` } : a)),
    // Reclaims go ahead as they are; kills are never planned ahead.
    planAhead: policy.planAhead ? (signal, ranked, ctx) => policy.planAhead!(signal, ranked, ctx) : undefined,
  };
}
