import { net, protocol } from 'electron';
import { join, normalize, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CONTENT_SECURITY_POLICY } from '../../common/content-security-policy';

/**
 * The renderer is served from its own scheme, not file://: Chromium refuses ES modules
 * from file:// (a null origin), and a real origin lets the CSP say 'self' and main check
 * the sender against exactly this page.
 */
export const RENDERER_SCHEME = 'reclaimd-ui';
export const RENDERER_URL = `${RENDERER_SCHEME}://app/index.html`;

/** Before app ready: the scheme behaves like https (secure context, fetch, CSP 'self'). */
export function registerRendererScheme(): void {
  protocol.registerSchemesAsPrivileged([{ scheme: RENDERER_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }]);
}

/** After app ready: files under `root` only, with the same CSP as the daemon sends. */
export function serveRenderer(root: string): void {
  protocol.handle(RENDERER_SCHEME, async (request) => {
    const url = new URL(request.url);
    const file = normalize(join(root, decodeURIComponent(url.pathname)));
    if (url.host !== 'app' || !file.startsWith(root + sep)) return new Response('not found', { status: 404 });
    const res = await net.fetch(pathToFileURL(file).href);
    const headers = new Headers(res.headers);
    headers.set('Content-Security-Policy', CONTENT_SECURITY_POLICY);
    if (file.endsWith('.js')) headers.set('Content-Type', 'text/javascript; charset=utf-8');
    return new Response(res.body, { status: res.status, headers });
  });
}
