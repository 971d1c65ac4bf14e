// The Electron main process: thin. It finds (or starts) the daemon, opens one locked-down
// window on the built renderer, forwards the window's validated API calls to the daemon,
// and keeps a tray icon with the pressure level.
import { app, BrowserWindow, ipcMain, session, type IpcMainInvokeEvent, type WebContents } from 'electron';
import { join } from 'node:path';
import { toApiError } from '../../common/api/api-error';
import { isMethod, subscribeMessage, validateParams, type DecisionRecord, type StatusInfo } from '../../common/api/contract';
import { findRunningDaemon, startDaemonProcess, type RunningDaemon } from '../client/daemon-launcher';
import { RENDERER_URL, registerRendererScheme, serveRenderer } from './renderer-protocol';
import { PressureTray } from './tray';
import { IPC, isTrustedSender, permissionAllowed, windowOptions, type IpcReply } from './window-options';

const rendererRoot = join(__dirname, '..', '..', 'renderer');
registerRendererScheme();

async function connectDaemon(): Promise<RunningDaemon> {
  // A privileged daemon (systemd) may already run; otherwise this user's own, unprivileged.
  const running = await findRunningDaemon(undefined, (message) => console.error(`reclaimd: ${message}`));
  if (running) return { client: running, child: null };
  return startDaemonProcess({
    node: app.isPackaged ? process.execPath : (process.env.RECLAIMD_NODE ?? 'node'),
    env: app.isPackaged ? { ELECTRON_RUN_AS_NODE: '1' } : {},
    cli: join(__dirname, '..', '..', '..', 'bin', 'reclaimd.js'),
  });
}

function lockDown(contents: WebContents): void {
  contents.on('will-navigate', (e) => e.preventDefault());
  // will-navigate sees only the main frame; this one every frame's navigations.
  contents.on('will-frame-navigate', (e) => e.preventDefault());
  contents.on('will-redirect', (e) => e.preventDefault());
  contents.on('will-attach-webview', (e) => e.preventDefault());
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
}

async function main(): Promise<void> {
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return;
  }
  await app.whenReady();
  serveRenderer(rendererRoot);
  session.defaultSession.setPermissionRequestHandler((_wc, permission, callback, details) => callback(permissionAllowed(permission, details.requestingUrl, RENDERER_URL)));
  session.defaultSession.setPermissionCheckHandler((_wc, permission, requestingOrigin) => permissionAllowed(permission, requestingOrigin, RENDERER_URL));
  app.on('web-contents-created', (_e, contents) => lockDown(contents));

  const daemon = await connectDaemon();
  const client = daemon.client;
  const subscriptions = new Map<number, () => void>();
  let nextId = 1;

  const trusted = (event: IpcMainInvokeEvent) => {
    if (!isTrustedSender(event.senderFrame, RENDERER_URL)) throw new Error(`refused an IPC call from ${event.senderFrame?.url ?? 'an unknown frame'}`);
  };
  ipcMain.handle(IPC.call, async (event, method: unknown, params: unknown): Promise<IpcReply> => {
    trusted(event);
    try {
      if (typeof method !== 'string' || !isMethod(method)) return { ok: false, status: 404, error: `unknown method "${String(method)}"` };
      const valid = validateParams(method, params);
      return { ok: true, result: await client.call(method, valid as never) };
    } catch (err) {
      const e = toApiError(err);
      return { ok: false, status: e.status, error: e.message, ...(e.field ? { field: e.field } : {}) };
    }
  });
  ipcMain.handle(IPC.subscribe, (event, streams: unknown, intervalMs: unknown) => {
    trusted(event);
    const request = subscribeMessage({ streams, ...(intervalMs === undefined ? {} : { processesIntervalMs: intervalMs }) }, 'subscribe');
    const id = nextId++;
    const sender = event.sender;
    const off = client.subscribe(request.streams, (m) => !sender.isDestroyed() && sender.send(IPC.event, id, m), request.processesIntervalMs);
    subscriptions.set(id, off);
    sender.once('destroyed', () => {
      off();
      subscriptions.delete(id);
    });
    return id;
  });
  ipcMain.handle(IPC.unsubscribe, (event, id: unknown) => {
    trusted(event);
    subscriptions.get(Number(id))?.();
    subscriptions.delete(Number(id));
  });

  let window: BrowserWindow | null = null;
  const showWindow = () => {
    if (window) {
      window.show();
      window.focus();
      return;
    }
    window = new BrowserWindow(windowOptions(join(__dirname, 'preload.js')));
    window.once('ready-to-show', () => window?.show());
    window.on('closed', () => (window = null));
    void window.loadURL(RENDERER_URL);
  };
  const tray = new PressureTray(showWindow, () => app.quit());
  const offTray = client.subscribe(['status', 'decision'], (m) => {
    if (m.stream === 'status') tray.showStatus(m.data as StatusInfo);
    else if (m.stream === 'decision') tray.notifyDecision(m.data as DecisionRecord);
  });
  app.on('second-instance', showWindow);
  // Closing the window keeps the tray (the agent keeps running); Quit ends both.
  app.on('window-all-closed', () => undefined);
  app.on('before-quit', () => {
    offTray();
    for (const off of subscriptions.values()) off();
    tray.destroy();
    daemon.child?.kill('SIGTERM');
  });
  showWindow();
}

void main().catch((err: unknown) => {
  console.error(`reclaimd: ${err instanceof Error ? err.message : String(err)}`);
  app.exit(1);
});
