import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** A file of the project, found from the sources (ts-jest) or from dist/ (built). */
export function projectFile(relative: string): string {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, relative))) return join(dir, relative);
  }
  throw new Error(`${relative} not found above ${__dirname}`);
}
