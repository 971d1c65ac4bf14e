import { PolicyRegistry } from '../registry';
import { lmkdPolicyFactory } from './lmkd';
import { nonePolicyFactory } from './none';
import { proactivePolicyFactory } from './proactive';
import { reclaimPolicyFactory } from './reclaim';

export const DEFAULT_POLICY = 'reclaim';

/** A registry holding the built-in policies; callers may register more. */
export function createBuiltinRegistry(): PolicyRegistry {
  return new PolicyRegistry().register(reclaimPolicyFactory).register(lmkdPolicyFactory).register(proactivePolicyFactory).register(nonePolicyFactory);
}
