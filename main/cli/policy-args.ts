import { BASELINE_POLICIES, DEFAULT_POLICY } from '../../policy-engine/policies/index';
import type { PolicyRegistry } from '../../policy-engine/registry';
import { ParamError } from '../../policy-engine/params';
import { stringFlag, UsageError, type FlagSpec, type ParsedArgs } from './args';

/** The flags of commands that run one policy and compare others (replay, lab). */
export const POLICY_FLAGS: Record<string, FlagSpec> = {
  policy: { value: true, description: `policy to run (default ${DEFAULT_POLICY})` },
  compare: { value: true, description: `comma-separated policies to run beside it; "baselines" is ${BASELINE_POLICIES.join(',')}` },
  params: { value: true, description: 'JSON object of policy parameters by policy name, e.g. {"reclaim":{"allowKill":false}}' },
};

/** --policy then --compare, without repeats; unknown names fail before any work. */
export function policiesFromArgs(args: ParsedArgs, registry: PolicyRegistry): string[] {
  const primary = stringFlag(args, 'policy') ?? DEFAULT_POLICY;
  const compare = (stringFlag(args, 'compare') ?? '')
    .split(',')
    .map((s) => s.trim())
    .flatMap((p) => (p === 'baselines' ? [...BASELINE_POLICIES] : [p]))
    .filter((p) => p && p !== primary);
  const policies = [primary, ...new Set(compare)];
  for (const p of policies) registry.get(p);
  return policies;
}

/** A JSON flag's value, or undefined; bad JSON is a usage error naming the flag. */
export function jsonFlag(args: ParsedArgs, name: string): unknown {
  const text = stringFlag(args, name);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new UsageError(`--${name}: not valid JSON: ${(err as Error).message}`);
  }
}

/** --params as parameters by policy name. */
export function paramsByPolicy(args: ParsedArgs): Record<string, unknown> {
  const value = jsonFlag(args, 'params');
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new UsageError('--params: expected a JSON object keyed by policy name');
  return value as Record<string, unknown>;
}

/**
 * --params with every policy's parameters checked, not only the running one's: a switch of
 * policy in Settings (and a save, for later starts) uses them all. Names the flag and the parameter.
 */
export function checkedParamsByPolicy(args: ParsedArgs, registry: PolicyRegistry): Record<string, unknown> {
  const params = paramsByPolicy(args);
  try {
    registry.checkParams(params);
  } catch (err) {
    if (err instanceof ParamError) throw new UsageError(`--params: ${err.message}`);
    throw err;
  }
  return params;
}
