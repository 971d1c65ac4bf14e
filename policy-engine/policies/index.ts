import { PolicyRegistry } from '../registry';
import { androidPolicyFactory } from './android';
import { lmkdPolicyFactory } from './lmkd';
import { nonePolicyFactory } from './none';
import { proactivePolicyFactory } from './proactive';
import { reclaimPolicyFactory } from './reclaim';

export const DEFAULT_POLICY = 'reclaim';
/** What a comparison runs beside reclaim by default: Android as shipped, lmkd alone, the kernel alone. */
export const BASELINE_POLICIES = ['android', 'lmkd', 'none'] as const;

/** A registry holding the built-in policies; callers may register more. */
export function createBuiltinRegistry(): PolicyRegistry {
  return new PolicyRegistry().register(reclaimPolicyFactory).register(androidPolicyFactory).register(lmkdPolicyFactory).register(proactivePolicyFactory).register(nonePolicyFactory);
}
