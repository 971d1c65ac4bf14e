// The one client of the daemon's API, over HTTP + WebSocket: the UI in a browser, the
// Electron main process and the CLI all use it. It knows no DOM and no Node: the caller
// gives it the daemon's address and a way to open a WebSocket (the browser's own, or the
// \`ws\` package under Node), and fetch() is global in both.
import { ApiError, type ApiStatus } from './api-error';
import type { ApiErrorBody, MethodName, MethodParams, MethodResult, ReclaimdApi, StreamMessage, StreamName } from './contract';

/** What the client needs of a WebSocket: the browser's and the \`ws\` package's both have it. */
// The handlers' event is \`never\` so both sockets' own handler types fit; a message event is read as { data }.
export interface SocketLike {
  onopen: ((event: never) => void) | null;
  onmessage: ((event: never) => void) | null;
  onclose: ((event: never) => void) | null;
  onerror: ((event: never) => void) | null;
  send(data: string): void;
  close(): void;
}

export type ConnectionListener = (connected: boolean, why?: string) => void;

export interface ApiClientOptions {
  /** The daemon's origin, "http://127.0.0.1:7420" (no path, no token). */
  base: string;
  token: string;
  openSocket: (url: string) => SocketLike;
  /** Told when the event stream connects, drops, or the token is refused. */
  onConnection?: ConnectionListener;
}

/** First wait before reconnecting the event stream; doubled after each failure, up to the max. */
const RETRY_FIRST_MS = 500;
const RETRY_MAX_MS = 10_000;

export class ApiClient implements ReclaimdApi {
  constructor(private readonly options: ApiClientOptions) {}

  get base(): string {
    return this.options.base;
  }

  async call<M extends MethodName>(method: M, params: MethodParams<M>): Promise<MethodResult<M>> {
    let res: Response;
    try {
      res = await fetch(`${this.options.base}/api/${method}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${this.options.token}` },
        body: JSON.stringify(params ?? {}),
      });
    } catch (err) {
      this.options.onConnection?.(false, 'the daemon is not answering');
      throw new ApiError(0, `the daemon at ${this.options.base} is not answering (${err instanceof Error ? err.message : String(err)})`);
    }
    const body = (await res.json().catch(() => ({ error: `HTTP ${res.status}` }))) as unknown;
    if (!res.ok) {
      const e = body as ApiErrorBody;
      if (res.status === 401) this.options.onConnection?.(false, 'no valid token: open the URL reclaimd printed');
      throw new ApiError(res.status as ApiStatus, e.error, e.field);
    }
    return body as MethodResult<M>;
  }

  /** Follow streams until the returned function is called; a dropped connection is reopened with backoff. */
  subscribe(streams: readonly StreamName[], onEvent: (message: StreamMessage) => void, processesIntervalMs?: number): () => void {
    let socket: SocketLike | null = null;
    let closed = false;
    let retryMs = RETRY_FIRST_MS;
    let retry: ReturnType<typeof setTimeout> | null = null;
    const url = `${this.options.base.replace(/^http/, 'ws')}/api/events?token=${encodeURIComponent(this.options.token)}`;
    const open = () => {
      const ws = this.options.openSocket(url);
      socket = ws;
      ws.onopen = () => {
        retryMs = RETRY_FIRST_MS;
        this.options.onConnection?.(true);
        ws.send(JSON.stringify({ streams, ...(processesIntervalMs ? { processesIntervalMs } : {}) }));
      };
      ws.onmessage = (e: { data: unknown }) => onEvent(JSON.parse(typeof e.data === 'string' ? e.data : String(e.data)) as StreamMessage);
      // The close that follows says what to do; an error alone must not throw (Node's ws would).
      ws.onerror = () => undefined;
      ws.onclose = () => {
        if (closed) return;
        this.options.onConnection?.(false, 'lost the connection to the daemon; reconnecting…');
        retry = setTimeout(open, retryMs);
        retryMs = Math.min(retryMs * 2, RETRY_MAX_MS);
      };
    };
    open();
    return () => {
      closed = true;
      if (retry) clearTimeout(retry);
      socket?.close();
    };
  }
}
