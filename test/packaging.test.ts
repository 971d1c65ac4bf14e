// The desktop package (electron-builder.yml, packaging/): its configuration is checked with
// electron-builder's own validator, its install scripts against electron-builder's own
// templates, and the deb's command line (packaging/bin/reclaimd-cli) is run for real in the
// layout the deb installs — with a stand-in for Electron's binary, which this machine does
// not have: like Electron, it runs a script as Node only with ELECTRON_RUN_AS_NODE=1 and
// otherwise is "the window" (it exits saying so).
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { DaemonClient, parseUiUrl } from '../main/client/daemon-client';
import { execCommand, parseUnit } from './helpers/systemd-unit';

const ROOT = join(__dirname, '..');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const yaml = require('js-yaml') as { load(text: string): unknown };
// electron-builder's own schema check, the one `npm run dist` runs first. Its config loader
// (jiti) would otherwise leave a transpile cache in the temp folder: the run must leave none.
process.env.JITI_FS_CACHE = 'false';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { validateConfiguration } = require('app-builder-lib/out/util/config/config') as { validateConfiguration(c: unknown, logger: unknown): Promise<void> };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { DebugLogger } = require('builder-util') as { DebugLogger: new (enabled: boolean) => unknown };

interface BuilderConfig {
  productName: string;
  linux: { executableName: string };
  deb: { afterInstall: string; afterRemove?: string };
  extraFiles?: { from: string; to: string }[];
  electronFuses?: Record<string, boolean>;
}
const config = yaml.load(readFileSync(join(ROOT, 'electron-builder.yml'), 'utf8')) as BuilderConfig;

describe('electron-builder.yml', () => {
  test('is valid for the installed electron-builder', async () => {
    await expect(validateConfiguration(config, new DebugLogger(false))).resolves.toBeUndefined();
  });

  test('flips the fuses: no NODE_OPTIONS or --inspect, app.asar only, RunAsNode kept for the CLI', () => {
    expect(config.electronFuses).toEqual({
      runAsNode: true,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
      enableCookieEncryption: true,
      grantFileProtocolExtraPrivileges: false,
    });
    // RunAsNode is on because both ways the daemon is launched need it.
    expect(readFileSync(join(ROOT, 'packaging', 'bin', 'reclaimd-cli'), 'utf8')).toMatch(/^export ELECTRON_RUN_AS_NODE=1$/m);
    expect(readFileSync(join(ROOT, 'main', 'electron', 'main.ts'), 'utf8')).toContain("ELECTRON_RUN_AS_NODE: '1'");
  });

  test('the systemd unit runs the command line the deb installs, not the window', () => {
    const cli = config.extraFiles?.find((f) => f.from === 'packaging/bin/reclaimd-cli');
    expect(cli).toBeDefined();
    // The deb puts the app (executable and extraFiles) in /opt/<productName>/.
    const installed = `/opt/${config.productName}/${cli!.to}`;
    const [execStart] = parseUnit().get('Service', 'ExecStart');
    expect(execCommand(execStart).split(' ').slice(0, 2)).toEqual([installed, 'serve']);
    expect(installed).not.toBe(`/opt/${config.productName}/${config.linux.executableName}`);
    expect(() => accessSync(join(ROOT, cli!.from), constants.X_OK)).not.toThrow();
  });
});

describe('the deb install scripts', () => {
  const templates = join(ROOT, 'node_modules', 'app-builder-lib', 'templates', 'linux');
  const scripts = () => [
    { ours: config.deb.afterInstall, theirs: join(templates, 'after-install.tpl') },
    { ours: config.deb.afterRemove!, theirs: join(templates, 'after-remove.tpl') },
  ];

  test('keep what electron-builder’s own scripts do (a custom script replaces them)', () => {
    expect(config.deb.afterRemove).toBeDefined();
    for (const { ours, theirs } of scripts()) {
      const text = readFileSync(join(ROOT, ours), 'utf8');
      const missing = readFileSync(theirs, 'utf8')
        .split('\n')
        .filter((l) => l.trim() && !l.trim().startsWith('#'))
        .filter((l) => !text.includes(l));
      expect({ script: ours, missing }).toEqual({ script: ours, missing: [] });
    }
  });

  test('use only the macros electron-builder defines, and are valid bash once expanded', () => {
    const macros: Record<string, string> = { executable: config.linux.executableName, sanitizedProductName: config.productName };
    for (const { ours } of scripts()) {
      // electron-builder throws "Macro X is not defined" on any other ${X}: shell variables must be $X.
      const expanded = readFileSync(join(ROOT, ours), 'utf8').replace(/\$\{([a-zA-Z]+)\}/g, (_m, name: string) => {
        if (!(name in macros)) throw new Error(`${ours}: \${${name}} is not an electron-builder macro`);
        return macros[name];
      });
      const check = spawnSync('bash', ['-n'], { input: expanded, encoding: 'utf8' });
      expect({ script: ours, status: check.status, stderr: check.stderr }).toEqual({ script: ours, status: 0, stderr: '' });
    }
    const install = readFileSync(join(ROOT, config.deb.afterInstall), 'utf8');
    expect(install).toContain("ln -sf '/opt/${sanitizedProductName}/reclaimd-cli' '/usr/bin/reclaimd-cli'");
    expect(install).toContain("/packaging/systemd/reclaimd.service' /lib/systemd/system/reclaimd.service");
  });
});

describe('reclaimd-cli in the deb’s layout', () => {
  let dir: string;
  beforeAll(() => {
    // /opt/reclaimd/{reclaimd, reclaimd-cli, resources/app.asar}, /usr/bin/reclaimd-cli → it.
    dir = mkdtempSync(join(tmpdir(), 'reclaimd-deb-'));
    const opt = join(dir, 'opt', 'reclaimd');
    mkdirSync(join(opt, 'resources'), { recursive: true });
    mkdirSync(join(dir, 'usr', 'bin'), { recursive: true });
    copyFileSync(join(ROOT, 'packaging', 'bin', 'reclaimd-cli'), join(opt, 'reclaimd-cli'));
    accessSync(join(opt, 'reclaimd-cli'), constants.X_OK);
    writeFileSync(
      join(opt, 'reclaimd'),
      `#!/bin/sh\n[ "$ELECTRON_RUN_AS_NODE" = 1 ] || { echo "the window would open here, ignoring: $*" >&2; exit 3; }\nexec ${JSON.stringify(process.execPath)} "$@"\n`,
      { mode: 0o755 },
    );
    // app.asar holds the project's files (dist, bin, node_modules); here, the project itself.
    symlinkSync(ROOT, join(opt, 'resources', 'app.asar'));
    symlinkSync(join('..', '..', 'opt', 'reclaimd', 'reclaimd-cli'), join(dir, 'usr', 'bin', 'reclaimd-cli'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('the stand-in is the window unless run as Node, as Electron is', () => {
    const r = spawnSync(join(dir, 'opt', 'reclaimd', 'reclaimd'), ['serve'], { encoding: 'utf8', env: { ...process.env, ELECTRON_RUN_AS_NODE: '' } });
    expect(r.status).toBe(3);
  });

  test('`reclaimd-cli serve` through the /usr/bin link starts the daemon, which answers', async () => {
    const child = spawn(join(dir, 'usr', 'bin', 'reclaimd-cli'), ['serve', '--port', '0', '--no-db'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const stderr: string[] = [];
    createInterface({ input: child.stderr! }).on('line', (l) => stderr.push(l));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        createInterface({ input: child.stdout! }).on('line', (line) => {
          const m = /^reclaimd: UI at (\S+)$/.exec(line);
          if (m) resolve(m[1]);
        });
        void exited.then((code) => reject(new Error(`reclaimd-cli exited with ${code}: ${stderr.join('\n')}`)));
      });
      const status = await new DaemonClient(parseUiUrl(url)).call('status', {});
      expect(status).toMatchObject({ host: 'sim', mode: 'active' });
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  });
});
