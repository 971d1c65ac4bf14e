// Numbers as people read them.
import { formatBytes } from '../../common/format.js';

/** Bytes as the UI shows them ("1.4 GiB"), a dash for none. */
export function bytes(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '–';
  return formatBytes(n, ' ');
}

// One formatter each, made once: toLocale*String builds a new one per call, which a list
// redrawn every frame cannot afford.
const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
const dateTimeFormat = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });

export function time(ts: number): string {
  return timeFormat.format(ts);
}

export function dateTime(ts: number): string {
  return dateTimeFormat.format(ts);
}

export function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

export function pct(v: number | null): string {
  return v === null ? '–' : `${v.toFixed(1)}%`;
}

/** `<input type="datetime-local">` value ↔ epoch ms (local time). */
export function fromLocalInput(value: string): number | undefined {
  if (!value) return undefined;
  const t = new Date(value).getTime();
  return Number.isFinite(t) ? t : undefined;
}

/** Seconds from a start as m:ss (h:mm:ss past an hour): the replay's time axis. */
export function clockSeconds(s: number): string {
  const total = Math.round(s);
  const sign = total < 0 ? '-' : '';
  const a = Math.abs(total);
  const h = Math.floor(a / 3600);
  const m = Math.floor((a % 3600) / 60);
  const sec = String(a % 60).padStart(2, '0');
  return h > 0 ? `${sign}${h}:${String(m).padStart(2, '0')}:${sec}` : `${sign}${m}:${sec}`;
}
