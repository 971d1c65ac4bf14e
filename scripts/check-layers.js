#!/usr/bin/env node
// Keeps the architecture visible: the policy engine stays pure (no Node, Electron, DB, FFI,
// no clock or randomness of its own), and lower layers never import upper ones.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { typescriptFiles } = require('./typescript-files');

const root = path.join(__dirname, '..');
const rules = [
  {
    dir: 'policy-engine',
    allowedBare: ['rxjs'],
    forbiddenRelative: ['host/', 'db/', 'main/', 'renderer/', 'scenario/', 'runs/'],
    forbiddenCode: [
      [/\bDate\.now\s*\(/, 'reads the clock (take it from the scheduler)'],
      [/\bnew Date\s*\(/, 'reads the clock (take it from the scheduler)'],
      [/\bperformance\.now\s*\(/, 'reads the clock (inject a wall clock)'],
      [/\bMath\.random\s*\(/, 'uses unseeded randomness'],
      [/(^|[^.\w])process\./, 'touches the Node process'],
      [/\brequire\s*\(/, 'uses require()'],
    ],
  },
  // Shared by everything, the browser included: no Node, no DOM, nothing of the layers above but their types.
  {
    dir: 'common',
    allowedBare: [],
    forbiddenRelative: ['db/', 'runs/', 'main/', 'renderer/', 'bench/'],
    valueImportsWithin: 'common/',
    forbiddenCode: [[/(^|[^.\w])process\./, 'touches the Node process'], [/\brequire\s*\(/, 'uses require()'], [/\bBuffer\b/, "uses Node's Buffer"], [/\b(document|window)\./, 'touches the DOM']],
  },
  // The scenario format: read by the hosts (the simulator plays it) and the harnesses.
  { dir: 'scenario', allowedBare: null, forbiddenRelative: ['host/', 'db/', 'runs/', 'main/', 'renderer/'], forbiddenCode: [] },
  // Hosts: the machine or the simulator behind the engine's Host interface; nothing that runs them.
  { dir: 'host', allowedBare: null, forbiddenRelative: ['main/', 'renderer/', 'db/', 'runs/'], forbiddenCode: [] },
  // Harnesses: build an engine on a host, run it, record it. Used by the CLI and the daemon alike.
  { dir: 'runs', allowedBare: null, forbiddenRelative: ['main/', 'renderer/'], forbiddenCode: [] },
  { dir: 'db', allowedBare: null, forbiddenRelative: ['main/', 'renderer/', 'runs/', 'host/'], forbiddenCode: [] },
  // The renderer is DOM-only: no Node, no Electron, nothing of the daemon's but the contract's types.
  {
    dir: 'renderer',
    allowedBare: [],
    forbiddenRelative: ['policy-engine/', 'host/', 'db/', 'bench/', 'scenario/', 'runs/', 'main/'],
    valueImportsWithin: ['renderer/', 'common/'],
    forbiddenCode: [[/(^|[^.\w])process\./, 'touches the Node process'], [/\brequire\s*\(/, 'uses require()'], [/\bBuffer\b/, 'uses Node\'s Buffer']],
  },
  // Electron's main process stays thin: it reaches the agent only through the daemon's API.
  { dir: 'main/electron', allowedBare: ['electron', 'node:path', 'node:url'], forbiddenRelative: ['policy-engine/', 'host/', 'db/', 'main/daemon/', 'main/cli/', 'renderer/'], forbiddenCode: [] },
];


const problems = [];
for (const rule of rules) {
  for (const file of typescriptFiles(path.join(root, rule.dir))) {
    const rel = path.relative(root, file);
    const text = fs.readFileSync(file, 'utf8');
    const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
    for (const m of code.matchAll(/(?:import|export)([^'"]*?)from\s*['"]([^'"]+)['"]|import\s*['"]([^'"]+)['"]/g)) {
      const spec = m[2] ?? m[3];
      const typeOnly = /^\s*type\s/.test(m[1] ?? '');
      if (spec.startsWith('.')) {
        const target = path.relative(root, path.resolve(path.dirname(file), spec)) + '/';
        const bad = rule.forbiddenRelative.find((f) => target.startsWith(f));
        if (bad) problems.push(`${rel}: imports ${spec} (${rule.dir}/ must not depend on ${bad})`);
        else if (rule.valueImportsWithin && !typeOnly && ![rule.valueImportsWithin].flat().some((d) => target.startsWith(d))) {
          problems.push(`${rel}: imports values from ${spec} (${rule.dir}/ may import only types from outside ${[rule.valueImportsWithin].flat().join(', ')})`);
        }
      } else if (rule.allowedBare && !rule.allowedBare.some((a) => spec === a || spec.startsWith(a + '/'))) {
        problems.push(`${rel}: imports "${spec}" (${rule.dir}/ may import only ${rule.allowedBare.join(', ')})`);
      }
    }
    for (const [re, why] of rule.forbiddenCode) {
      const lines = code.split('\n');
      lines.forEach((line, i) => {
        if (re.test(line)) problems.push(`${rel}:${i + 1}: ${why}`);
      });
    }
  }
}

if (problems.length > 0) {
  process.stderr.write(`layering check failed:\n${problems.map((p) => `  ${p}`).join('\n')}\n`);
  process.exit(1);
}
process.stdout.write('layering check: ok\n');
