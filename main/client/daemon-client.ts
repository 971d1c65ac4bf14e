import WebSocket from 'ws';
import { ApiClient, type SocketLike } from '../../common/api/api-client';

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
 * The API from Node (the Electron main process, the CLI, the tests): the one client, with
 * the \`ws\` package for its WebSocket. Errors come back as ApiErrors with the status and field.
 */
export class DaemonClient extends ApiClient {
  constructor(readonly address: DaemonAddress) {
    super({ base: address.base, token: address.token, openSocket: (url) => new WebSocket(url) as unknown as SocketLike });
  }
}
