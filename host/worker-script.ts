import { existsSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

/**
 * The compiled JavaScript of a worker thread's script beside the caller (`dir` is its
 * __dirname). Built code finds it next to itself; sources run by ts-jest find the copy
 * `npm run build` put under dist/, since a worker cannot run TypeScript.
 */
export function compiledScript(dir: string, name: string): string {
  const here = join(dir, name);
  if (existsSync(here)) return here;
  let root = dir;
  while (!existsSync(join(root, 'package.json')) && dirname(root) !== root) root = dirname(root);
  const built = join(root, 'dist', relative(root, dir), name);
  if (existsSync(built)) return built;
  throw new Error(`${name} not built (${built}); run "npm run build"`);
}
