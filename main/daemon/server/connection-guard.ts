import type { Socket } from 'node:net';
import type { RefusalReason } from './prometheus';

/**
 * Open connections at most. Each costs a file descriptor and a parser; the desktop window
 * and a browser tab use a handful, so 512 is room for many clients, not for a flood.
 */
export const MAX_CONNECTIONS = 512;
/**
 * A connection must complete its first request's headers within this time. Every real
 * client sends its request as soon as it connects; one that sends nothing (or headers a
 * byte at a time) is only holding a place.
 */
export const FIRST_REQUEST_TIMEOUT_MS = 5_000;

interface Tracked {
  socket: Socket;
  /** Carried a request (or a WebSocket upgrade) with the right token. */
  authenticated: boolean;
  /** Requests being answered on it now. */
  active: number;
  firstRequest: NodeJS.Timeout | null;
}

/**
 * Keeps connections without the token from starving clients that have it. All clients are
 * on loopback, so a limit per remote address would be the global limit again; what tells
 * the owner's clients apart is the token. So: a connection that sends no complete request
 * in FIRST_REQUEST_TIMEOUT_MS is closed, and at MAX_CONNECTIONS a new connection takes the
 * place of the oldest one that never showed the token (idle before busy) instead of being
 * refused. Only when every place is held by connections with the token is the newcomer
 * refused.
 */
export class ConnectionGuard {
  /** In the order they connected: the first evictable one met is the oldest. */
  private readonly connections = new Map<Socket, Tracked>();

  constructor(
    private readonly refused: (reason: RefusalReason) => void,
    private readonly max = MAX_CONNECTIONS,
    private readonly firstRequestMs = FIRST_REQUEST_TIMEOUT_MS,
  ) {}

  get size(): number {
    return this.connections.size;
  }

  add(socket: Socket): void {
    const tracked: Tracked = { socket, authenticated: false, active: 0, firstRequest: null };
    tracked.firstRequest = setTimeout(() => this.drop(tracked, 'idle_timeout'), this.firstRequestMs);
    tracked.firstRequest.unref();
    this.connections.set(socket, tracked);
    socket.once('close', () => this.forget(tracked));
    if (this.connections.size > this.max) this.makeRoom(tracked);
  }

  /** A request's headers arrived on this connection (an HTTP request or a WebSocket upgrade). */
  requestStarted(socket: Socket): void {
    const tracked = this.connections.get(socket);
    if (!tracked) return;
    tracked.active++;
    if (tracked.firstRequest) clearTimeout(tracked.firstRequest);
    tracked.firstRequest = null;
  }

  requestEnded(socket: Socket): void {
    const tracked = this.connections.get(socket);
    if (tracked) tracked.active = Math.max(0, tracked.active - 1);
  }

  authenticated(socket: Socket): void {
    const tracked = this.connections.get(socket);
    if (tracked) tracked.authenticated = true;
  }

  private makeRoom(newcomer: Tracked): void {
    let busy: Tracked | null = null;
    for (const t of this.connections.values()) {
      if (t === newcomer || t.authenticated) continue;
      if (t.active === 0) return this.drop(t, 'conn_cap');
      busy ??= t;
    }
    // A tokenless client can keep a request busy by not reading its answer; it still yields.
    this.drop(busy ?? newcomer, 'conn_cap');
  }

  private drop(tracked: Tracked, reason: RefusalReason): void {
    this.refused(reason);
    this.forget(tracked);
    tracked.socket.destroy();
  }

  private forget(tracked: Tracked): void {
    if (tracked.firstRequest) clearTimeout(tracked.firstRequest);
    tracked.firstRequest = null;
    this.connections.delete(tracked.socket);
  }
}
