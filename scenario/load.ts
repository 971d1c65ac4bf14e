import { closeSync, constants, existsSync, fstatSync, openSync, readdirSync, readSync, type Stats } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { ScenarioError, type Scenario } from './scenario';
import { parseScenarioText } from './validate';

/** The bundled scenarios folder, found from both the sources (ts-jest) and dist/. */
export function bundledScenarioDir(): string {
  for (const candidate of [join(__dirname, '..', 'scenarios'), join(__dirname, '..', '..', 'scenarios')]) {
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
  return { ...parseScenarioText(readScenarioFile(path, ref), ref), sourcePath: path };
}

/**
 * Larger than any scenario the validator accepts (500,000 timeline steps, pretty-printed,
 * are about 50 MB), small enough to hold in memory: a bigger file is refused unread.
 */
export const MAX_SCENARIO_FILE_BYTES = 64 * 1024 * 1024;

/**
 * The file's text, read with a size limit; only regular files (/dev/zero never ends and a
 * FIFO blocks until someone writes, so both are refused, not read).
 */
function readScenarioFile(path: string, ref: string): string {
  const refuse = (message: string) => new ScenarioError(ref, [{ path: '(file)', message: `cannot read: ${message}` }]);
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO without a writer would otherwise wait forever.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw refuse(code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (err as Error).message);
  }
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) throw refuse('is a directory');
    if (!st.isFile()) throw refuse(`not a regular file but ${fileKind(st)}`);
    if (st.size > MAX_SCENARIO_FILE_BYTES) throw refuse(`the file is ${st.size} bytes; at most ${MAX_SCENARIO_FILE_BYTES} are read`);
    // Read to the end, not to st.size: the size can be 0 (procfs) or change while reading.
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(1 << 20);
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      total += n;
      if (total > MAX_SCENARIO_FILE_BYTES) throw refuse(`the file is over ${MAX_SCENARIO_FILE_BYTES} bytes; at most ${MAX_SCENARIO_FILE_BYTES} are read`);
      chunks.push(chunk.subarray(0, n));
    }
    return Buffer.concat(chunks).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

function fileKind(st: Stats): string {
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isSocket()) return 'a socket';
  return 'not a file';
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
