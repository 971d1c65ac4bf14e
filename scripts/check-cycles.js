#!/usr/bin/env node
// No import circles, type-only imports included: a circle means two files are one concern
// split in two, or a lower file knows an upper one. Reports each circle's files.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { typescriptFiles } = require('./typescript-files');

// The tree to check: the repository, or another one (the test gives it a small tree with a circle).
const root = process.argv[2] ? path.resolve(process.argv[2]) : path.join(__dirname, '..');
const SOURCE_DIRS = ['common', 'policy-engine', 'scenario', 'host', 'db', 'runs', 'main', 'renderer', 'bench', 'test'];


/** The .ts file a relative specifier names (renderer imports end in .js; directories mean index.ts). */
function resolve(from, spec) {
  const base = path.resolve(path.dirname(from), spec).replace(/\.js$/, '');
  return [`${base}.ts`, path.join(base, 'index.ts')].find((f) => fs.existsSync(f)) ?? null;
}

const graph = new Map();
for (const file of SOURCE_DIRS.flatMap((d) => typescriptFiles(path.join(root, d)))) {
  const code = fs.readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
  const deps = [];
  for (const m of code.matchAll(/(?:import|export)[^'";]*?from\s*['"]([^'"]+)['"]|import\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)) {
    const spec = m[1] ?? m[2] ?? m[3];
    if (!spec.startsWith('.')) continue;
    const target = resolve(file, spec);
    if (target) deps.push(target);
  }
  graph.set(file, deps);
}

// Tarjan's strongly connected components: every component of more than one file is a circle.
let counter = 0;
const stack = [];
const onStack = new Set();
const index = new Map();
const low = new Map();
const circles = [];
function visit(v) {
  index.set(v, counter);
  low.set(v, counter++);
  stack.push(v);
  onStack.add(v);
  for (const w of graph.get(v) ?? []) {
    if (!index.has(w)) {
      visit(w);
      low.set(v, Math.min(low.get(v), low.get(w)));
    } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), index.get(w)));
  }
  if (low.get(v) !== index.get(v)) return;
  const component = [];
  let w;
  do {
    w = stack.pop();
    onStack.delete(w);
    component.push(path.relative(root, w));
  } while (w !== v);
  if (component.length > 1 || (graph.get(v) ?? []).includes(v)) circles.push(component.sort());
}
for (const v of graph.keys()) if (!index.has(v)) visit(v);

if (circles.length > 0) {
  process.stderr.write(`import circles (the files of each):\n${circles.map((c) => `  ${c.join(', ')}`).join('\n')}\n`);
  process.exit(1);
}
process.stdout.write(`import circles: none (${graph.size} files)\n`);
