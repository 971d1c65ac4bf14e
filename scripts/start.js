#!/usr/bin/env node
// `npm start`: the desktop app when the Electron binary is installed; otherwise the same UI
// in a browser, served by `reclaimd serve` on the simulated device (extra arguments pass on).
'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
function electronBinary() {
  try {
    const bin = require('electron'); // the package exports the binary's path, or throws when it was never downloaded
    return typeof bin === 'string' && fs.existsSync(bin) ? bin : null;
  } catch {
    return null;
  }
}

const args = process.argv.slice(2);
const electron = electronBinary();
const child = electron
  ? spawn(electron, [root, ...args], { stdio: 'inherit' })
  : (console.log('reclaimd: the Electron binary is not installed (its download is blocked here), so the same UI is served for your browser instead:'),
    spawn(process.execPath, [path.join(root, 'bin', 'reclaimd.js'), 'serve', ...args], { stdio: 'inherit' }));
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
