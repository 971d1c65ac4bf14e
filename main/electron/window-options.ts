import type { BrowserWindowConstructorOptions } from 'electron';

/**
 * The window's security: the renderer is a web page with no Node, in Chromium's sandbox,
 * isolated from the preload, which exposes the API contract and nothing else.
 */
export function windowOptions(preloadPath: string): BrowserWindowConstructorOptions {
  return {
    width: 1280,
    height: 860,
    minWidth: 900,
    minHeight: 600,
    title: 'reclaimd',
    show: false,
    autoHideMenuBar: true,
    webPreferences: {
      preload: preloadPath,
      sandbox: true,
      contextIsolation: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      experimentalFeatures: false,
      navigateOnDragDrop: false,
      spellcheck: false,
    },
  };
}

/** IPC channels between the preload and main; the preload uses these and no others. */
export const IPC = {
  call: 'reclaimd:call',
  subscribe: 'reclaimd:subscribe',
  unsubscribe: 'reclaimd:unsubscribe',
  event: 'reclaimd:event',
} as const;

/** The answer to an IPC call: Electron would flatten a thrown error's status and field into text. */
export type IpcReply = { ok: true; result: unknown } | { ok: false; status: number; error: string; field?: string };

/**
 * Only the app's own page may use the API: the top frame, loaded from the renderer's
 * index.html. Anything else (an iframe, a page navigated elsewhere) is refused.
 */
export function isTrustedSender(frame: { url: string; parent: unknown } | null | undefined, rendererUrl: string): boolean {
  if (!frame || frame.parent) return false;
  try {
    const u = new URL(frame.url);
    return `${u.protocol}//${u.host}${u.pathname}` === rendererUrl;
  } catch {
    return false;
  }
}

/**
 * The one permission the app uses: notifications, for its own page. Both Electron's request
 * handler (a page asks) and its check handler (a page queries, e.g. Notification.permission
 * or navigator.permissions) answer with this, so no permission is granted by default.
 */
export function permissionAllowed(permission: string, requestingUrl: string | undefined, rendererUrl: string): boolean {
  if (permission !== 'notifications' || !requestingUrl) return false;
  try {
    // Scheme and host: a custom scheme's URL.origin is "null", the same for any other page.
    const [a, b] = [new URL(requestingUrl), new URL(rendererUrl)];
    return a.protocol === b.protocol && a.host === b.host;
  } catch {
    return false;
  }
}
