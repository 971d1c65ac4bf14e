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

const common = path.join(root, 'common');
const commonOut = path.join(out, 'js', 'common');

/** Transpile one file to an ES module, its relative imports rewritten by `respec`. */
function emit(file, dest, respec) {
  const result = ts.transpileModule(fs.readFileSync(file, 'utf8'), {
    fileName: file,
    compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ES2022, verbatimModuleSyntax: true, sourceMap: false },
  });
  const text = result.outputText.replace(/^((?:import|export)\b[^'"]*['"])(\.{1,2}\/[^'"]+)(['"])/gm, (_, head, spec, tail) => head + respec(spec) + tail);
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  fs.writeFileSync(dest, text);
}

fs.rmSync(out, { recursive: true, force: true });
for (const file of walk(src)) {
  if (!file.endsWith('.ts') || file.endsWith('.d.ts')) continue;
  const dest = path.join(out, 'js', path.relative(src, file).replace(/\.ts$/, '.js'));
  emit(file, dest, (spec) => {
    // The browser resolves no extensions: a relative import must name the .js file.
    if (!spec.endsWith('.js')) throw new Error(`${path.relative(root, file)}: import "${spec}" must end in .js (the browser loads it as written)`);
    // common/ (the vocabulary, formatting) is shipped under js/common/: point there.
    const target = path.resolve(path.dirname(file), spec);
    if (!target.startsWith(common + path.sep)) return spec;
    const rel = path.relative(path.dirname(dest), path.join(commonOut, path.relative(common, target)));
    return rel.startsWith('.') ? rel : `./${rel}`;
  });
}
// common/ is shared with Node (CommonJS, no extensions in its imports): each import gets its .js here.
for (const file of walk(common)) {
  if (!file.endsWith('.ts') || file.endsWith('.d.ts')) continue;
  emit(file, path.join(commonOut, path.relative(common, file).replace(/\.ts$/, '.js')), (spec) => (spec.endsWith('.js') ? spec : `${spec}.js`));
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
