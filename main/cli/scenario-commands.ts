import { writeFileSync } from 'node:fs';
import { generateCrowdScenario, generateScenario } from '../../scenario/generate';
import { bundledScenarios, loadScenario } from '../../scenario/load';
import { validateScenario } from '../../scenario/validate';
import { parseDuration } from '../../scenario/units';
import { DEVICE_PROFILES } from '../../scenario/device-profiles';
import { intFlag, parseArgs, stringFlag, UsageError } from './args';
import type { CommandIO } from './io';

/** `reclaimd scenarios`: the bundled scenarios with their descriptions. */
export function scenariosCommand(argv: readonly string[], io: CommandIO): number {
  const args = parseArgs(argv, { json: { value: false, description: 'print JSON' } });
  const list = bundledScenarios();
  if (args.flags.has('json')) io.out(JSON.stringify(list));
  else for (const s of list) io.out(`${s.name.padEnd(16)} ${s.device.padEnd(14)} ${String(Math.round(s.durationMs / 1000)).padStart(6)} s  ${s.description}`);
  return 0;
}

/** `reclaimd scenario validate <file>` and `reclaimd scenario generate …`. */
export function scenarioCommand(argv: readonly string[], io: CommandIO): number {
  const [sub, ...rest] = argv;
  if (sub === 'validate') {
    const args = parseArgs(rest, {});
    if (args.positionals.length !== 1) throw new UsageError('scenario validate needs one file');
    const s = loadScenario(args.positionals[0]);
    io.out(`${args.positionals[0]}: valid scenario "${s.name}" (${s.apps.length} apps, ${s.timeline.length} steps, ${Math.round(s.durationMs / 1000)} s on ${s.device.name})`);
    return 0;
  }
  if (sub === 'generate') {
    const args = parseArgs(rest, {
      apps: { value: true, description: 'number of apps (default 50)' },
      duration: { value: true, description: 'length, e.g. 1h (default 1h)' },
      seed: { value: true, description: 'random seed (default 1)' },
      device: { value: true, description: 'device profile (default phone-4g)' },
      out: { value: true, description: 'write to this file instead of stdout' },
      crowd: { value: false, description: 'every app running at once, small, on a roomy device (a load test for the UI)' },
    });
    const apps = intFlag(args, 'apps', 1, 2000) ?? 50;
    const durationText = stringFlag(args, 'duration') ?? '1h';
    const durationMs = parseDuration(durationText);
    if (durationMs === null || durationMs <= 0) throw new UsageError(`--duration: expected a duration like "1h", got "${durationText}"`);
    const device = stringFlag(args, 'device') ?? 'phone-4g';
    if (!DEVICE_PROFILES[device]) throw new UsageError(`--device: expected one of ${Object.keys(DEVICE_PROFILES).join(', ')}, got "${device}"`);
    const seed = intFlag(args, 'seed', 0, 0xffffffff) ?? 1;
    const scenario = args.flags.has('crowd') ? generateCrowdScenario({ apps, durationMs, seed }) : generateScenario({ apps, durationMs, seed, device });
    validateScenario(scenario, 'generated scenario'); // the generator must only make valid files
    const text = JSON.stringify(scenario, null, 2);
    const out = stringFlag(args, 'out');
    if (out) {
      writeFileSync(out, text + '\n');
      io.err(`wrote ${out}`);
    } else io.out(text);
    return 0;
  }
  throw new UsageError('usage: reclaimd scenario validate <file> | reclaimd scenario generate [--apps N] [--duration 1h] [--seed N] [--device P] [--crowd] [--out FILE]');
}
