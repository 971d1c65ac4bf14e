#!/usr/bin/env node
// Builds the renderer for the browser and the Electron window: each TypeScript file is
// transpiled on its own to an ES module (type-checking is `tsc -p renderer/tsconfig.json`),
// and the static files and the charting library are copied beside it. No bundler: the
// browser loads the modules as they are, under a CSP that allows only 'self'.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const ts = require('typescript');

const root = path.join(__dirname, '..');
const src = path.join(root, 'renderer', 'src');
const out = path.join(root, 'dist', 'renderer');

function walk(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? walk(p) : [p];
  });
}

fs.rmSync(out, { recursive: true, force: true });
for (const file of walk(src)) {
  if (!file.endsWith('.ts') || file.endsWith('.d.ts')) continue;
  const rel = path.relative(src, file).replace(/\.ts$/, '.js');
  const result = ts.transpileModule(fs.readFileSync(file, 'utf8'), {
    fileName: file,
    compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ES2022, verbatimModuleSyntax: true, sourceMap: false },
  });
  // The browser resolves no extensions: a relative import must name the .js file.
  for (const m of result.outputText.matchAll(/^import [^'"]*['"](\.{1,2}\/[^'"]+)['"]/gm)) {
    if (!m[1].endsWith('.js')) throw new Error(`${path.relative(root, file)}: import "${m[1]}" must end in .js (the browser loads it as written)`);
  }
  const dest = path.join(out, 'js', rel);
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  fs.writeFileSync(dest, result.outputText);
}
const copies = [
  [path.join(root, 'renderer', 'index.html'), path.join(out, 'index.html')],
  [path.join(root, 'renderer', 'styles.css'), path.join(out, 'styles.css')],
  [path.join(root, 'renderer', 'icon.svg'), path.join(out, 'icon.svg')],
  [require.resolve('uplot/dist/uPlot.esm.js'), path.join(out, 'js', 'vendor', 'uplot.js')],
  [require.resolve('uplot/dist/uPlot.min.css'), path.join(out, 'vendor', 'uPlot.min.css')],
];
for (const [from, to] of copies) {
  fs.mkdirSync(path.dirname(to), { recursive: true });
  fs.copyFileSync(from, to);
}
