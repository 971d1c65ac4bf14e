import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { hostname, networkInterfaces } from 'node:os';

/** A fresh token per start: 32 random bytes, URL-safe. */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/** The token a request carries: `Authorization: Bearer …`, or `?token=` (WebSocket, /metrics scrapers). */
export function requestToken(req: IncomingMessage, url: URL): string | null {
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ')) return auth.slice(7).trim();
  return url.searchParams.get('token');
}

export function tokenMatches(given: string | null, token: string): boolean {
  if (given === null) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * The origins and Host names the server answers: its own address only, so a web page
 * elsewhere can neither call the API (origin) nor reach it through DNS rebinding (host).
 */
export class SameOriginPolicy {
  private hosts = new Set<string>();

  setPort(bindHost: string, port: number): void {
    const names = new Set(['127.0.0.1', 'localhost', '[::1]', bindHost.includes(':') ? `[${bindHost}]` : bindHost]);
    // Listening on every interface (--bind 0.0.0.0): each of this machine's addresses and its name.
    if (bindHost === '0.0.0.0' || bindHost === '::') {
      names.add(hostname().toLowerCase());
      for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) names.add(a.family === 'IPv6' ? `[${a.address}]` : a.address);
    }
    this.hosts = new Set([...names].map((n) => `${n}:${port}`));
  }

  hostAllowed(req: IncomingMessage): boolean {
    return req.headers.host !== undefined && this.hosts.has(req.headers.host.toLowerCase());
  }

  /** Requests without an Origin (curl, Node, Electron main) are allowed; browsers always send one cross-origin. */
  originAllowed(req: IncomingMessage): boolean {
    const origin = req.headers.origin;
    if (origin === undefined) return true;
    try {
      const u = new URL(origin);
      return u.protocol === 'http:' && this.hosts.has(u.host.toLowerCase());
    } catch {
      return false;
    }
  }
}

