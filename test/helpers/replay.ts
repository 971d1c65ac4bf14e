import { createBuiltinRegistry } from '../../policy-engine/policies/index';
import { loadScenario } from '../../scenario/load';
import { replay, type ReplayOptions, type ReplayResult } from '../../runs/replay';
import type { Scenario } from '../../scenario/scenario';

export const registry = createBuiltinRegistry();

/** Replay with invariant checks after every model step. */
export function run(scenario: Scenario | string, policy: string, extra: Partial<ReplayOptions> = {}): ReplayResult {
  const s = typeof scenario === 'string' ? loadScenario(scenario) : scenario;
  return replay(s, { registry, policy, keepDecisions: true, sim: { checkInvariants: true }, ...extra });
}

/** Which app was in the foreground at each moment, from the simulator's event log. */
export function foregroundAt(result: ReplayResult, at: number): string | null {
  let fg: string | null = null;
  for (const e of result.events) {
    if (e.at > at) break;
    if (e.type === 'foreground') fg = e.app;
    else if ((e.type === 'background' || e.type === 'close' || e.type === 'agent-kill' || e.type === 'oom-kill') && fg === e.app) fg = null;
  }
  return fg;
}
