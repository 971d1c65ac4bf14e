import type { DecisionRow } from './decision-rows';

/** The columns of a CSV export, in order: what a spreadsheet user needs to answer "why". */
export const CSV_COLUMNS = [
  'id', 'ts', 'time', 'runId', 'host', 'policy', 'level', 'source', 'action', 'kind', 'mode', 'app', 'pid',
  'requestedBytes', 'reclaimedAnonBytes', 'reclaimedFileBytes', 'reclaimedBytes', 'durationMs', 'result', 'message', 'dryRun', 'reason',
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

export function csvLine(row: DecisionRow): string {
  const values: Record<string, unknown> = { ...row, time: new Date(row.ts).toISOString() };
  return CSV_COLUMNS.map((c) => csvCell(values[c])).join(',');
}
