import { METHOD_NAMES, isMethod, subscribeMessage, validateParams } from '../common/api/contract';
import { SchemaError } from '../common/api/schema';

const fieldOf = (f: () => unknown): string => {
  try {
    f();
  } catch (err) {
    if (err instanceof SchemaError) return err.path;
    throw err;
  }
  return '(valid)';
};

describe('the API contract validates every request', () => {
  test('valid requests pass and come back without extra fields', () => {
    expect(validateParams('history.query', { app: 'game', kind: 'anon', limit: 50, runId: null })).toEqual({ app: 'game', kind: 'anon', limit: 50, runId: null });
    expect(validateParams('status', undefined)).toEqual({});
    expect(validateParams('replay.run', { scenario: { name: 'game-call' }, policies: ['reclaim', 'lmkd'], seed: 3 })).toEqual({ scenario: { name: 'game-call' }, policies: ['reclaim', 'lmkd'], seed: 3 });
  });

  test('errors name the field by path', () => {
    expect(fieldOf(() => validateParams('replay.run', { scenario: { name: 'game call!' }, policies: ['reclaim'] }))).toBe('params.scenario.name');
    expect(fieldOf(() => validateParams('replay.run', { scenario: {}, policies: ['reclaim', 'LMKD'] }))).toBe('params.policies[1]');
    expect(fieldOf(() => validateParams('settings.set', { retention: { maxAgeDays: 1 } }))).toBe('params.retention.maxRows');
    expect(fieldOf(() => validateParams('priorities.set', { appKey: '', priority: 'high' }))).toBe('params.appKey');
    expect(fieldOf(() => validateParams('processes', null))).toBe('(valid)');
    expect(fieldOf(() => validateParams('processes', 'all'))).toBe('params');
    expect(() => validateParams('processes', { limit: 1.5 })).toThrow('params.limit: expected an integer from 1 to 10000, got 1.5');
    expect(() => validateParams('processes', { extra: 1 })).toThrow('params.extra: expected no such field (known: limit), got 1');
  });

  test('unknown methods are not methods; subscriptions are validated too', () => {
    expect(isMethod('status')).toBe(true);
    expect(isMethod('constructor')).toBe(false);
    expect(isMethod('__proto__')).toBe(false);
    expect(METHOD_NAMES.length).toBeGreaterThanOrEqual(20);
    expect(subscribeMessage({ streams: ['processes'], processesIntervalMs: 100 }, 'message')).toEqual({ streams: ['processes'], processesIntervalMs: 100 });
    expect(() => subscribeMessage({ streams: ['everything'] }, 'message')).toThrow('message.streams[0]');
    expect(() => subscribeMessage({ streams: [], processesIntervalMs: 1 }, 'message')).toThrow('message.processesIntervalMs');
  });
});
