/**
 * The nesting limit for JSON this program parses from outside (API bodies, scenario text,
 * event-stream messages). Nothing it reads nests deeper than 4 levels; 64 leaves room for
 * comments and future fields while keeping JSON.parse of hostile text linear and cheap (a
 * 4.8 MB `[[[…]]]` took 2–6 s and hundreds of MB to parse, blocking every other request).
 */
export const MAX_JSON_DEPTH = 64;

const OPEN_ARRAY = 0x5b; // [
const OPEN_OBJECT = 0x7b; // {
const CLOSE_ARRAY = 0x5d; // ]
const CLOSE_OBJECT = 0x7d; // }
const QUOTE = 0x22; // "
const BACKSLASH = 0x5c; // \

/**
 * Where JSON text first nests deeper than `max` arrays and objects, found by one pass over
 * the characters (brackets inside strings do not count), so it can run BEFORE JSON.parse.
 * Null when the text stays within `max`; malformed text is left for JSON.parse to name.
 */
export function jsonTooDeep(text: string, max = MAX_JSON_DEPTH): { offset: number } | null {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) i = stringEnd(text, i);
    else if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
      if (++depth > max) return { offset: i };
    } else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) depth--;
  }
  return null;
}

/** The index of the quote closing the string opened at `open` (found natively: a 5 MB string is one search, not 5 M steps). */
function stringEnd(text: string, open: number): number {
  let close = text.indexOf('"', open + 1);
  while (close !== -1) {
    let backslashes = 0;
    while (text.charCodeAt(close - 1 - backslashes) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return close;
    close = text.indexOf('"', close + 1);
  }
  return text.length; // unterminated: JSON.parse will say so
}

/** The sentence every refusal uses, naming the limit and where it was passed. */
export function tooDeepMessage(what: string, offset: number, max = MAX_JSON_DEPTH): string {
  return `${what} nests arrays and objects deeper than ${max} levels (level ${max + 1} opens at character ${offset}); at most ${max} are accepted`;
}
