import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocketServer } from 'ws';
import { ApiError, toApiError } from '../api/api-error';
import { isMethod, validateParams, type ApiErrorBody, type MethodName } from '../api/contract';
import type { Handlers } from '../daemon/service';
import type { EventHub } from './event-hub';
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
  const maxBody = options.maxBodyBytes ?? 6 * 1024 * 1024;
  const policy = new SameOriginPolicy();
  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  let inFlight = 0;

  const server: Server = createServer((req, res) => {
    void handle(req, res).catch((err: unknown) => sendError(res, toApiError(err)));
  });
  server.maxConnections = options.maxConnections ?? 512;
  server.headersTimeout = 10_000;
  server.requestTimeout = 120_000;
  server.keepAliveTimeout = 5_000;

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
    }
    if (url.pathname === '/metrics') {
      if (req.method !== 'GET') return sendError(res, new ApiError(405, 'use GET'));
      res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8', 'Cache-Control': 'no-store' });
      res.end(options.metrics());
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
      req.resume();
      res.setHeader('Retry-After', '1');
      return sendError(res, new ApiError(503, `busy: ${inFlight} calls in progress; retry shortly`));
    }
    inFlight++;
    try {
      const body = await readBody(req, maxBody);
      let params: unknown = {};
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
    if (url.pathname !== '/api/events') return refuse(404, 'Not Found');
    if (!policy.hostAllowed(req) || !policy.originAllowed(req)) return refuse(403, 'Forbidden');
    if (!tokenMatches(requestToken(req, url), options.token)) return refuse(401, 'Unauthorized');
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

function readBody(req: IncomingMessage, max: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > max) {
      req.resume();
      reject(new ApiError(413, `the body is ${declared} bytes; at most ${max} are accepted`));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > max) {
        reject(new ApiError(413, `the body is over ${max} bytes`));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
