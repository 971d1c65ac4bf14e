import { createBuiltinRegistry, DEFAULT_POLICY } from '../../policy-engine/policies/index';
import { parseArgs } from './args';
import type { CommandIO } from './io';

/** `reclaimd policies`: every registered policy with its parameters and defaults. */
export function policiesCommand(argv: readonly string[], io: CommandIO): number {
  const args = parseArgs(argv, { json: { value: false, description: 'print JSON' } });
  const list = createBuiltinRegistry().list();
  if (args.flags.has('json')) {
    io.out(JSON.stringify(list.map((f) => ({ name: f.name, default: f.name === DEFAULT_POLICY, description: f.description, params: f.params }))));
    return 0;
  }
  for (const f of list) {
    io.out(`${f.name}${f.name === DEFAULT_POLICY ? ' (default)' : ''}: ${f.description}`);
    for (const [name, spec] of Object.entries(f.params)) {
      const range = spec.type === 'boolean' ? 'true|false' : `${spec.min}..${spec.max}${spec.unit ? ' ' + spec.unit : ''}`;
      io.out(`  ${name} = ${String(spec.default)}  (${range})  ${spec.description}`);
    }
  }
  return 0;
}
