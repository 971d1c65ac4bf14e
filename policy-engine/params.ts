// Policy parameters: declared with defaults and bounds, configured from untrusted JSON.

export interface NumberParam {
  type: 'number' | 'integer';
  default: number;
  min: number;
  max: number;
  unit?: string;
  description: string;
}
export interface BooleanParam {
  type: 'boolean';
  default: boolean;
  description: string;
}
export type ParamSpec = NumberParam | BooleanParam;
export type ParamSpecs = Readonly<Record<string, ParamSpec>>;

export type ParamValues<S extends ParamSpecs> = {
  [K in keyof S]: S[K] extends BooleanParam ? boolean : number;
};

export class ParamError extends Error {
  constructor(readonly path: string, message: string) {
    super(`${path}: ${message}`);
    this.name = 'ParamError';
  }
}

/** Validate `input` against `specs`, filling defaults. Unknown keys are errors (typos). */
export function configureParams<S extends ParamSpecs>(policy: string, specs: S, input: unknown): ParamValues<S> {
  const out: Record<string, number | boolean> = {};
  for (const [key, spec] of Object.entries(specs)) out[key] = spec.default;
  if (input === undefined || input === null) return out as ParamValues<S>;
  if (typeof input !== 'object' || Array.isArray(input)) {
    throw new ParamError(policy, `expected an object of parameters, got ${describe(input)}`);
  }
  for (const [key, value] of Object.entries(input as Record<string, unknown>)) {
    // Own parameters only: a plain lookup would find constructor, toString… on Object.prototype.
    const spec = Object.hasOwn(specs, key) ? specs[key] : undefined;
    const path = `${policy}.${key}`;
    if (!spec) {
      const known = Object.keys(specs).join(', ') || 'none';
      throw new ParamError(path, `unknown parameter (known: ${known})`);
    }
    if (spec.type === 'boolean') {
      if (typeof value !== 'boolean') throw new ParamError(path, `expected true or false, got ${describe(value)}`);
      out[key] = value;
      continue;
    }
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new ParamError(path, `expected a number, got ${describe(value)}`);
    }
    if (spec.type === 'integer' && !Number.isInteger(value)) {
      throw new ParamError(path, `expected a whole number, got ${value}`);
    }
    if (value < spec.min || value > spec.max) {
      throw new ParamError(path, `expected ${spec.min}..${spec.max}${spec.unit ? ' ' + spec.unit : ''}, got ${value}`);
    }
    out[key] = value;
  }
  return out as ParamValues<S>;
}

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value);
  if (typeof value === 'object') return 'an object';
  return String(value);
}
