// How the UI reaches the daemon: the Electron preload's `window.reclaimd` when it runs in
// the desktop window, otherwise HTTP + WebSocket to the daemon that served this page,
// with the token from the URL it printed.
import type { ApiErrorBody, MethodName, MethodParams, MethodResult, ReclaimdApi, StreamMessage, StreamName } from '../../main/api/contract';

declare global {
  interface Window {
    reclaimd?: ReclaimdApi;
  }
}

/** A failed call: the status and message, and the field at fault for a 400. */
export class ApiCallError extends Error {
  constructor(readonly status: number, message: string, readonly field?: string) {
    super(message);
    this.name = 'ApiCallError';
  }
}

export type ConnectionListener = (connected: boolean, why?: string) => void;

export function connectApi(onConnection: ConnectionListener): ReclaimdApi {
  if (window.reclaimd) return window.reclaimd;
  return new HttpApi(takeUrlToken(), onConnection);
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

class HttpApi implements ReclaimdApi {
  constructor(private readonly token: string, private readonly onConnection: ConnectionListener) {}

  async call<M extends MethodName>(method: M, params: MethodParams<M>): Promise<MethodResult<M>> {
    let res: Response;
    try {
      res = await fetch(`/api/${method}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${this.token}` },
        body: JSON.stringify(params ?? {}),
      });
    } catch (err) {
      this.onConnection(false, 'the daemon is not answering');
      throw new ApiCallError(0, `the daemon is not answering (${(err as Error).message})`);
    }
    const body = (await res.json().catch(() => ({ error: `HTTP ${res.status}` }))) as unknown;
    if (!res.ok) {
      const e = body as ApiErrorBody;
      if (res.status === 401) this.onConnection(false, 'this page has no valid token: open the URL reclaimd printed');
      throw new ApiCallError(res.status, e.error, e.field);
    }
    return body as MethodResult<M>;
  }

  subscribe(streams: readonly StreamName[], onEvent: (m: StreamMessage) => void, processesIntervalMs?: number): () => void {
    let socket: WebSocket | null = null;
    let closed = false;
    let retryMs = 500;
    const open = () => {
      const proto = location.protocol === 'https:' ? 'wss' : 'ws';
      socket = new WebSocket(`${proto}://${location.host}/api/events?token=${encodeURIComponent(this.token)}`);
      socket.onopen = () => {
        retryMs = 500;
        this.onConnection(true);
        socket!.send(JSON.stringify({ streams, ...(processesIntervalMs ? { processesIntervalMs } : {}) }));
      };
      socket.onmessage = (e) => onEvent(JSON.parse(e.data as string) as StreamMessage);
      socket.onclose = () => {
        if (closed) return;
        this.onConnection(false, 'lost the connection to the daemon; reconnecting…');
        setTimeout(open, retryMs);
        retryMs = Math.min(retryMs * 2, 10_000);
      };
    };
    open();
    return () => {
      closed = true;
      socket?.close();
    };
  }
}
