import { pushBounded } from '../policy-engine/bounded';
import { parseDuration, parseSize } from '../scenario/units';

describe('sizes', () => {
  it.each([
    [4096, 4096],
    ['64MiB', 64 * 1024 * 1024],
    ['1.5GiB', 1.5 * 1024 ** 3],
    ['12 KiB', 12 * 1024],
    ['100B', 100],
    ['100', 100],
    ['2MB', 2_000_000],
  ])('%p is %p bytes', (input, bytes) => expect(parseSize(input)).toBe(bytes));

  it.each(['12 parsecs', '', 'MiB', '-5MiB', '1e3MiB', null, {}, [], -1, Infinity, NaN])('rejects %p', (input) => expect(parseSize(input)).toBeNull());
});

describe('durations', () => {
  it.each([
    ['2m10s', 130_000],
    ['1h', 3_600_000],
    ['500ms', 500],
    ['1.5s', 1500],
    ['1h2m3s4ms', 3_723_004],
    [250, 250],
    ['1d', 86_400_000],
  ])('%p is %p ms', (input, ms) => expect(parseDuration(input)).toBe(ms));

  it.each(['10', 'soon', '5 minutes', 's', '1m1', '', '-1s', null, true])('rejects %p', (input) => expect(parseDuration(input)).toBeNull());
});

describe('bounded sample lists', () => {
  it('keeps only the newest samples', () => {
    const list: number[] = [];
    for (let i = 0; i < 25; i++) pushBounded(list, i, 10);
    expect(list).toEqual([15, 16, 17, 18, 19, 20, 21, 22, 23, 24]);
  });
});
