import type { DecisionRow } from './decision-rows';

/** The columns of a CSV export, in order: what a spreadsheet user needs to answer "why". */
export const CSV_COLUMNS = [
  'id', 'ts', 'time', 'runId', 'host', 'policy', 'level', 'source', 'action', 'kind', 'mode', 'app', 'pid',
  'requestedBytes', 'reclaimedAnonBytes', 'reclaimedFileBytes', 'reclaimedBytes', 'durationMs', 'result', 'message', 'dryRun', 'reason',
] as const;

function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text = String(value);
  // Quote when needed; a leading = + - @ is neutralised so a spreadsheet does not run it.
  const safe = /^[=+\-@]/.test(text) && typeof value === 'string' ? `'${text}` : text;
  return /[",\n\r]/.test(safe) || safe !== text ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function csvHeader(): string {
  return CSV_COLUMNS.join(',');
}

export function csvLine(row: DecisionRow): string {
  const values: Record<string, unknown> = { ...row, time: new Date(row.ts).toISOString() };
  return CSV_COLUMNS.map((c) => csvCell(values[c])).join(',');
}
