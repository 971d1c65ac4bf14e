import type { DecisionRow } from './decision-rows';

/**
 * The columns of a CSV export, in order: what a spreadsheet user needs to answer "why".
 * `ts` is epoch ms (for machines); `time` is the same instant as the UI shows it, in local
 * time with its UTC offset, so neither a reader nor a spreadsheet has to guess the zone.
 */
export const CSV_COLUMNS = [
  'id', 'ts', 'time', 'runId', 'host', 'policy', 'level', 'source', 'action', 'kind', 'mode', 'tier', 'app', 'pid',
  'requestedBytes', 'reclaimedAnonBytes', 'reclaimedFileBytes', 'reclaimedBytes', 'durationMs', 'result', 'message', 'dryRun', 'killReason', 'reason',
] as const;

/** What a spreadsheet may read as the start of a formula (OWASP's list). */
const FORMULA_START = /^[=+\-@\t\r]/;

function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text = String(value);
  // Quote when needed. A text cell starting with = + - @ TAB or CR is prefixed with ' so a
  // spreadsheet shows it instead of running it (OWASP CSV injection); numbers stay numbers.
  const safe = FORMULA_START.test(text) && typeof value === 'string' ? `'${text}` : text;
  return /[",\n\r]/.test(safe) || safe !== text ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function csvHeader(): string {
  return CSV_COLUMNS.join(',');
}

/**
 * ISO 8601 in this process's local time zone (TZ; the user's own for the desktop app's
 * daemon) with its offset at that instant: 2026-11-23T14:02:11.123+01:00.
 */
export function localIsoTime(ms: number): string {
  const d = new Date(ms);
  const two = (n: number) => String(n).padStart(2, '0');
  const offset = -d.getTimezoneOffset();
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset);
  return (
    `${String(d.getFullYear()).padStart(4, '0')}-${two(d.getMonth() + 1)}-${two(d.getDate())}T${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}` +
    `.${String(d.getMilliseconds()).padStart(3, '0')}${sign}${two(Math.floor(abs / 60))}:${two(abs % 60)}`
  );
}

export function csvLine(row: DecisionRow): string {
  const values: Record<string, unknown> = { ...row, time: localIsoTime(row.ts) };
  return CSV_COLUMNS.map((c) => csvCell(values[c])).join(',');
}
