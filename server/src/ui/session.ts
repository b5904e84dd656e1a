/**
 * @module Web UI security: the session cookie (HttpOnly, SameSite=Strict, path /ui, Secure
 * over HTTPS), sign-in redirects, CSRF checks on every POST (same-origin request and a
 * token derived from the session), scope checks, and the security headers of every UI
 * response, with a Content-Security-Policy that allows only our own script and style.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { hasScope, type Scope } from '../domain/token.js';
import type { AppEnv } from '../http/env.js';
import type { UiContext } from './context.js';
import { checkCsrfToken, csrfTokenFor, resolveUiSession, UI_SESSION_TTL_MS, UI_READ_SCOPE_MESSAGE, type UiSessionDeps } from '../services/ui-sessions.js';
import { signInPageHtml } from './pages/sign-in.js';

export const SESSION_COOKIE = 'sightline_session';

export interface UiEnv {
  Variables: AppEnv['Variables'] & { ui: UiContext };
}

export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

export const securityHeaders: MiddlewareHandler = async (c, next) => {
  await next();
  c.header('Content-Security-Policy', CONTENT_SECURITY_POLICY);
  c.header('X-Content-Type-Options', 'nosniff');
  c.header('X-Frame-Options', 'DENY');
  c.header('Referrer-Policy', 'same-origin');
  if (!c.res.headers.has('Cache-Control')) c.header('Cache-Control', 'no-store');
};

const isHttps = (c: Context) => new URL(c.req.url).protocol === 'https:' || c.req.header('x-forwarded-proto') === 'https';

export function setSessionCookie(c: Context, sessionId: string): void {
  setCookie(c, SESSION_COOKIE, sessionId, { httpOnly: true, sameSite: 'Strict', path: '/ui', secure: isHttps(c), maxAge: Math.floor(UI_SESSION_TTL_MS / 1000) });
}

export function clearSessionCookie(c: Context): void {
  deleteCookie(c, SESSION_COOKIE, { path: '/ui', secure: isHttps(c), httpOnly: true, sameSite: 'Strict' });
}

/**
 * A POST must come from one of our own pages: browsers send `Sec-Fetch-Site` and `Origin`
 * on form posts, and a cross-site one is refused whatever cookie it carries.
 */
export function isSameOriginPost(c: Context): boolean {
  const site = c.req.header('sec-fetch-site');
  if (site && site !== 'same-origin') return false;
  const origin = c.req.header('origin');
  if (origin) {
    // The request URL's host is the Host header the browser sent.
    const host = new URL(c.req.url).host;
    try {
      if (new URL(origin).host !== host) return false;
    } catch {
      return false;
    }
  }
  return true;
}

/** Only paths inside the UI are followed after sign-in (no open redirect). */
export function safeNext(next: string | undefined): string {
  return next && /^\/ui\/[^/\\]/.test(next) && !next.startsWith('/ui/sign-') ? next : '/ui/incidents';
}

/**
 * Every UI route but sign-in and static files: a live session, or a redirect to sign-in
 * (401 for the live-refresh fragments, which the script turns into that redirect).
 * The session's token needs `needed` (every page shows data the API serves to `read`
 * only): without it, 403 and the sign-in form saying why. POSTs also need a valid CSRF
 * token, from the same origin.
 */
export function requireUiSession(deps: UiSessionDeps, needed: Scope | null = 'read'): MiddlewareHandler<UiEnv> {
  return async (c, next) => {
    const sessionId = getCookie(c, SESSION_COOKIE);
    const principal = sessionId ? await resolveUiSession(deps, sessionId) : null;
    if (!sessionId || !principal) {
      if (sessionId) clearSessionCookie(c);
      if (c.req.method === 'GET' && !c.req.path.endsWith('/live')) {
        const url = new URL(c.req.url);
        return c.redirect(`/ui/sign-in?next=${encodeURIComponent(url.pathname + url.search)}`, 303);
      }
      return c.text('Your session has ended: sign in again.', 401);
    }
    if (needed && !hasScope(principal.scopes, needed)) {
      if (c.req.path.endsWith('/live')) return c.text(UI_READ_SCOPE_MESSAGE, 403);
      const url = new URL(c.req.url);
      return c.html(signInPageHtml({ next: safeNext(url.pathname + url.search), error: UI_READ_SCOPE_MESSAGE }), 403);
    }
    const ui: UiContext = { principal, sessionId, csrf: csrfTokenFor(sessionId), canWrite: hasScope(principal.scopes, 'write') };
    if (c.req.method === 'POST') {
      if (!isSameOriginPost(c)) return c.text('Cross-site request refused.', 403);
      const contentType = c.req.header('content-type') ?? '';
      if (!/^application\/x-www-form-urlencoded|^multipart\/form-data/i.test(contentType)) return c.text('Expected a form submission.', 415);
      const form = await c.req.parseBody();
      const presented = typeof form._csrf === 'string' ? form._csrf : undefined;
      if (!checkCsrfToken(sessionId, presented)) return c.text('The form has expired or did not come from this site: reload the page and try again.', 403);
    }
    c.set('ui', ui);
    await next();
  };
}
