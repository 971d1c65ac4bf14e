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
    observe: policy.observe ? (outcome, ctx) => policy.observe!(outcome, ctx) : undefined,
  };
}
