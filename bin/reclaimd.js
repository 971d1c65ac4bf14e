#!/usr/bin/env node
'use strict';
// Thin launcher: the CLI is compiled to dist/ by `npm run build` (run on install by `prepare`).
let cli;
try {
  cli = require('../dist/main/cli/reclaimd.js');
} catch (err) {
  if (err && err.code === 'MODULE_NOT_FOUND') {
    process.stderr.write('reclaimd: not built yet; run `npm run build` in the project folder first\n');
    process.exit(1);
  }
  throw err;
}
cli.quietOnClosedPipe();
cli.main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
