// The agent's settings as saved in the database (the Settings page, settings.set), read
// back field by field: a value an older version or a hand edit left behind must neither
// stop the daemon nor pass unchecked into the agent.
import { getSetting } from '../../db/settings';
import type { Db } from '../../db/open';
import { DEFAULT_RETENTION, type RetentionPolicy } from '../../db/retention';
import { ParamError } from '../../policy-engine/params';
import { DEFAULT_POLICY } from '../../policy-engine/policies/index';
import type { PolicyRegistry } from '../../policy-engine/registry';
import { validateParams, type Settings } from '../../common/api/contract';
import { SchemaError } from '../../common/api/schema';

export const SETTINGS_KEY = 'agent.settings';

export const DEFAULT_SETTINGS: Settings = {
  policy: DEFAULT_POLICY,
  params: {},
  dryRun: false,
  allowKill: true,
  retention: { maxAgeDays: DEFAULT_RETENTION.maxAgeMs / 86_400_000, maxRows: DEFAULT_RETENTION.maxRows },
  host: 'sim',
  record: false,
};

/** Settings' retention (days, rows) as the database's retention policy. */
export function retentionPolicy(s: Settings): RetentionPolicy {
  return { maxAgeMs: s.retention.maxAgeDays * 86_400_000, maxRows: s.retention.maxRows };
}

export interface LoadedSettings {
  settings: Settings;
  /** What of the saved row was left out and why, one line each (empty when all was good). */
  problems: string[];
}

/**
 * The settings the daemon starts with: saved ones, with command-line choices on top. A bad
 * saved field is left out (its default is used) and named in `problems`; the row itself is
 * not touched, so nothing is lost until the user saves settings again.
 */
export function loadSettings(db: Db | null, registry: PolicyRegistry, defaults: Settings, overrides: Partial<Settings>): LoadedSettings {
  const { saved, problems } = db ? readSaved(db, registry) : { saved: {}, problems: [] };
  const settings = { ...defaults, ...saved, ...overrides, retention: { ...defaults.retention, ...saved.retention, ...overrides.retention } };
  return { settings, problems: problems.map((p) => `${p}; ignored (the default is used) until the settings are saved again`) };
}

/** The saved row, each field checked as settings.set checks it. */
function readSaved(db: Db, registry: PolicyRegistry): { saved: Partial<Settings>; problems: string[] } {
  let row: unknown;
  try {
    row = getSetting<unknown>(db, SETTINGS_KEY, {});
  } catch (err) {
    return { saved: {}, problems: [`saved setting ${SETTINGS_KEY} is not valid JSON (${(err as Error).message})`] };
  }
  if (typeof row !== 'object' || row === null || Array.isArray(row)) return { saved: {}, problems: [`saved setting ${SETTINGS_KEY} is not an object of settings`] };
  const saved: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [key, value] of Object.entries(row)) {
    try {
      // One field at a time, so that one bad field does not take the good ones with it
      // (a bad lmkd parameter must not undo a saved dry run).
      Object.assign(saved, validateParams('settings.set', { [key]: value }));
    } catch (err) {
      if (!(err instanceof SchemaError)) throw err;
      problems.push(`saved setting ${SETTINGS_KEY}: ${err.message}`);
    }
  }
  if (typeof saved.policy === 'string' && !registry.has(saved.policy)) {
    problems.push(`saved setting ${SETTINGS_KEY}: policy: unknown policy "${saved.policy}" (known: ${registry.names().join(', ')})`);
    delete saved.policy;
  }
  if (saved.params !== undefined) saved.params = goodParams(saved.params, registry, problems);
  return { saved: saved as Partial<Settings>, problems };
}

/** The saved parameters of each policy that are valid; the others are named in `problems`. */
function goodParams(params: unknown, registry: PolicyRegistry, problems: string[]): Record<string, unknown> | undefined {
  if (typeof params !== 'object' || params === null || Array.isArray(params)) {
    problems.push(`saved setting ${SETTINGS_KEY}: params: expected an object of parameters by policy`);
    return undefined;
  }
  const good: Record<string, unknown> = {};
  for (const [policy, config] of Object.entries(params)) {
    try {
      registry.checkParams({ [policy]: config });
      good[policy] = config;
    } catch (err) {
      if (!(err instanceof ParamError)) throw err;
      problems.push(`saved setting ${SETTINGS_KEY}: params.${err.message}`);
    }
  }
  return good;
}
