// Human-readable sizes and durations: the "why" texts of decisions, the CLI and the UI.

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

/**
 * Bytes in binary units, one decimal below 10 of a unit, none above: "1.4GiB", "512MiB".
 * The decision texts run number and unit together; the UI passes ' ' ("1.4 GiB").
 */
export function formatBytes(bytes: number, separator = ''): string {
  let value = Math.abs(bytes);
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  const sign = bytes < 0 ? '-' : '';
  return `${sign}${unit === 0 ? value : value.toFixed(value < 10 ? 1 : 0)}${separator}${UNITS[unit]}`;
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 ? `${m}m${s % 60}s` : `${m}m`;
  const h = Math.floor(m / 60);
  return m % 60 ? `${h}h${m % 60}m` : `${h}h`;
}

/** A reclaim's kind as history and the decision view name it: "reclaim anon", "demote to cxl". */
export function formatReclaimKind(kind: string | null, tier: string | null): string {
  if (kind === 'demote') return `demote to ${tier ?? 'a slower tier'}`;
  return `reclaim ${kind}`;
}
