// The TypeScript sources below a folder (declarations and node_modules left out): what the
// lint scripts read.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

function typescriptFiles(dir) {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' ? [] : typescriptFiles(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

module.exports = { typescriptFiles };
