// A small runtime schema for API payloads. Pure TypeScript (no Node, no DOM), so the
// daemon, the Electron main process and the renderer validate with the same code.
// Every failure names the field by its path: `params.filter.limit: expected an integer
// from 1 to 10000, got 0`.

export class SchemaError extends Error {
  constructor(readonly path: string, readonly expected: string, readonly got: unknown) {
    super(`${path}: expected ${expected}, got ${describeValue(got)}`);
    this.name = 'SchemaError';
  }
}

export type Schema<T> = (value: unknown, path: string) => T;
export type Infer<S> = S extends Schema<infer T> ? T : never;

export function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v);
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  return String(v);
}

export const str =
  (opts: { min?: number; max?: number; pattern?: RegExp; what?: string } = {}): Schema<string> =>
  (v, path) => {
    const min = opts.min ?? 0;
    const max = opts.max ?? 1_000_000;
    const what = opts.what ?? `a string of ${min} to ${max} characters`;
    if (typeof v !== 'string' || v.length < min || v.length > max || (opts.pattern && !opts.pattern.test(v))) throw new SchemaError(path, what, v);
    return v;
  };

export const int =
  (min: number, max: number): Schema<number> =>
  (v, path) => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw new SchemaError(path, `an integer from ${min} to ${max}`, v);
    return v;
  };

export const num =
  (min: number, max: number): Schema<number> =>
  (v, path) => {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) throw new SchemaError(path, `a number from ${min} to ${max}`, v);
    return v;
  };

export const bool: Schema<boolean> = (v, path) => {
  if (typeof v !== 'boolean') throw new SchemaError(path, 'true or false', v);
  return v;
};

export const oneOf =
  <T extends string>(values: readonly T[]): Schema<T> =>
  (v, path) => {
    if (typeof v !== 'string' || !(values as readonly string[]).includes(v)) throw new SchemaError(path, `one of ${values.join(', ')}`, v);
    return v as T;
  };

export const optional =
  <T>(inner: Schema<T>): Schema<T | undefined> =>
  (v, path) =>
    v === undefined ? undefined : inner(v, path);

export const nullable =
  <T>(inner: Schema<T>): Schema<T | null> =>
  (v, path) =>
    v === null ? null : inner(v, path);

export const arrayOf =
  <T>(inner: Schema<T>, opts: { min?: number; max?: number } = {}): Schema<T[]> =>
  (v, path) => {
    const min = opts.min ?? 0;
    const max = opts.max ?? 10_000;
    if (!Array.isArray(v) || v.length < min || v.length > max) throw new SchemaError(path, `a list of ${min} to ${max} items`, v);
    return v.map((item, i) => inner(item, `${path}[${i}]`));
  };

/** Any JSON value, bounded in size (policy parameters are validated by the policy itself). */
export const json =
  (maxChars = 100_000): Schema<unknown> =>
  (v, path) => {
    let text: string | undefined;
    try {
      text = JSON.stringify(v);
    } catch {
      text = undefined;
    }
    if (text === undefined || text.length > maxChars) throw new SchemaError(path, `a JSON value of at most ${maxChars} characters`, v);
    return v;
  };

type Shape = Record<string, Schema<unknown>>;
type ObjectOf<S extends Shape> = { [K in keyof S as undefined extends Infer<S[K]> ? never : K]: Infer<S[K]> } & {
  [K in keyof S as undefined extends Infer<S[K]> ? K : never]?: Infer<S[K]>;
};

/** An object with exactly these fields: unknown fields are errors, as in scenario files. */
export const obj =
  <S extends Shape>(shape: S): Schema<ObjectOf<S>> =>
  (v, path) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new SchemaError(path, 'an object', v);
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(v)) {
      // Own fields only: `in` would find constructor, toString, __proto__… on Object.prototype.
      if (!Object.hasOwn(shape, key)) throw new SchemaError(`${path}.${key}`, `no such field (known: ${Object.keys(shape).join(', ') || 'none'})`, (v as Record<string, unknown>)[key]);
    }
    for (const [key, field] of Object.entries(shape)) {
      const value = field((v as Record<string, unknown>)[key], `${path}.${key}`);
      if (value !== undefined) out[key] = value;
    }
    return out as ObjectOf<S>;
  };
