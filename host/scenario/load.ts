import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { ScenarioError, type Scenario } from './scenario';
import { parseScenarioText } from './validate';

/** The bundled scenarios folder, found from both the sources (ts-jest) and dist/. */
export function bundledScenarioDir(): string {
  for (const candidate of [join(__dirname, '..', '..', 'scenarios'), join(__dirname, '..', '..', '..', 'scenarios')]) {
    if (existsSync(join(candidate, 'game-call.json'))) return candidate;
  }
  throw new Error(`bundled scenarios not found near ${__dirname}`);
}

export function bundledScenarioFiles(): string[] {
  const dir = bundledScenarioDir();
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => join(dir, f));
}

/** What a person picks a bundled scenario by. */
export interface ScenarioSummary {
  name: string;
  file: string;
  description: string;
  device: string;
  durationMs: number;
  apps: number;
}

export function bundledScenarios(): ScenarioSummary[] {
  return bundledScenarioFiles().map((file) => {
    const s = loadScenario(file);
    return { name: basename(file, '.json'), file, device: s.device.name, durationMs: s.durationMs, apps: s.apps.length, description: s.description };
  });
}

/**
 * Load a scenario from a path, or by the name of a bundled one ("game-call"). Errors are
 * ScenarioErrors naming the file and the JSON path.
 */
export function loadScenario(ref: string): Scenario {
  const path = resolveScenarioPath(ref);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : (err as Error).message;
    throw new ScenarioError(ref, [{ path: '(file)', message: `cannot read: ${why}` }]);
  }
  return { ...parseScenarioText(text, ref), sourcePath: path };
}

function resolveScenarioPath(ref: string): string {
  if (existsSync(ref)) return resolve(ref);
  if (/^[\w.-]+$/.test(ref)) {
    const dir = bundledScenarioDir();
    const name = basename(ref, '.json');
    const bundled = join(dir, `${name}.json`);
    if (existsSync(bundled)) return bundled;
  }
  return resolve(ref);
}
