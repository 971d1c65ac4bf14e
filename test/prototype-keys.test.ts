// Keys that every plain object inherits (constructor, toString, __proto__…) are not fields:
// the unknown-field checks of the API schema and of policy parameters must refuse them
// like any typo, instead of finding them on Object.prototype.
import { subscribeMessage, validateParams } from '../common/api/contract';
import { obj, optional, int, SchemaError } from '../common/api/schema';
import { parseArgs, UsageError } from '../main/cli/args';
import { configureParams, ParamError } from '../policy-engine/params';
import { createBuiltinRegistry } from '../policy-engine/policies/index';

export const PROTOTYPE_KEYS = ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf'] as const;

/** `{"<key>": 5}` as JSON.parse makes it: an own property, even for "__proto__". */
const withKey = (key: string, value: unknown = 5): Record<string, unknown> => JSON.parse(`{${JSON.stringify(key)}:${JSON.stringify(value)}}`) as Record<string, unknown>;

describe.each(PROTOTYPE_KEYS)('the key "%s"', (key) => {
  test('is an unknown field for the schema, named by its path', () => {
    const schema = obj({ limit: optional(int(1, 10)) });
    expect(() => schema(withKey(key), 'params')).toThrow(SchemaError);
    expect(() => schema(withKey(key), 'params')).toThrow(`params.${key}: expected no such field (known: limit)`);
  });

  test('is an unknown field of every API method and of the subscribe message', () => {
    expect(() => validateParams('processes', withKey(key))).toThrow(`params.${key}`);
    expect(() => validateParams('status', withKey(key))).toThrow(`params.${key}`);
    expect(() => validateParams('settings.set', withKey(key, false))).toThrow(`params.${key}`);
    expect(() => subscribeMessage({ streams: [], ...withKey(key) }, 'message')).toThrow(`message.${key}`);
  });

  test('is an unknown parameter of every policy', () => {
    for (const factory of createBuiltinRegistry().list()) {
      expect(() => configureParams(factory.name, factory.params, withKey(key))).toThrow(ParamError);
      expect(() => factory.create(withKey(key))).toThrow(`${factory.name}.${key}: unknown parameter`);
    }
  });

  test('is an unknown command-line option', () => {
    expect(() => parseArgs([`--${key}`], { port: { value: true, description: '' } })).toThrow(UsageError);
  });
});
