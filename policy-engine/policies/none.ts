import { dryRun } from '../dry-run';
import { configureParams } from '../params';
import type { PolicyFactory } from '../registry';
import { RECLAIM_PARAMS, ReclaimPolicyImpl } from './reclaim';

/**
 * Observe only: plans exactly what `reclaim` would, marks every action as a dry run, and
 * so lets the kernel alone handle the pressure while the log shows what we would have done.
 */
export const nonePolicyFactory: PolicyFactory = {
  name: 'none',
  description: 'Observe and log what `reclaim` would do (dry run); the kernel alone acts.',
  params: RECLAIM_PARAMS,
  create: (config?: unknown) => dryRun(new ReclaimPolicyImpl(configureParams('none', RECLAIM_PARAMS, config), 'none')),
};
