// The Electron main process cannot run here (its binary is not downloadable), so what it
// does is checked in parts: its window options, the sender check, and the preload, loaded
// with a stand-in for Electron's contextBridge and ipcRenderer that records what it gets.
// (main/ and the preload also type-check against Electron's own types in `npm run build`.)
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { IPC, isTrustedSender, permissionAllowed, windowOptions } from '../main/electron/window-options';
import { NOTIFICATION_BODY_MAX_CHARS, notificationText } from '../main/electron/notification-text';
import { METHOD_NAMES } from '../common/api/contract';

const exposed: Record<string, unknown> = {};
const invoked: unknown[][] = [];
const handlers = new Map<string, (...args: unknown[]) => void>();

jest.mock('electron', () => ({
  contextBridge: { exposeInMainWorld: (key: string, api: unknown) => (exposed[key] = api) },
  ipcRenderer: {
    invoke: async (...args: unknown[]) => {
      invoked.push(args);
      if (args[0] === 'reclaimd:subscribe') return 7;
      if (args[0] === 'reclaimd:call' && args[1] === 'status') return { ok: true, result: { level: 'low' } };
      if (args[0] === 'reclaimd:call') return { ok: false, status: 400, error: 'params.limit: expected …', field: 'params.limit' };
      return undefined;
    },
    on: (channel: string, handler: (...args: unknown[]) => void) => handlers.set(channel, handler),
  },
}));

describe('the Electron window', () => {
  test('is sandboxed, context-isolated, without Node, with the preload', () => {
    const o = windowOptions('/app/preload.js');
    expect(o.webPreferences).toMatchObject({
      preload: '/app/preload.js',
      sandbox: true,
      contextIsolation: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
    });
  });

  test('main blocks navigation and new windows, and checks every IPC sender', () => {
    const main = readFileSync(join(__dirname, '..', 'main', 'electron', 'main.ts'), 'utf8');
    expect(main).toMatch(/will-navigate', \(e\) => e\.preventDefault\(\)/);
    // Sub-frames navigate without will-navigate.
    expect(main).toMatch(/will-frame-navigate', \(e\) => e\.preventDefault\(\)/);
    expect(main).toMatch(/setWindowOpenHandler\(\(\) => \(\{ action: 'deny' \}\)\)/);
    // Every ipcMain.handle starts by checking the sender.
    const handles = [...main.matchAll(/ipcMain\.handle\([^\n]+\n\s+(\S+)/g)].map((m) => m[1]);
    expect(handles).toHaveLength(3);
    expect(handles.every((first) => first === 'trusted(event);')).toBe(true);
  });

  test('permissions: notifications for the app page only, asked or checked', () => {
    const url = 'reclaimd-ui://app/index.html';
    expect(permissionAllowed('notifications', url, url)).toBe(true);
    expect(permissionAllowed('notifications', 'reclaimd-ui://app', url)).toBe(true); // a check handler's origin
    expect(permissionAllowed('notifications', 'https://evil.example/', url)).toBe(false);
    expect(permissionAllowed('notifications', undefined, url)).toBe(false);
    // Custom schemes and file: all have the origin "null": that must not make them the app.
    expect(permissionAllowed('notifications', 'evil-ui://app/index.html', url)).toBe(false);
    expect(permissionAllowed('notifications', 'file:///tmp/index.html', url)).toBe(false);
    expect(permissionAllowed('notifications', 'reclaimd-ui://other/index.html', url)).toBe(false);
    for (const p of ['media', 'geolocation', 'clipboard-read', 'openExternal', 'fileSystem']) expect(permissionAllowed(p, url, url)).toBe(false);
    // Both of Electron's handlers answer with it: the request handler alone leaves checks granted.
    const main = readFileSync(join(__dirname, '..', 'main', 'electron', 'main.ts'), 'utf8');
    expect(main).toMatch(/setPermissionRequestHandler\([^\n]*permissionAllowed\(permission, details\.requestingUrl, RENDERER_URL\)/);
    expect(main).toMatch(/setPermissionCheckHandler\([^\n]*permissionAllowed\(permission, requestingOrigin, RENDERER_URL\)/);
  });

  test('notifications are plain text: no markup, no control characters, bounded', () => {
    expect(notificationText('reclaimd killed <b>x</b> & <a href="https://evil.example">y</a>')).toBe('reclaimd killed ‹b›x‹/b› ＆ ‹a href="https://evil.example"›y‹/a›');
    expect(notificationText('pid 7: a\nfake line\u001b[31m \u202eevil\u0007')).toBe('pid 7: a fake line [31m evil');
    const long = notificationText('x'.repeat(1000));
    expect([...long]).toHaveLength(NOTIFICATION_BODY_MAX_CHARS);
    expect(long.endsWith('…')).toBe(true);
    const tray = readFileSync(join(__dirname, '..', 'main', 'electron', 'tray.ts'), 'utf8');
    expect(tray).toMatch(/new Notification\(\{ title: notificationText\([^)]*\), body: notificationText\(/);
  });

  test('only the top frame of the app page is a trusted sender', () => {
    const url = 'reclaimd-ui://app/index.html';
    expect(isTrustedSender({ url, parent: null }, url)).toBe(true);
    expect(isTrustedSender({ url: `${url}#history`, parent: null }, url)).toBe(true);
    expect(isTrustedSender({ url, parent: {} }, url)).toBe(false);
    expect(isTrustedSender({ url: 'https://evil.example/index.html', parent: null }, url)).toBe(false);
    expect(isTrustedSender({ url: 'file:///tmp/index.html', parent: null }, url)).toBe(false);
    expect(isTrustedSender(null, url)).toBe(false);
  });

  test('the preload exposes the API contract and nothing else', async () => {
    jest.isolateModules(() => require('../main/electron/preload'));
    expect(Object.keys(exposed)).toEqual(['reclaimd']);
    const api = exposed.reclaimd as { call: (m: string, p: unknown) => Promise<unknown>; subscribe: (s: string[], cb: (m: unknown) => void, ms?: number) => () => void };
    expect(Object.keys(api).sort()).toEqual(['call', 'subscribe']);
    await expect(api.call('status', {})).resolves.toEqual({ level: 'low' });
    await expect(api.call('processes', { limit: 0 })).rejects.toMatchObject({ status: 400, field: 'params.limit' });
    const got: unknown[] = [];
    const off = api.subscribe(['processes'], (m) => got.push(m), 100);
    await new Promise((r) => setImmediate(r));
    handlers.get(IPC.event)!({}, 7, { stream: 'processes', data: { at: 1, processes: [] } });
    handlers.get(IPC.event)!({}, 8, { stream: 'processes', data: 'someone else’s' });
    expect(got).toEqual([{ stream: 'processes', data: { at: 1, processes: [] } }]);
    off();
    expect(invoked).toEqual([
      [IPC.call, 'status', {}],
      [IPC.call, 'processes', { limit: 0 }],
      [IPC.subscribe, ['processes'], 100],
      [IPC.unsubscribe, 7],
    ]);
  });

  test('the preload uses the channels main listens on (it may not import them: sandboxed)', () => {
    const preload = readFileSync(join(__dirname, '..', 'main', 'electron', 'preload.ts'), 'utf8');
    for (const channel of Object.values(IPC)) expect(preload).toContain(`'${channel}'`);
    // And the contract it types against is the one the daemon serves.
    expect(METHOD_NAMES).toContain('reclaim.manual');
  });
});
