import { describe } from '../policy-engine/params';
import { IMPORTANCE_BANDS, MiB, USER_PRIORITIES, type ImportanceBand, type UserPriority } from '../policy-engine/types';
import { jsonTooDeep, tooDeepMessage } from '../common/json-depth';
import { DEFAULT_DEVICE, DEVICE_PROFILES, DRAM_ACCESS, MAX_SIM_TIERS, type DeviceProfile, type MemoryAccess, type MemoryTierProfile } from './device-profiles';
import { COLD_TOUCH_PER_SEC, SHARED_ANON_SHARE } from './app-defaults';
import {
  ScenarioError,
  TIMELINE_VERBS,
  type AppSpec,
  type Scenario,
  type ScenarioIssue,
  type TimelineStep,
} from './scenario';
import { parseDuration, parseSize } from './units';
import type { RecordedOutcome } from '../common/recorded';

// Bounds that keep a replay finite and the page arithmetic exact.
const MAX_DURATION_MS = 7 * 24 * 3_600_000;
const MAX_APP_BYTES = 1024 ** 4;
const MAX_DEVICE_BYTES = 1024 ** 4;
// More cores than any phone or laptop has; beyond it a typo (bytes?) is likelier than a device.
const MAX_DEVICE_CORES = 256;
const MAX_APPS = 2000;
const MAX_STEPS = 500_000;
const MAX_ISSUES = 50;
// A relaunch costs a fixed start plus loading and initialising the app's memory.
const COLD_START_BASE_MS = 1000;
const COLD_START_MS_PER_MIB = 2;
/**
 * A return to an app still alive (Android's hot start: the activity is brought to front and
 * redrawn). Android vitals calls a hot start of 1.5 s or more excessive (warm 2 s, cold 5 s;
 * developer.android.com/topic/performance/vitals/launch-time); a typical one is well under that:
 * a tenth of the threshold is our assumption, not a measurement.
 */
const WARM_RESUME_MS = 150;

type Json = Record<string, unknown>;

/** Collects issues with their JSON paths instead of stopping at the first. */
class Checker {
  readonly issues: ScenarioIssue[] = [];

  fail(path: string, message: string): null {
    if (this.issues.length < MAX_ISSUES) this.issues.push({ path, message });
    return null;
  }

  object(value: unknown, path: string): Json | null {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      return this.fail(path, `expected an object, got ${describe(value)}`);
    }
    return value as Json;
  }

  /** Unknown keys are most often typos; keys starting with "_" or "$" are free-form comments. */
  knownKeys(obj: Json, path: string, keys: readonly string[]): void {
    for (const key of Object.keys(obj)) {
      if (keys.includes(key) || key.startsWith('_') || key.startsWith('$')) continue;
      const near = keys.find((k) => k.toLowerCase() === key.toLowerCase());
      this.fail(join(path, key), near ? `unknown field (did you mean "${near}"?)` : `unknown field (expected one of ${keys.join(', ')})`);
    }
  }

  string(value: unknown, path: string, { optional = false } = {}): string | null {
    if (value === undefined && optional) return null;
    if (typeof value !== 'string' || value.trim() === '') return this.fail(path, `expected a non-empty string, got ${describe(value)}`);
    return value;
  }

  size(value: unknown, path: string, max: number): number | null {
    const bytes = parseSize(value);
    if (bytes === null) return this.fail(path, `expected a size like "64MiB", got ${describe(value)}`);
    if (bytes > max) return this.fail(path, `expected at most ${max / 1024 ** 3} GiB, got ${describe(value)}`);
    return bytes;
  }

  duration(value: unknown, path: string, max = MAX_DURATION_MS): number | null {
    const ms = parseDuration(value);
    if (ms === null) return this.fail(path, `expected a duration like "2m10s", got ${describe(value)}`);
    if (ms > max) return this.fail(path, `expected at most ${max / 3_600_000}h, got ${describe(value)}`);
    return ms;
  }

  number(value: unknown, path: string, min: number, max: number): number | null {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
      return this.fail(path, `expected a number from ${min} to ${max}, got ${describe(value)}`);
    }
    return value;
  }

  integer(value: unknown, path: string, min: number, max: number): number | null {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      return this.fail(path, `expected a whole number from ${min} to ${max}, got ${describe(value)}`);
    }
    return value;
  }

  oneOf<T extends string>(value: unknown, path: string, allowed: readonly T[], what: string): T | null {
    if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
    return this.fail(path, `expected ${what} (${allowed.join(', ')}), got ${describe(value)}`);
  }
}

function join(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return path === '' ? key : `${path}.${key}`;
}

/** Validate parsed JSON as a scenario. Throws ScenarioError listing every problem found. */
export function validateScenario(input: unknown, source = 'scenario'): Scenario {
  const c = new Checker();
  const root = c.object(input, '(root)');
  if (!root) throw new ScenarioError(source, c.issues);
  c.knownKeys(root, '', ['name', 'description', 'device', 'duration', 'seed', 'apps', 'timeline', 'recorded']);

  const name = c.string(root.name, 'name');
  const description = root.description === undefined ? '' : c.string(root.description, 'description');
  const device = checkDevice(c, root.device);
  const durationMs = c.duration(root.duration, 'duration');
  if (durationMs === 0) c.fail('duration', 'expected a duration above zero');
  let seed = 1;
  if (root.seed !== undefined) {
    if (typeof root.seed !== 'number' || !Number.isInteger(root.seed) || root.seed < 0 || root.seed > 0xffffffff) {
      c.fail('seed', `expected a whole number from 0 to 4294967295, got ${describe(root.seed)}`);
    } else seed = root.seed;
  }

  const apps = checkApps(c, root.apps);
  const appIds = new Set(apps.map((a) => a.id));
  const timeline = checkTimeline(c, root.timeline, appIds, durationMs);
  const recorded = root.recorded === undefined ? undefined : checkRecorded(c, root.recorded);

  if (c.issues.length > 0 || name === null || description === null || device === null || durationMs === null) {
    throw new ScenarioError(source, c.issues);
  }
  return { name, description, device, durationMs, seed, apps, timeline, ...(recorded ? { recorded } : {}) };
}

/** The optional outcome of a recording (common/recorded.ts): what the replay's "recorded" column shows. */
function checkRecorded(c: Checker, value: unknown): RecordedOutcome | undefined {
  const obj = c.object(value, 'recorded');
  if (!obj) return undefined;
  c.knownKeys(obj, 'recorded', ['policy', 'dryRun', 'agentKills', 'reclaimedBytes', 'timeAtLevelMs', 'decisions']);
  const policy = c.string(obj.policy, 'recorded.policy');
  let dryRun = false;
  if (obj.dryRun !== undefined) {
    if (typeof obj.dryRun === 'boolean') dryRun = obj.dryRun;
    else c.fail('recorded.dryRun', `expected true or false, got ${describe(obj.dryRun)}`);
  }
  const agentKills = c.integer(obj.agentKills, 'recorded.agentKills', 0, MAX_STEPS);
  const reclaimedBytes = c.size(obj.reclaimedBytes, 'recorded.reclaimedBytes', MAX_DEVICE_BYTES * 1024);
  const decisions = c.integer(obj.decisions, 'recorded.decisions', 0, Number.MAX_SAFE_INTEGER);
  const t = c.object(obj.timeAtLevelMs, 'recorded.timeAtLevelMs');
  let timeAtLevelMs: RecordedOutcome['timeAtLevelMs'] | null = null;
  if (t) {
    c.knownKeys(t, 'recorded.timeAtLevelMs', ['low', 'medium', 'critical']);
    const [low, medium, critical] = (['low', 'medium', 'critical'] as const).map((k) => c.integer(t[k], `recorded.timeAtLevelMs.${k}`, 0, MAX_DURATION_MS));
    if (low !== null && medium !== null && critical !== null) timeAtLevelMs = { low, medium, critical };
  }
  if (policy === null || agentKills === null || reclaimedBytes === null || decisions === null || timeAtLevelMs === null) return undefined;
  return { policy, dryRun, agentKills, reclaimedBytes, timeAtLevelMs, decisions };
}

function checkDevice(c: Checker, value: unknown): DeviceProfile | null {
  const profileNames = Object.keys(DEVICE_PROFILES);
  if (value === undefined) return DEVICE_PROFILES[DEFAULT_DEVICE];
  if (typeof value === 'string') {
    const name = c.oneOf(value, 'device', profileNames, 'a device profile');
    return name === null ? null : DEVICE_PROFILES[name];
  }
  const obj = c.object(value, 'device');
  if (!obj) return null;
  c.knownKeys(obj, 'device', ['profile', 'ram', 'reserved', 'zram', 'storageReadUs', 'kswapdPagesPerSec', 'watermarks', 'lowRam', 'cores', 'dram', 'tiers', 'demotion', 'promotion']);
  const baseName = obj.profile === undefined ? DEFAULT_DEVICE : c.oneOf(obj.profile, 'device.profile', profileNames, 'a device profile');
  if (baseName === null) return null;
  const base = DEVICE_PROFILES[baseName];
  const device: DeviceProfile = { ...base, name: `${base.name}+custom`, zram: { ...base.zram }, watermarks: { ...base.watermarks } };
  if (obj.ram !== undefined) device.ramBytes = c.size(obj.ram, 'device.ram', MAX_DEVICE_BYTES) ?? device.ramBytes;
  if (obj.reserved !== undefined) device.reservedBytes = c.size(obj.reserved, 'device.reserved', MAX_DEVICE_BYTES) ?? device.reservedBytes;
  if (obj.storageReadUs !== undefined) device.storageReadUsPerPage = c.number(obj.storageReadUs, 'device.storageReadUs', 0, 100_000) ?? device.storageReadUsPerPage;
  if (obj.kswapdPagesPerSec !== undefined) device.kswapdPagesPerSec = c.number(obj.kswapdPagesPerSec, 'device.kswapdPagesPerSec', 1, 10_000_000) ?? device.kswapdPagesPerSec;
  if (obj.cores !== undefined) device.cores = c.integer(obj.cores, 'device.cores', 1, MAX_DEVICE_CORES) ?? device.cores;
  if (obj.lowRam !== undefined) {
    if (typeof obj.lowRam === 'boolean') device.lowRam = obj.lowRam;
    else c.fail('device.lowRam', `expected true or false, got ${describe(obj.lowRam)}`);
  }
  checkTiers(c, obj, device);
  if (obj.zram !== undefined) {
    const z = c.object(obj.zram, 'device.zram');
    if (z) {
      c.knownKeys(z, 'device.zram', ['size', 'ratio', 'compressUs', 'decompressUs']);
      if (z.size !== undefined) device.zram.sizeBytes = c.size(z.size, 'device.zram.size', MAX_DEVICE_BYTES) ?? device.zram.sizeBytes;
      if (z.ratio !== undefined) device.zram.ratio = c.number(z.ratio, 'device.zram.ratio', 1, 10) ?? device.zram.ratio;
      if (z.compressUs !== undefined) device.zram.compressUsPerPage = c.number(z.compressUs, 'device.zram.compressUs', 0, 10_000) ?? device.zram.compressUsPerPage;
      if (z.decompressUs !== undefined) device.zram.decompressUsPerPage = c.number(z.decompressUs, 'device.zram.decompressUs', 0, 10_000) ?? device.zram.decompressUsPerPage;
    }
  }
  if (obj.watermarks !== undefined) {
    const w = c.object(obj.watermarks, 'device.watermarks');
    if (w) {
      c.knownKeys(w, 'device.watermarks', ['min', 'low', 'high']);
      for (const key of ['min', 'low', 'high'] as const) {
        if (w[key] !== undefined) device.watermarks[`${key}Bytes`] = c.size(w[key], `device.watermarks.${key}`, MAX_DEVICE_BYTES) ?? device.watermarks[`${key}Bytes`];
      }
      const { minBytes, lowBytes, highBytes } = device.watermarks;
      if (!(minBytes <= lowBytes && lowBytes <= highBytes)) c.fail('device.watermarks', `expected min ≤ low ≤ high, got ${minBytes}, ${lowBytes}, ${highBytes} bytes`);
    }
  }
  if (device.ramBytes < 64 * MiB) c.fail('device.ram', `expected at least 64MiB, got ${device.ramBytes} bytes`);
  if (device.reservedBytes + device.watermarks.highBytes >= device.ramBytes) {
    c.fail('device.reserved', 'expected reserved memory plus the high watermark to leave room for apps');
  }
  return device;
}

// A memory slower than 100 µs a touch is storage, not a tier; faster than 10 ns is a cache.
const MIN_ACCESS_NS = 10;
const MAX_ACCESS_NS = 100_000;
const MAX_BANDWIDTH_GBPS = 10_000;

function checkAccess(c: Checker, o: Json, path: string, base: MemoryAccess): MemoryAccess {
  const out = { ...base };
  if (o.accessLatencyNs !== undefined) out.accessLatencyNs = c.number(o.accessLatencyNs, `${path}.accessLatencyNs`, MIN_ACCESS_NS, MAX_ACCESS_NS) ?? out.accessLatencyNs;
  if (o.bandwidthGBps !== undefined) out.bandwidthGBps = c.number(o.bandwidthGBps, `${path}.bandwidthGBps`, 0.01, MAX_BANDWIDTH_GBPS) ?? out.bandwidthGBps;
  return out;
}

/** `dram`, `tiers` (each field required), `demotion` and `promotion`, every problem named by its path. */
function checkTiers(c: Checker, obj: Json, device: DeviceProfile): void {
  for (const key of ['demotion', 'promotion'] as const) {
    if (obj[key] === undefined) continue;
    if (typeof obj[key] === 'boolean') device[key] = obj[key] as boolean;
    else c.fail(`device.${key}`, `expected true or false, got ${describe(obj[key])}`);
  }
  if (obj.dram !== undefined) {
    const d = c.object(obj.dram, 'device.dram');
    if (d) {
      c.knownKeys(d, 'device.dram', ['accessLatencyNs', 'bandwidthGBps']);
      device.dram = checkAccess(c, d, 'device.dram', device.dram ?? DRAM_ACCESS);
    }
  }
  if (obj.tiers !== undefined) {
    if (!Array.isArray(obj.tiers)) {
      c.fail('device.tiers', `expected a list of tiers, got ${describe(obj.tiers)}`);
      return;
    }
    if (obj.tiers.length > MAX_SIM_TIERS) c.fail('device.tiers', `the simulator models at most ${MAX_SIM_TIERS} slower tier, got ${obj.tiers.length}`);
    const tiers: MemoryTierProfile[] = [];
    obj.tiers.forEach((t, i) => {
      const path = `device.tiers[${i}]`;
      const o = c.object(t, path);
      if (!o) return;
      c.knownKeys(o, path, ['name', 'size', 'accessLatencyNs', 'bandwidthGBps']);
      for (const key of ['name', 'size', 'accessLatencyNs', 'bandwidthGBps']) if (o[key] === undefined) c.fail(`${path}.${key}`, 'required');
      const name = o.name === undefined ? null : c.string(o.name, `${path}.name`);
      const sizeBytes = o.size === undefined ? null : c.size(o.size, `${path}.size`, MAX_DEVICE_BYTES);
      if (sizeBytes === 0) c.fail(`${path}.size`, 'expected more than 0 bytes');
      const access = checkAccess(c, o, path, { accessLatencyNs: 0, bandwidthGBps: 0 });
      if (name !== null && sizeBytes) tiers.push({ name, sizeBytes, ...access });
    });
    device.tiers = tiers;
  }
  const dram = device.dram ?? DRAM_ACCESS;
  (device.tiers ?? []).forEach((t, i) => {
    if (t.accessLatencyNs > 0 && t.accessLatencyNs <= dram.accessLatencyNs) {
      c.fail(`device.tiers[${i}].accessLatencyNs`, `expected slower than RAM (${dram.accessLatencyNs} ns), got ${t.accessLatencyNs} ns`);
    }
  });
  if ((device.demotion || device.promotion) && !device.tiers?.length) c.fail(device.demotion ? 'device.demotion' : 'device.promotion', 'needs a slower tier in device.tiers');
}

function checkApps(c: Checker, value: unknown): AppSpec[] {
  if (!Array.isArray(value) || value.length === 0) {
    c.fail('apps', `expected a non-empty array of apps, got ${describe(value)}`);
    return [];
  }
  if (value.length > MAX_APPS) {
    c.fail('apps', `expected at most ${MAX_APPS} apps, got ${value.length}`);
    return [];
  }
  const seen = new Map<string, number>();
  const apps: AppSpec[] = [];
  value.forEach((raw, i) => {
    const path = `apps[${i}]`;
    const obj = c.object(raw, path);
    if (!obj) return;
    c.knownKeys(obj, path, ['id', 'anon', 'file', 'workingSet', 'stateful', 'importance', 'priority', 'coldStart', 'backgroundTouch', 'coldTouch', 'shared', 'warmResume']);
    const id = c.string(obj.id, `${path}.id`);
    if (id !== null) {
      if (!/^[A-Za-z0-9_.:@-]{1,128}$/.test(id)) c.fail(`${path}.id`, `expected letters, digits and _.:@- (at most 128), got ${describe(id)}`);
      const first = seen.get(id);
      if (first !== undefined) c.fail(`${path}.id`, `duplicate app id "${id}" (first used at apps[${first}])`);
      else seen.set(id, i);
    }
    const anonBytes = c.size(obj.anon, `${path}.anon`, MAX_APP_BYTES);
    const fileBytes = c.size(obj.file, `${path}.file`, MAX_APP_BYTES);
    const workingSet = obj.workingSet === undefined ? 0.3 : c.number(obj.workingSet, `${path}.workingSet`, 0, 1);
    let stateful = false;
    if (obj.stateful !== undefined) {
      if (typeof obj.stateful !== 'boolean') c.fail(`${path}.stateful`, `expected true or false, got ${describe(obj.stateful)}`);
      else stateful = obj.stateful;
    }
    const importance: ImportanceBand | null =
      obj.importance === undefined ? null : c.oneOf(obj.importance, `${path}.importance`, IMPORTANCE_BANDS.filter((b) => b !== 'foreground'), 'an importance band');
    const priority: UserPriority | null =
      obj.priority === undefined ? 'normal' : c.oneOf(obj.priority, `${path}.priority`, USER_PRIORITIES, 'a priority');
    const size = (anonBytes ?? 0) + (fileBytes ?? 0);
    const coldStartMs =
      obj.coldStart === undefined ? COLD_START_BASE_MS + Math.round((COLD_START_MS_PER_MIB * size) / MiB) : c.duration(obj.coldStart, `${path}.coldStart`, 600_000);
    const warmResumeMs = obj.warmResume === undefined ? WARM_RESUME_MS : c.duration(obj.warmResume, `${path}.warmResume`, 600_000);
    const backgroundTouchPerSec = obj.backgroundTouch === undefined ? null : c.number(obj.backgroundTouch, `${path}.backgroundTouch`, 0, 10);
    const coldTouchPerSec = obj.coldTouch === undefined ? COLD_TOUCH_PER_SEC : c.number(obj.coldTouch, `${path}.coldTouch`, 0, 1);
    const sharedFraction = obj.shared === undefined ? SHARED_ANON_SHARE : c.number(obj.shared, `${path}.shared`, 0, 1);
    if (id === null || anonBytes === null || fileBytes === null || workingSet === null || priority === null || coldStartMs === null || warmResumeMs === null || coldTouchPerSec === null || sharedFraction === null) return;
    apps.push({ id, anonBytes, fileBytes, workingSet, stateful, importance, priority, coldStartMs, warmResumeMs, backgroundTouchPerSec, coldTouchPerSec, sharedFraction });
  });
  return apps;
}

function checkTimeline(c: Checker, value: unknown, appIds: ReadonlySet<string>, durationMs: number | null): TimelineStep[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    c.fail('timeline', `expected an array of steps, got ${describe(value)}`);
    return [];
  }
  if (value.length > MAX_STEPS) {
    c.fail('timeline', `expected at most ${MAX_STEPS} steps, got ${value.length}`);
    return [];
  }
  const steps: TimelineStep[] = [];
  value.forEach((raw, i) => {
    const path = `timeline[${i}]`;
    const obj = c.object(raw, path);
    if (!obj) return;
    const verb = c.oneOf(obj.do, `${path}.do`, TIMELINE_VERBS, 'an action');
    const at = c.duration(obj.at, `${path}.at`);
    if (at !== null && durationMs !== null && at > durationMs) c.fail(`${path}.at`, `expected a time within the duration (${durationMs} ms), got ${describe(obj.at)}`);
    const app = c.string(obj.app, `${path}.app`);
    if (app !== null && !appIds.has(app)) c.fail(`${path}.app`, `expected the id of an app in "apps", got ${describe(app)}`);
    if (verb === null || at === null || app === null) return;
    switch (verb) {
      case 'launch':
      case 'foreground':
      case 'background':
      case 'close':
        c.knownKeys(obj, path, ['at', 'do', 'app']);
        steps.push({ at, do: verb, app });
        return;
      case 'allocate':
      case 'free': {
        c.knownKeys(obj, path, ['at', 'do', 'app', 'size', 'over']);
        const bytes = c.size(obj.size, `${path}.size`, MAX_APP_BYTES);
        const overMs = obj.over === undefined ? 0 : c.duration(obj.over, `${path}.over`);
        if (bytes !== null && overMs !== null) steps.push({ at, do: verb, app, bytes, overMs });
        return;
      }
      case 'touch': {
        c.knownKeys(obj, path, ['at', 'do', 'app', 'fraction']);
        const fraction = obj.fraction === undefined ? 1 : c.number(obj.fraction, `${path}.fraction`, 0, 1);
        if (fraction !== null) steps.push({ at, do: verb, app, fraction });
        return;
      }
      case 'priority': {
        c.knownKeys(obj, path, ['at', 'do', 'app', 'priority']);
        const priority = c.oneOf(obj.priority, `${path}.priority`, USER_PRIORITIES, 'a priority');
        if (priority !== null) steps.push({ at, do: verb, app, priority });
        return;
      }
    }
  });
  // Stable sort: steps at the same instant keep the order the file gives them.
  return steps.map((s, i) => ({ s, i })).sort((a, b) => a.s.at - b.s.at || a.i - b.i).map(({ s }) => s);
}

/** Parse scenario text (JSON) with errors that say where the JSON itself is broken. */
export function parseScenarioText(text: string, source = 'scenario'): Scenario {
  // Before JSON.parse, whose time and memory grow with the nesting (a scenario nests 3 deep).
  const deep = jsonTooDeep(text);
  if (deep) throw new ScenarioError(source, [{ path: '(file)', message: tooDeepMessage('the JSON', deep.offset) }]);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ScenarioError(source, [{ path: '(file)', message: `not valid JSON: ${(err as Error).message}` }]);
  }
  return validateScenario(json, source);
}
