import type { Db } from '../db/open';
import { getRecording, recordingDecisions, recordingRows, type RecordedDecision, type RecordingHeader, type RecordingRow } from '../db/recordings';
import { IMPORTANCE_BANDS, USER_PRIORITIES, type ImportanceBand } from '../policy-engine/types';
import type { RecordedOutcome } from '../common/recorded';
import { validateScenario } from '../scenario/validate';

const MiB = 1024 * 1024;
const PAGE_BYTES = 4096;
/** A move of a process's anon + swap below this between two samples is noise, not an allocation (the recorder stores moves of 1 MiB). */
export const ALLOCATION_STEP_BYTES = 1 * MiB;
/**
 * A memcg has no zone watermarks; a scoped recording's device gets the lab's (lab-*.json: min
 * 4, low 12, high 24 MiB for a 512 MiB limit) in proportion to its limit, and no kswapd
 * (`kswapdPagesPerSec: 1`), as the lab device does: all of a memcg's reclaim is direct.
 */
const MEMCG_WATERMARKS = { min: 4 / 512, low: 12 / 512, high: 24 / 512 };
/** What a scoped recording's device reserves beside the memcg's limit (the lab's lab-*.json reserve). */
export const MEMCG_RESERVED_BYTES = 128 * MiB;
/** The simulator's working set when a file gives none (scenario/validate.ts): touch rates are fractions of it. */
const DEFAULT_WORKING_SET = 0.3;
/** Bands that follow the app's state in the simulator (foreground, then previous, then cached): not fixed importance. */
const STATE_BANDS: readonly ImportanceBand[] = ['foreground', 'previous', 'cached', 'home'];

export class RecordingExportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RecordingExportError';
  }
}

interface Proc {
  pid: number;
  startTime: number;
  appKey: string;
  name: string;
  cmdline: string | null;
  appearAt: number;
  exitAt: number | null;
  samples: RecordingRow[];
}

export interface ExportOptions {
  /** Keep only app labels (app-1, app-2…): no process name, command line or memcg path. */
  anonymize?: boolean;
}

const kib = (bytes: number) => `${Math.max(0, Math.round(bytes / 1024))}KiB`;
const ms = (n: number) => `${Math.max(0, Math.round(n))}ms`;

/**
 * A recording as a scenario file (the existing format): the machine's facts as its device,
 * each process as an app (its size when first seen; allocations and frees from its anon +
 * swap moves; its foreground switches and exit as the timeline; its background touch rate
 * from its swap-ins), the recorded outcome in `recorded`, and what could not be inferred in
 * the description. Validated before it is returned: what comes out passes `scenario validate`.
 */
export function exportRecording(db: Db, id: number, options: ExportOptions = {}): Record<string, unknown> {
  const header = getRecording(db, id);
  if (!header) throw new RecordingExportError(`no recording #${id} in this database (reclaimd recording list shows them)`);
  const rows = recordingRows(db, id);
  const decisions = recordingDecisions(db, header);
  const end = header.endedAt ?? (rows.length ? rows[rows.length - 1].ts : header.startedAt);
  const durationMs = Math.max(1000, Math.ceil((end - header.startedAt) / 1000) * 1000);
  const procs = processesOf(rows);
  const empty = procs.filter((p) => p.samples.every((s) => (s.rssAnonBytes ?? 0) + (s.rssFileBytes ?? 0) + (s.swapBytes ?? 0) === 0));
  const kept = procs.filter((p) => !empty.includes(p));
  if (kept.length === 0) throw new RecordingExportError(`recording #${id} has no process with memory to make an app of (${rows.length} rows, ${procs.length} processes seen)`);

  const ids = appIds(kept, options.anonymize ?? false);
  const apps: Record<string, unknown>[] = [];
  const timeline: { at: number; step: Record<string, unknown> }[] = [];
  let withTouch = 0;
  kept.forEach((p, i) => {
    const app = ids[i];
    const first = p.samples[0];
    const at = (ts: number) => Math.min(durationMs, Math.max(0, ts - header.startedAt));
    const bands = new Set(p.samples.map((s) => s.importance));
    const band = first.importance as ImportanceBand;
    const fixed = bands.size === 1 && (IMPORTANCE_BANDS as readonly string[]).includes(band) && !STATE_BANDS.includes(band) ? band : null;
    const priority = (USER_PRIORITIES as readonly string[]).includes(first.priority ?? '') ? first.priority : 'normal';
    const anonBytes = (first.rssAnonBytes ?? 0) + (first.swapBytes ?? 0);
    const fileBytes = Math.max(...p.samples.map((s) => s.rssFileBytes ?? 0));
    const spec: Record<string, unknown> = { id: app, anon: kib(anonBytes), file: kib(fileBytes) };
    if (fixed) spec.importance = fixed;
    if (priority !== 'normal') spec.priority = priority;
    const touch = backgroundTouch(p, anonBytes + fileBytes);
    if (touch !== null) {
      spec.backgroundTouch = touch;
      withTouch++;
    }
    apps.push(spec);
    timeline.push({ at: at(p.appearAt), step: { do: first.foreground ? 'foreground' : 'launch', app } });
    for (let k = 1; k < p.samples.length; k++) {
      const a = p.samples[k - 1];
      const b = p.samples[k];
      const moved = (b.rssAnonBytes ?? 0) + (b.swapBytes ?? 0) - ((a.rssAnonBytes ?? 0) + (a.swapBytes ?? 0));
      if (Math.abs(moved) >= ALLOCATION_STEP_BYTES) timeline.push({ at: at(a.ts), step: { do: moved > 0 ? 'allocate' : 'free', app, size: kib(Math.abs(moved)), over: ms(b.ts - a.ts) } });
      if (a.foreground !== b.foreground) timeline.push({ at: at(b.ts), step: { do: b.foreground ? 'foreground' : 'background', app } });
    }
    if (p.exitAt !== null) timeline.push({ at: at(p.exitAt), step: { do: 'close', app } });
  });

  const recorded = recordedOutcome(header, rows, decisions, end);
  const scenario = {
    name: `recording-${id}`,
    description: describeRecording(header, rows, decisions, { apps: kept.length, empty: empty.length, withTouch, anonymize: options.anonymize ?? false, durationMs }),
    device: deviceOf(header, rows, kept),
    duration: ms(durationMs),
    seed: 1,
    apps,
    timeline: timeline.sort((a, b) => a.at - b.at).map(({ at, step }) => ({ at: ms(at), ...step })),
    recorded,
  };
  // What we write must load: a failure here is ours, and names the field.
  validateScenario(scenario, `recording #${id}`);
  return scenario;
}

/** Processes by identity, each with its rows carrying sizes (appear, change, rss) in time order. */
function processesOf(rows: readonly RecordingRow[]): Proc[] {
  const byKey = new Map<string, Proc>();
  const order: Proc[] = [];
  for (const r of rows) {
    if (r.pid === null || r.startTime === null) continue;
    const key = `${r.pid}:${r.startTime}`;
    if (r.kind === 'appear') {
      const p: Proc = { pid: r.pid, startTime: r.startTime, appKey: r.appKey ?? `pid-${r.pid}`, name: r.name ?? '', cmdline: r.cmdline, appearAt: r.ts, exitAt: null, samples: [r] };
      byKey.set(key, p);
      order.push(p);
    } else {
      const p = byKey.get(key);
      if (!p) continue; // its appearance was pruned by retention
      if (r.kind === 'exit') p.exitAt = r.ts;
      else p.samples.push(r);
    }
  }
  return order;
}

/** App ids: the app key made a valid id (duplicates numbered), or with --anonymize only app-N. */
function appIds(procs: readonly Proc[], anonymize: boolean): string[] {
  const used = new Map<string, number>();
  return procs.map((p, i) => {
    if (anonymize) return `app-${i + 1}`;
    const base = p.appKey.replace(/[^A-Za-z0-9_.:@-]/g, '_').slice(0, 100) || `pid-${p.pid}`;
    const n = (used.get(base) ?? 0) + 1;
    used.set(base, n);
    return n === 1 ? base : `${base}-${n}`;
  });
}

/**
 * The fraction of its working set (the simulator's default 0.3) an app touched per second in
 * the background, from what it faulted back in meanwhile: its major faults (swap-ins from zram
 * and file reads, /proc/PID/stat majflt) where recorded, else what came back from swap (VmSwap
 * falling). Null when nothing came back: the band's default rate stands, and the description says so.
 */
function backgroundTouch(p: Proc, size: number): number | null {
  let back = 0;
  let backgroundMs = 0;
  for (let k = 1; k < p.samples.length; k++) {
    const a = p.samples[k - 1];
    const b = p.samples[k];
    if (a.foreground) continue;
    backgroundMs += b.ts - a.ts;
    back += a.majorFaults !== null && b.majorFaults !== null ? Math.max(0, b.majorFaults - a.majorFaults) * PAGE_BYTES : Math.max(0, (a.swapBytes ?? 0) - (b.swapBytes ?? 0));
  }
  if (back === 0 || backgroundMs === 0 || size === 0) return null;
  const perSec = back / (backgroundMs / 1000) / (DEFAULT_WORKING_SET * size);
  return Math.min(10, Math.round(perSec * 10_000) / 10_000);
}

function recordedOutcome(header: RecordingHeader, rows: readonly RecordingRow[], decisions: readonly RecordedDecision[], end: number): RecordedOutcome {
  const done = decisions.filter((d) => !d.dryRun && d.result === 'ok');
  const time = { low: 0, medium: 0, critical: 0 };
  const samples = rows.filter((r) => r.kind === 'pressure');
  samples.forEach((s, i) => {
    const until = i + 1 < samples.length ? samples[i + 1].ts : end;
    if (s.level === 'low' || s.level === 'medium' || s.level === 'critical') time[s.level] += Math.max(0, until - s.ts);
  });
  return {
    policy: header.settings.policy,
    dryRun: header.settings.dryRun,
    agentKills: done.filter((d) => d.action === 'kill').length,
    reclaimedBytes: done.filter((d) => d.action === 'reclaim').reduce((sum, d) => sum + d.reclaimedBytes, 0),
    timeAtLevelMs: time,
    decisions: decisions.length,
  };
}

/** The device: the machine's (or the memcg's) RAM, zram0 and watermarks over a profile's costs. */
function deviceOf(header: RecordingHeader, rows: readonly RecordingRow[], procs: readonly Proc[]): Record<string, unknown> {
  const d = header.device;
  const device: Record<string, unknown> = { profile: 'phone-8g', cores: Math.min(256, Math.max(1, d.cores)) };
  if (d.memcgLimitBytes !== null && header.scope !== null) {
    const limit = Math.min(d.memcgLimitBytes, d.memTotalBytes || d.memcgLimitBytes);
    device.ram = kib(limit + MEMCG_RESERVED_BYTES);
    device.reserved = kib(MEMCG_RESERVED_BYTES);
    device.watermarks = { min: kib(limit * MEMCG_WATERMARKS.min), low: kib(limit * MEMCG_WATERMARKS.low), high: kib(limit * MEMCG_WATERMARKS.high) };
    device.kswapdPagesPerSec = 1;
    // The machine around the memcg, for the reader: what the simulated device leaves out.
    device._machine = { memTotal: kib(d.memTotalBytes), ...(d.watermarks ? { watermarks: { min: kib(d.watermarks.minBytes), low: kib(d.watermarks.lowBytes), high: kib(d.watermarks.highBytes) } } : {}) };
  } else {
    device.ram = kib(d.memTotalBytes);
    // Memory that was neither available nor in a recorded process at the start: the system's.
    const first = rows.find((r) => r.kind === 'pressure');
    const inApps = procs.reduce((sum, p) => sum + (p.samples[0].rssAnonBytes ?? 0) + (p.samples[0].rssFileBytes ?? 0), 0);
    const high = d.watermarks?.highBytes ?? 0;
    const taken = first ? d.memTotalBytes - (first.memAvailableBytes ?? 0) - inApps : d.memTotalBytes / 4;
    device.reserved = kib(Math.min(Math.max(64 * MiB, taken), d.memTotalBytes - high - 64 * MiB));
    if (d.watermarks) device.watermarks = { min: kib(d.watermarks.minBytes), low: kib(d.watermarks.lowBytes), high: kib(d.watermarks.highBytes) };
  }
  if (d.zram && d.zram.disksizeBytes > 0) {
    const zram: Record<string, unknown> = { size: kib(d.zram.disksizeBytes) };
    if (d.zram.origDataBytes > 0 && d.zram.comprDataBytes > 0) zram.ratio = Math.min(10, Math.max(1, Math.round((d.zram.origDataBytes / d.zram.comprDataBytes) * 100) / 100));
    if (d.zram.algorithm) zram._algorithm = d.zram.algorithm;
    device.zram = zram;
  }
  return device;
}

function describeRecording(
  header: RecordingHeader,
  rows: readonly RecordingRow[],
  decisions: readonly RecordedDecision[],
  n: { apps: number; empty: number; withTouch: number; anonymize: boolean; durationMs: number },
): string {
  const refaults = rows.filter((r) => r.kind === 'pressure' && r.refaultFile !== null);
  const filePages = refaults.length > 1 ? refaults[refaults.length - 1].refaultFile! - refaults[0].refaultFile! : null;
  const where = header.scope === null ? 'the whole machine' : n.anonymize ? 'one memcg' : `memcg ${header.scope}`;
  const z = header.device.zram;
  return [
    `Recorded by the live agent (${header.settings.policy}${header.settings.dryRun ? ', dry run' : ''}) on ${where}, kernel ${header.device.kernel}, ${new Date(header.startedAt).toISOString()} for ${Math.round(n.durationMs / 1000)} s: ${n.apps} process${n.apps === 1 ? '' : 'es'} as apps, ${decisions.length} decision${decisions.length === 1 ? '' : 's'}.`,
    header.stopReason ? `The recording stopped early: ${header.stopReason}.` : '',
    `Inferred: each app's size when first seen (anon + swap, the largest file RSS), allocations and frees from its anon + swap moves of ${ALLOCATION_STEP_BYTES / MiB} MiB or more, foreground switches and exits; background touch rates from major faults (else swap-ins) for ${n.withTouch} of ${n.apps} apps.`,
    `Not inferred (the simulator's defaults stand): working sets (0.3), whether an app holds user state (none marked stateful), cold-start and warm-resume costs, touch rates of apps that swapped nothing back in (by band), per-app file refaults (${filePages === null ? 'not read' : `${filePages} pages machine-wide`}, not attributed), adj changes other than foreground switches.`,
    header.scope !== null ? `A memcg has no watermarks or kswapd: the device has the lab's proportions and no kswapd.` : '',
    z && z.disksizeBytes > 0 ? `zram: ${z.algorithm ?? 'unknown algorithm'}${z.comprDataBytes > 0 ? '' : ', no compression ratio measured (the profile\u2019s stands)'}.` : 'No zram was configured while recording: the profile\u2019s zram stands.',
    n.empty > 0 ? `${n.empty} processes without memory (kernel threads) are left out.` : '',
  ]
    .filter(Boolean)
    .join(' ');
}
