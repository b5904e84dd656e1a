/**
 * Every route of the app, enumerated from the app itself: 401 without a token, 403 with a
 * token that lacks the route's scope, and not 401/403 with the right one. A new route
 * must be classified here, or this test fails.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/runtime.js';

const OPEN = new Set(['GET /', 'GET /healthz', 'GET /readyz', 'GET /metrics']);
/** Authenticated by the sender's signature, not a token (changes-intake.test.ts): refused without one, whatever the token. */
const SIGNED = new Set(['POST /api/v1/changes/github']);

function scopeOf(method: string, path: string): 'ingest' | 'read' | 'write' | 'admin' {
  if (path.startsWith('/api/v1/tokens')) return 'admin';
  // The MCP server is read-only: every method on it needs `read` (its requests are POSTs).
  if (path === '/mcp') return 'read';
  if (method === 'POST' && (path === '/api/v1/agents/heartbeat' || path === '/v2/enqueue' || path === '/v2/change/enqueue' || path === '/api/v1/changes/argocd' || path === '/v1/metrics' || path === '/api/v2/alerts' || path.startsWith('/api/v1/alerts'))) return 'ingest';
  return method === 'GET' ? 'read' : 'write';
}

describe('authorisation on every route', () => {
  let s: TestServer;
  let tokens: Record<'ingest' | 'read' | 'write', string>;
  beforeAll(async () => {
    s = await startTestServer('sqlite');
    tokens = { ingest: s.tokens.ingest, read: s.tokens.read, write: (await createOnly(s, 'write')) };
  });
  afterAll(async () => s?.close());

  async function createOnly(server: TestServer, scope: string) {
    const res = await server.request('POST', '/api/v1/tokens', { json: { name: `only-${scope}`, scopes: [scope] } });
    return ((await res.json()) as { token: string }).token;
  }

  it('covers every route', async () => {
    const routes = s.runtime.app.routes.filter((r) => r.method !== 'ALL').map((r) => ({ method: r.method, path: r.path }));
    // Web UI routes authenticate with a session cookie instead: ui-auth.test.ts covers them.
    const unique = [...new Map(routes.map((r) => [`${r.method} ${r.path}`, r])).values()].filter((r) => r.path !== '/ui' && !r.path.startsWith('/ui/'));
    expect(unique.length).toBeGreaterThan(15);
    const checked: string[] = [];
    for (const { method, path } of unique) {
      const key = `${method} ${path}`;
      if (OPEN.has(key)) continue;
      const url = path.replace(/:[A-Za-z]+/g, '1');
      if (SIGNED.has(key)) {
        for (const token of [null, s.tokens.admin]) expect([401, 403], `${key} unsigned`).toContain((await s.request(method, url, { token, json: {} })).status);
        checked.push(key);
        continue;
      }
      const needed = scopeOf(method, path);
      const none = await s.request(method, url, { token: null, json: method === 'GET' ? undefined : {} });
      expect(none.status, `${key} without a token`).toBe(401);
      for (const [scope, token] of Object.entries(tokens)) {
        const res = await s.request(method, url, { token, json: method === 'GET' ? undefined : {} });
        if (scope === needed) expect([401, 403], `${key} with ${scope}`).not.toContain(res.status);
        else expect(res.status, `${key} with the ${scope} scope (needs ${needed})`).toBe(403);
      }
      const admin = await s.request(method, url, { token: s.tokens.admin, json: method === 'GET' ? undefined : {} });
      expect([401, 403], `${key} with admin`).not.toContain(admin.status);
      checked.push(key);
    }
    expect(checked.length).toBe(unique.length - [...OPEN].filter((k) => unique.some((r) => `${r.method} ${r.path}` === k)).length);
  });

  it('never answers 5xx to an empty or bodiless request on any route', async () => {
    for (const r of s.runtime.app.routes.filter((x) => x.method !== 'ALL')) {
      const url = r.path.replace(/:[A-Za-z]+/g, '1');
      const res = r.method === 'GET' ? await s.request('GET', url, { token: s.tokens.admin }) : await s.request(r.method, url, { token: s.tokens.admin, body: '', headers: { 'content-type': 'application/json' } });
      expect(res.status, `${r.method} ${r.path}`).toBeLessThan(500);
    }
  });
});
