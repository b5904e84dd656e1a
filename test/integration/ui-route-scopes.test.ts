/**
 * Every web UI route, enumerated from the app itself and called over real HTTP: a page asks
 * for the scope the API asks for the same data. A token with only the write scope cannot
 * sign in, and a session that carries only write (opened before this rule) gets 403 and the
 * sign-in form saying why on every page; read (or admin) sees every page. A new UI route
 * must be classified here, or this test fails.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertUiSession } from '../../server/src/db/ui-sessions-repo.js';
import type { Scope } from '../../server/src/domain/token.js';
import { csrfTokenFor } from '../../server/src/services/ui-sessions.js';
import { makeNativeAlert } from '../helpers/fixtures.js';
import { dialects, startTestServer, T0, type TestServer } from '../helpers/runtime.js';

/** Routes with no session at all. */
const OPEN = new Set(['GET /ui', 'GET /ui/static/:name', 'GET /ui/sign-in', 'POST /ui/sign-in']);
/** Routes that need a session but no scope. */
const SESSION_ONLY = new Set(['POST /ui/sign-out']);

describe.each(dialects())('web UI scopes on %s', (dialect) => {
  let s: TestServer;
  let server: ServerType;
  let base: string;
  let incidentId: string;
  const sessions: Partial<Record<'write' | 'read' | 'readWrite' | 'admin', string>> = {};

  beforeAll(async () => {
    s = await startTestServer(dialect, {}, 'services:\n  - { name: checkout, tier: 1 }\n');
    await s.request('POST', '/api/v1/alerts', { token: s.tokens.ingest, json: { alerts: [makeNativeAlert({ labels: { alertname: 'HighLatency', service: 'checkout' } })] } });
    await s.settle();
    incidentId = String(((await (await s.request('GET', '/api/v1/incidents')).json()) as { items: { id: number }[] }).items[0]?.id);
    server = serve({ fetch: s.runtime.app.fetch, port: 0, hostname: '127.0.0.1' });
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    sessions.read = await signIn(s.tokens.read);
    sessions.readWrite = await signIn(s.tokens.write);
    sessions.admin = await signIn(s.tokens.admin);
    sessions.write = await sessionOf('write-only', ['write']);
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    await s?.close();
  });

  const request = (method: string, path: string, sessionId?: string, form: Record<string, string> = {}) =>
    fetch(`${base}${path}`, {
      method,
      redirect: 'manual',
      headers: {
        ...(sessionId ? { cookie: `sightline_session=${sessionId}` } : {}),
        ...(method === 'POST' ? { 'content-type': 'application/x-www-form-urlencoded', origin: base, 'sec-fetch-site': 'same-origin' } : {}),
      },
      body: method === 'POST' ? new URLSearchParams({ ...(sessionId ? { _csrf: csrfTokenFor(sessionId) } : {}), ...form }).toString() : undefined,
    });

  async function signIn(token: string): Promise<string> {
    const res = await request('POST', '/ui/sign-in', undefined, { token, next: '/ui/incidents' });
    expect(res.status).toBe(303);
    return /sightline_session=([^;]+)/.exec(res.headers.get('set-cookie') ?? '')?.[1] as string;
  }

  /** A session row as sign-in stores it, for a token whose scopes sign-in no longer accepts. */
  async function sessionOf(name: string, scopes: Scope[]): Promise<string> {
    const created = (await (await s.request('POST', '/api/v1/tokens', { json: { name, scopes } })).json()) as { id: string };
    const sessionId = randomBytes(32).toString('base64url');
    const idHash = createHash('sha256').update(sessionId, 'utf8').digest('hex');
    await insertUiSession(s.runtime.handle.db, idHash, { tokenId: created.id, name, scopes, createdAt: T0, expiresAt: T0 + 3_600_000 });
    return sessionId;
  }

  it('refuses to sign in with a token that has only the write scope, saying why', async () => {
    const created = (await (await s.request('POST', '/api/v1/tokens', { json: { name: 'sign-in-write-only', scopes: ['write'] } })).json()) as { token: string };
    const res = await request('POST', '/ui/sign-in', undefined, { token: created.token, next: '/ui/sla' });
    expect(res.status).toBe(403);
    expect(res.headers.get('set-cookie')).toBeNull();
    expect(await res.text()).toContain('lacks the read scope');
    // The API refuses the same token the same data.
    expect((await s.request('GET', '/api/v1/incidents', { token: created.token })).status).toBe(403);
  });

  it('asks every UI route for the scope the API asks for the same data', async () => {
    const routes = [...new Set(s.runtime.app.routes.filter((r) => r.method !== 'ALL' && (r.path === '/ui' || r.path.startsWith('/ui/'))).map((r) => `${r.method} ${r.path}`))];
    expect(routes.length).toBeGreaterThan(15);
    let pages = 0;
    for (const key of routes) {
      if (OPEN.has(key)) continue;
      const [method, pattern] = key.split(' ') as [string, string];
      const path = pattern.replace(':id', incidentId).replace(/:[A-Za-z]+/g, 'x');
      if (SESSION_ONLY.has(key)) {
        expect((await request(method, path, await sessionOf(`write-only-${method}`, ['write']))).status, `${key} with a write-only session`).toBe(303);
        continue;
      }
      const refused = await request(method, path, sessions.write);
      expect(refused.status, `${key} with a write-only session`).toBe(403);
      const body = await refused.text();
      expect(body, key).toContain('lacks the read scope');
      expect(body, key).not.toContain('HighLatency');
      if (method === 'GET' && !path.endsWith('/live')) {
        // A clear page: the sign-in form, to sign in with a token that can read.
        expect(body, key).toContain('<form method="post" action="/ui/sign-in">');
        pages++;
      }
      const needed = method === 'GET' ? ['read', 'readWrite', 'admin'] : ['readWrite', 'admin'];
      for (const [who, sessionId] of Object.entries(sessions)) {
        if (who === 'write') continue;
        const res = await request(method, path, sessionId);
        if (needed.includes(who)) expect([401, 403], `${key} with a ${who} session`).not.toContain(res.status);
        // A read-only session may learn first that the thing it would change is not there.
        else expect([403, 404], `${key} with a ${who} session`).toContain(res.status);
      }
    }
    expect(pages).toBeGreaterThan(8);
  });
});
