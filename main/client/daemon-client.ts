import WebSocket from 'ws';
import type { ApiErrorBody, MethodName, MethodParams, MethodResult, ReclaimdApi, StreamMessage, StreamName } from '../api/contract';
import { ApiError } from '../api/api-error';

/** Where a daemon listens and the key to it (what `serve` prints and writes to --api-file). */
export interface DaemonAddress {
  /** http://127.0.0.1:PORT (no path, no token) */
  base: string;
  token: string;
}

/** Split the URL `serve` prints ("http://127.0.0.1:7420/?token=…") into base and token. */
export function parseUiUrl(url: string): DaemonAddress {
  const u = new URL(url);
  const token = u.searchParams.get('token');
  if (!token) throw new Error(`no token in ${url}`);
  return { base: `${u.protocol}//${u.host}`, token };
}

/**
 * The API from Node: what the Electron main process forwards the window's IPC calls to,
 * over the daemon's HTTP and WebSocket. Errors come back as ApiErrors with the status and field.
 */
export class DaemonClient implements ReclaimdApi {
  constructor(readonly address: DaemonAddress) {}

  async call<M extends MethodName>(method: M, params: MethodParams<M>): Promise<MethodResult<M>> {
    const res = await fetch(`${this.address.base}/api/${method}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${this.address.token}` },
      body: JSON.stringify(params ?? {}),
    });
    const body = (await res.json().catch(() => ({ error: `HTTP ${res.status}` }))) as unknown;
    if (!res.ok) {
      const e = body as ApiErrorBody;
      throw new ApiError(res.status as ApiError['status'], e.error, e.field);
    }
    return body as MethodResult<M>;
  }

  subscribe(streams: readonly StreamName[], onEvent: (m: StreamMessage) => void, processesIntervalMs?: number): () => void {
    let closed = false;
    let socket: WebSocket | null = null;
    let retry: NodeJS.Timeout | null = null;
    const open = () => {
      const ws = new WebSocket(`${this.address.base.replace(/^http/, 'ws')}/api/events?token=${encodeURIComponent(this.address.token)}`);
      socket = ws;
      ws.on('open', () => ws.send(JSON.stringify({ streams, ...(processesIntervalMs ? { processesIntervalMs } : {}) })));
      ws.on('message', (data) => onEvent(JSON.parse(data.toString()) as StreamMessage));
      ws.on('error', () => undefined);
      ws.on('close', () => {
        if (!closed) retry = setTimeout(open, 1000);
      });
    };
    open();
    return () => {
      closed = true;
      if (retry) clearTimeout(retry);
      socket?.close();
    };
  }
}
