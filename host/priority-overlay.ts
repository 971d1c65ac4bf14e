import type { Host } from '../policy-engine/host-contract';
import type { UserPriority } from '../policy-engine/types';

/**
 * A host whose processes carry the user's priorities (set in the app and stored in the
 * database) over the ones the host itself knows, so the simulated device obeys the same
 * priority editor as the real one. LinuxHost reads priorities itself; this is for the rest.
 */
export function withUserPriorities<H extends Host>(host: H, priorities: () => ReadonlyMap<string, UserPriority>): Host {
  return {
    name: host.name,
    pressure$: host.pressure$,
    sample: () => host.sample(),
    execute: (action) => host.execute(action),
    snapshot: () => {
      const map = priorities();
      const procs = host.snapshot();
      return map.size === 0 ? procs : procs.map((p) => (map.has(p.appKey) ? { ...p, priority: map.get(p.appKey)! } : p));
    },
  };
}
