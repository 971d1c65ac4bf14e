import { configureParams } from '../params';
import type { PolicyContext, ReclaimPolicy } from '../policy';
import type { PolicyFactory } from '../registry';
import type { PlannedAction, PressureSignal, RankedProcess } from '../types';
import { RECLAIM_PARAMS, ReclaimPolicyImpl } from './reclaim';

/**
 * Observe only: plans exactly what `reclaim` would, marks every action as a dry run, and
 * so lets the kernel alone handle the pressure while the log shows what we would have done.
 */
export class NonePolicy implements ReclaimPolicy {
  readonly name = 'none';

  constructor(private readonly shadow: ReclaimPolicyImpl) {}

  rank(procs: Parameters<ReclaimPolicy['rank']>[0], ctx: PolicyContext): RankedProcess[] {
    return this.shadow.rank(procs, ctx);
  }

  plan(signal: PressureSignal, ranked: readonly RankedProcess[], ctx: PolicyContext): PlannedAction[] {
    return this.shadow.plan(signal, ranked, ctx).map((a) => ({ ...a, dryRun: true }));
  }
}

export const nonePolicyFactory: PolicyFactory = {
  name: 'none',
  description: 'Observe and log what `reclaim` would do (dry run); the kernel alone acts.',
  params: RECLAIM_PARAMS,
  create: (config?: unknown) => new NonePolicy(new ReclaimPolicyImpl(configureParams('none', RECLAIM_PARAMS, config), 'none')),
};
