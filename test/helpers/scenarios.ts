import { validateScenario } from '../../scenario/validate';
import type { Scenario } from '../../scenario/scenario';

/** A small valid scenario as raw JSON, for tests that mutate one field. */
export function rawScenario(): Record<string, any> {
  return {
    name: 'tiny',
    description: 'two apps',
    device: 'phone-2g',
    duration: '30s',
    seed: 3,
    apps: [
      { id: 'a', anon: '100MiB', file: '40MiB', stateful: true },
      { id: 'b', anon: '80MiB', file: '20MiB' },
    ],
    timeline: [
      { at: '0s', do: 'foreground', app: 'a' },
      { at: '10s', do: 'foreground', app: 'b' },
      { at: '12s', do: 'allocate', app: 'b', size: '64MiB', over: '2s' },
    ],
  };
}

export function scenarioFrom(raw: unknown): Scenario {
  return validateScenario(raw, 'test');
}
