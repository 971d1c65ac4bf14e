// How the UI reaches the daemon: the Electron preload's `window.reclaimd` when it runs in
// the desktop window, otherwise the one API client (common/api/api-client.ts) to the daemon
// that served this page, with the token from the URL it printed.
import type { ReclaimdApi } from '../../common/api/contract';
import { ApiClient, type ConnectionListener } from '../../common/api/api-client.js';

export { ApiError } from '../../common/api/api-error.js';

declare global {
  interface Window {
    reclaimd?: ReclaimdApi;
  }
}

export function connectApi(onConnection: ConnectionListener): ReclaimdApi {
  if (window.reclaimd) return window.reclaimd;
  return new ApiClient({ base: `${location.protocol}//${location.host}`, token: takeUrlToken(), openSocket: (url) => new WebSocket(url), onConnection });
}

/**
 * The token from the URL `serve` printed, taken out of the address: it would otherwise stay
 * in the history, bookmarks, screenshots and shared links. sessionStorage keeps it for this
 * tab only, so a reload still works.
 */
function takeUrlToken(): string {
  const url = new URL(location.href);
  const fromUrl = url.searchParams.get('token');
  if (fromUrl) {
    sessionStorage.setItem(TOKEN_KEY, fromUrl);
    url.searchParams.delete('token');
    // Replace, not push: the entry with the token is gone from the history.
    history.replaceState(history.state, '', url.pathname + url.search + url.hash);
  }
  return fromUrl ?? sessionStorage.getItem(TOKEN_KEY) ?? '';
}

const TOKEN_KEY = 'reclaimd-token';
