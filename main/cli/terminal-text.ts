/**
 * Untrusted text (app keys, process names, notes, reasons, scenario names) made safe to
 * print on a terminal: a control character could move the cursor, rewrite earlier lines
 * (CR), or send escape sequences (ESC, C1 CSI) to the terminal. Each is shown escaped
 * instead — `\x1b`, `\r`, `\n`, `\t`, `\u202e` — so the reader sees what is really there.
 * Only for human-readable output: --json and --csv print the exact values.
 */
// C0 controls, DEL, C1 controls, and the bidirectional overrides/isolates that reorder what is shown.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

const NAMED: Record<string, string> = { '\t': '\\t', '\n': '\\n', '\r': '\\r' };

export function termSafe(text: string): string {
  return text.replace(UNSAFE, (c) => {
    const code = c.charCodeAt(0);
    return NAMED[c] ?? (code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`);
  });
}
