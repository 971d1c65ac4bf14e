import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocketServer } from 'ws';
import { jsonTooDeep, tooDeepMessage } from '../../../common/json-depth';
import { ApiError, toApiError } from '../../../common/api/api-error';
import { isMethod, validateParams, type ApiErrorBody, type MethodName } from '../../../common/api/contract';
import type { Handlers } from '../service';
import { ConnectionGuard, MAX_CONNECTIONS } from './connection-guard';
import type { EventHub } from './event-hub';
import { refusalsText, type RefusalReason } from './prometheus';
import { requestToken, SameOriginPolicy, tokenMatches } from './security';
import { serveStatic } from './static-files';

export interface ApiServerOptions {
  handlers: Handlers;
  hub: EventHub;
  /** The built renderer (index.html and its scripts). */
  staticDir: string;
  token: string;
  /** Address to listen on; loopback unless the user says otherwise. */
  bindHost?: string;
  port?: number;
  metrics: () => string;
  /** API calls being handled at once before new ones get 503 (a flood must not grow memory). */
  maxInFlight?: number;
  maxBodyBytes?: number;
  maxConnections?: number;
}

export interface ApiServer {
  port: number;
  url: string;
  close(): Promise<void>;
}

/** The largest request body (a scenario's text is at most 5,000,000 characters, escaped in JSON). */
const MAX_BODY_BYTES = 6 * 1024 * 1024;
/**
 * After a 413 the rest of the body is still read, and thrown away, for at most this long
 * before the connection closes: closing over unread bytes makes the kernel reset the
 * connection, and the client would get the reset instead of the 413.
 */
const DRAIN_AFTER_413_MS = 2_000;
/** Between requests on one connection, and for the headers of a later request. */
const KEEP_ALIVE_TIMEOUT_MS = 5_000;
const HEADERS_TIMEOUT_MS = 10_000;
/** How often Node checks those timeouts (its default of 30 s let dead connections linger). */
const TIMEOUT_CHECK_EVERY_MS = 1_000;

const JSON_HEADERS = { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' };

/**
 * The API over HTTP (POST /api/<method>, JSON in and out), the event streams over a
 * WebSocket (/api/events), Prometheus metrics (/metrics) and the renderer's files (/).
 * Every API, event and metrics request needs the token; other origins and Host names are
 * refused.
 */
export function startApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const bindHost = options.bindHost ?? '127.0.0.1';
  const maxInFlight = options.maxInFlight ?? 64;
  const maxBody = options.maxBodyBytes ?? MAX_BODY_BYTES;
  const policy = new SameOriginPolicy();
  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  let inFlight = 0;
  const refusals: Record<RefusalReason, number> = { too_deep: 0, too_large: 0, idle_timeout: 0, conn_cap: 0, busy: 0 };
  const refused = (reason: RefusalReason) => refusals[reason]++;
  const guard = new ConnectionGuard(refused, options.maxConnections ?? MAX_CONNECTIONS);

  const server: Server = createServer({ connectionsCheckingInterval: TIMEOUT_CHECK_EVERY_MS }, (req, res) => {
    guard.requestStarted(req.socket);
    res.once('close', () => guard.requestEnded(req.socket));
    void handle(req, res).catch((err: unknown) => sendError(res, toApiError(err)));
  });
  // The guard, not Node's maxConnections, holds the cap: Node refuses the newcomer, which
  // lets idle tokenless connections lock the owner out.
  server.on('connection', (socket: Socket) => guard.add(socket));
  server.headersTimeout = HEADERS_TIMEOUT_MS;
  server.requestTimeout = 120_000;
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (!policy.hostAllowed(req)) return sendError(res, new ApiError(403, `requests must be addressed to this machine's loopback address (Host: ${req.headers.host ?? 'none'})`));
    if (!policy.originAllowed(req)) return sendError(res, new ApiError(403, `origin ${req.headers.origin} is not allowed`));
    const isApi = url.pathname.startsWith('/api/');
    if (isApi || url.pathname === '/metrics') {
      if (!tokenMatches(requestToken(req, url), options.token)) {
        res.setHeader('WWW-Authenticate', 'Bearer realm="reclaimd"');
        return sendError(res, new ApiError(401, 'missing or wrong token: use the URL reclaimd printed at start'));
      }
      guard.authenticated(req.socket);
    }
    if (url.pathname === '/metrics') {
      if (req.method !== 'GET') return sendError(res, new ApiError(405, 'use GET'));
      res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8', 'Cache-Control': 'no-store' });
      res.end(options.metrics() + refusalsText({ ...refusals, too_deep: refusals.too_deep + options.hub.stats.refusedTooDeep }));
      return;
    }
    if (isApi) return handleApi(req, res, url.pathname.slice(5));
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendError(res, new ApiError(405, 'use GET'));
    if (!serveStatic(options.staticDir, url.pathname, res)) sendError(res, new ApiError(404, `no such page: ${url.pathname}`));
  };

  const handleApi = async (req: IncomingMessage, res: ServerResponse, name: string): Promise<void> => {
    if (!isMethod(name)) {
      req.resume();
      return sendError(res, new ApiError(404, `unknown method "${name}"`));
    }
    if (req.method !== 'POST') {
      req.resume();
      return sendError(res, new ApiError(405, `call ${name} with POST and a JSON body`));
    }
    if (inFlight >= maxInFlight) {
      refused('busy');
      req.resume();
      res.setHeader('Retry-After', '1');
      return sendError(res, new ApiError(503, `busy: ${inFlight} calls in progress; retry shortly`));
    }
    inFlight++;
    try {
      let body: string;
      try {
        body = await readBody(req, maxBody);
      } catch (err) {
        if (!(err instanceof ApiError) || err.status !== 413) throw err;
        refused('too_large');
        return refuseBody(req, res, err);
      }
      let params: unknown = {};
      // Checked before JSON.parse, whose time and memory grow with the nesting.
      const deep = jsonTooDeep(body);
      if (deep) {
        refused('too_deep');
        throw new ApiError(400, tooDeepMessage('the body', deep.offset), 'params');
      }
      if (body.length > 0) {
        try {
          params = JSON.parse(body);
        } catch (err) {
          throw new ApiError(400, `the body is not JSON: ${(err as Error).message}`, 'params');
        }
      }
      const method = name as MethodName;
      const valid = validateParams(method, params);
      const handler = options.handlers[method] as (p: unknown) => unknown;
      const result = await handler(valid);
      res.writeHead(200, JSON_HEADERS);
      res.end(JSON.stringify(result ?? null));
    } finally {
      inFlight--;
    }
  };

  server.on('upgrade', (req, socket: Socket, head) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const refuse = (status: number, text: string) => {
      socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    guard.requestStarted(socket);
    if (url.pathname !== '/api/events') return refuse(404, 'Not Found');
    if (!policy.hostAllowed(req) || !policy.originAllowed(req)) return refuse(403, 'Forbidden');
    if (!tokenMatches(requestToken(req, url), options.token)) return refuse(401, 'Unauthorized');
    guard.authenticated(socket);
    wss.handleUpgrade(req, socket, head, (ws) => options.hub.add(ws));
  });

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, bindHost, () => {
      server.off('error', reject);
      const port = (server.address() as AddressInfo).port;
      policy.setPort(bindHost, port);
      const shownHost = bindHost === '0.0.0.0' || bindHost === '::' ? '127.0.0.1' : bindHost.includes(':') ? `[${bindHost}]` : bindHost;
      resolve({
        port,
        url: `http://${shownHost}:${port}/?token=${options.token}`,
        close: () =>
          new Promise<void>((done) => {
            options.hub.close();
            wss.close();
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}

function sendError(res: ServerResponse, err: ApiError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body: ApiErrorBody = { error: err.message, ...(err.field ? { field: err.field } : {}) };
  res.writeHead(err.status, JSON_HEADERS);
  res.end(JSON.stringify(body));
}

/**
 * A 413 the client can read: sent at once with `Connection: close` while the rest of the
 * body is read and thrown away (DRAIN_AFTER_413_MS at most), then the connection closes.
 */
function refuseBody(req: IncomingMessage, res: ServerResponse, err: ApiError): void {
  const text = JSON.stringify({ error: err.message } satisfies ApiErrorBody);
  res.writeHead(413, { ...JSON_HEADERS, Connection: 'close', 'Content-Length': Buffer.byteLength(text) });
  // The whole answer goes out now; ending the response is what closes the connection.
  res.write(text);
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    clearTimeout(timer);
    res.end();
  };
  const timer = setTimeout(end, DRAIN_AFTER_413_MS);
  if (req.complete) return end(); // all of it had arrived already
  req.once('end', end);
  req.once('error', end);
  req.resume();
}

/** The body as text, or a 413 ApiError past `max` bytes (declared or counted as it arrives, e.g. chunked). */
function readBody(req: IncomingMessage, max: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > max) {
      reject(new ApiError(413, `the body is ${declared} bytes; at most ${max} are accepted`));
      return;
    }
    let chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > max) {
        // Keep reading (refuseBody drains it) but keep nothing.
        chunks = [];
        reject(new ApiError(413, `the body is over ${max} bytes; at most ${max} are accepted`));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
