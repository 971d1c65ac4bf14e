import { jsonTooDeep } from '../common/json-depth';

describe('jsonTooDeep: the nesting scan run before JSON.parse', () => {
  it('finds where the text first nests past the limit, arrays and objects alike', () => {
    expect(jsonTooDeep('[[1]]', 2)).toBeNull();
    expect(jsonTooDeep('[[[1]]]', 2)).toEqual({ offset: 2 });
    expect(jsonTooDeep('{"a":{"b":[1]}}', 2)).toEqual({ offset: 10 });
    // Depth, not count: many siblings at one level are fine.
    expect(jsonTooDeep('[' + '[],'.repeat(10_000) + '[]]', 2)).toBeNull();
  });

  it('does not count brackets inside strings, however the quotes are escaped', () => {
    expect(jsonTooDeep('["[[[[", "{{{{"]', 1)).toBeNull();
    expect(jsonTooDeep(String.raw`["a\"[[[["]`, 1)).toBeNull(); // an escaped quote does not end the string
    expect(jsonTooDeep(String.raw`["a\\", [[`, 1)).toEqual({ offset: 8 }); // an escaped backslash does
    expect(jsonTooDeep(String.raw`["\\\"[["]`, 1)).toBeNull();
    expect(jsonTooDeep('"unterminated [[[[', 1)).toBeNull(); // left for JSON.parse to name
  });

  it('agrees with JSON.parse on what it accepts', () => {
    for (const value of [{ a: ['x]', { b: '"{' }] }, [[['\\']]], { s: ['\\"[', { t: '}' }] }]) {
      const text = JSON.stringify(value);
      expect(jsonTooDeep(text, 3)).toBeNull();
      expect(jsonTooDeep(text, 2)).not.toBeNull();
    }
  });
});
