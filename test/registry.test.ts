import { createBuiltinRegistry } from '../policy-engine/policies/index';
import { ParamError } from '../policy-engine/params';
import { UnknownPolicyError } from '../policy-engine/registry';

describe('policy registry', () => {
  it('holds the four built-in policies', () => {
    expect(createBuiltinRegistry().names().sort()).toEqual(['android', 'lmkd', 'none', 'proactive', 'reclaim']);
  });

  it('refuses a duplicate name', () => {
    const registry = createBuiltinRegistry();
    const reclaim = registry.get('reclaim');
    expect(() => registry.register({ ...reclaim })).toThrow('a policy named "reclaim" is already registered');
  });

  it('names unknown policies with the known ones', () => {
    expect(() => createBuiltinRegistry().create('oomd')).toThrow(UnknownPolicyError);
    expect(() => createBuiltinRegistry().create('oomd')).toThrow('unknown policy "oomd" (known: reclaim, android, lmkd, proactive, none)');
  });

  it('validates parameters from JSON with the path and the range', () => {
    const r = createBuiltinRegistry();
    expect(() => r.create('reclaim', { cooldownMs: -1 })).toThrow(new ParamError('reclaim.cooldownMs', 'expected 0..3600000 ms, got -1'));
    expect(() => r.create('reclaim', { allowKill: 'yes' })).toThrow('reclaim.allowKill: expected true or false, got "yes"');
    expect(() => r.create('lmkd', { killTimeout: 5 })).toThrow(/lmkd.killTimeout: unknown parameter \(known: .*killTimeoutMs/);
    expect(() => r.create('reclaim', { maxActionsPerSignal: 1.5 })).toThrow('reclaim.maxActionsPerSignal: expected a whole number, got 1.5');
    expect(() => r.create('proactive', [])).toThrow('proactive: expected an object of parameters, got an array');
    expect(r.create('reclaim', { allowKill: false }).name).toBe('reclaim');
  });

  it('documents every parameter with a default inside its range', () => {
    for (const f of createBuiltinRegistry().list()) {
      expect(f.description.length).toBeGreaterThan(10);
      for (const [name, spec] of Object.entries(f.params)) {
        expect(spec.description.length).toBeGreaterThan(5);
        if (spec.type !== 'boolean') {
          expect([name, spec.default >= spec.min && spec.default <= spec.max]).toEqual([name, true]);
        }
      }
    }
  });
});
