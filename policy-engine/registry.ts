import { ParamError, type ParamSpecs } from './params';
import type { ReclaimPolicy } from './policy';

/** A named way to build a configured policy. */
export interface PolicyFactory {
  readonly name: string;
  readonly description: string;
  readonly params: ParamSpecs;
  /** Throws ParamError naming the parameter when `config` is invalid. */
  create(config?: unknown): ReclaimPolicy;
}

export class PolicyRegistry {
  private readonly factories = new Map<string, PolicyFactory>();

  register(factory: PolicyFactory): this {
    if (!/^[a-z][a-z0-9-]*$/.test(factory.name)) {
      throw new Error(`policy name "${factory.name}" must be lower-case letters, digits and dashes`);
    }
    if (this.factories.has(factory.name)) {
      throw new Error(`a policy named "${factory.name}" is already registered`);
    }
    this.factories.set(factory.name, factory);
    return this;
  }

  has(name: string): boolean {
    return this.factories.has(name);
  }

  get(name: string): PolicyFactory {
    const factory = this.factories.get(name);
    if (!factory) {
      throw new UnknownPolicyError(name, this.names());
    }
    return factory;
  }

  create(name: string, config?: unknown): ReclaimPolicy {
    return this.get(name).create(config);
  }

  /**
   * Check parameters keyed by policy name, every policy named and not only the one that
   * runs: what is accepted now is what a later start (or a policy switch) configures, and a
   * bad value found only then would stop it. Throws ParamError naming `policy.param`.
   */
  checkParams(byPolicy: Readonly<Record<string, unknown>>): void {
    for (const [name, config] of Object.entries(byPolicy)) {
      const factory = this.factories.get(name);
      if (!factory) throw new ParamError(name, `unknown policy (known: ${this.names().join(', ')})`);
      factory.create(config);
    }
  }

  names(): string[] {
    return [...this.factories.keys()];
  }

  list(): PolicyFactory[] {
    return [...this.factories.values()];
  }
}

export class UnknownPolicyError extends Error {
  constructor(readonly policy: string, readonly known: string[]) {
    super(`unknown policy "${policy}" (known: ${known.join(', ')})`);
    this.name = 'UnknownPolicyError';
  }
}
