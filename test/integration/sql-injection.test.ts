/**
 * SQL only through kysely with parameters: injection strings (quotes, statement breaks,
 * tautologies, comments, LIKE wildcards, unicode, NUL, very long strings) go through every
 * path parameter and every filter of every GET endpoint (the API, and the web UI with a
 * session), enumerated from the app itself, and through the string parameters of DELETE
 * endpoints. Answers are 200/400/404 (303 for UI redirects), never 5xx; afterwards every
 * table still exists and holds the same number of rows; wildcards and tautologies match
 * nothing.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeNativeAlert } from '../helpers/fixtures.js';
import { dialects, startTestServer, type TestServer } from '../helpers/runtime.js';

export const INJECTIONS = [
  "'",
  '"',
  "' or 1=1 --",
  '" or ""="',
  "1' or '1'='1",
  "1; drop table incidents; --",
  "'); drop table api_tokens; --",
  "x' union select token_hash, name from api_tokens --",
  '1 or 1=1',
  '%',
  '_',
  '%25%',
  'a%_b',
  '\\',
  "\\'; select pg_sleep(5); --",
  '\u0000',
  "checkout\u0000' or 1=1",
  'ünïcödé ☃ 𝔘 \u202e',
  '-1',
  '0',
  '9999999999999999999999999',
  '1e309',
  'NaN',
  'null',
  '[]',
  '{}',
  ' ',
  'x'.repeat(10_000),
  "'".repeat(5_000),
];

/** Already percent-encoded: invalid UTF-8 (a lone surrogate, 0xFF, an overlong quote) and a bare `%`. */
const RAW_ENCODED = ['%ED%A0%80', '%FF%FE', '%C0%A7', '%', '%2', '%00'];
const VALUES = [...INJECTIONS.map(encodeURIComponent), ...RAW_ENCODED];

const UI_ORIGIN = 'http://sightline.test';

/** Filters each known GET route takes (its own query schema). */
const KNOWN_FILTERS: Record<string, string[]> = {
  '/api/v1/incidents': ['status', 'priority', 'service', 'since', 'limit', 'cursor'],
  '/api/v1/stats': ['since', 'until'],
  '/api/v1/alerts': ['status', 'suppressed', 'limit'],
  '/api/v1/silences': ['state'],
  '/api/v1/problem-candidates': ['state', 'badge', 'inactive'],
  '/api/v1/problems': ['status', 'limit'],
  '/api/v1/incidents/:id/similar': ['limit'],
};
/** Tried on every other GET route, so filters of routes not listed above are covered too. */
const COMMON_FILTERS = ['status', 'service', 'host', 'state', 'since', 'until', 'limit', 'cursor', 'priority', 'period', 'q'];
/** String path parameters of routes that change data: a match would delete, so none may match. */
const DELETE_ROUTES = ['/api/v1/tokens/:idOrName', '/api/v1/silences/:id'];
/** POST-only endpoints whose GET is refused (405) before any query runs. */
const POST_ONLY = new Set(['/mcp']);

async function tableCounts(s: TestServer): Promise<Record<string, number>> {
  const db = s.runtime.handle.db;
  const tables =
    s.runtime.handle.dialect === 'postgres'
      ? (await sql<{ name: string }>`select table_name as name from information_schema.tables where table_schema = current_schema() and table_type = 'BASE TABLE'`.execute(db)).rows
      : (await sql<{ name: string }>`select name from sqlite_master where type = 'table' and name not like 'sqlite_%'`.execute(db)).rows;
  const counts: Record<string, number> = {};
  for (const { name } of tables) {
    const row = (await sql<{ n: number | string }>`select count(*) as n from ${sql.table(name)}`.execute(db)).rows[0];
    counts[name] = Number(row?.n);
  }
  return counts;
}

describe.each(dialects())('injection strings on %s', (dialect) => {
  let s: TestServer;
  let realParams: Record<string, string>;
  let uiCookie = '';
  beforeAll(async () => {
    s = await startTestServer(dialect);
    const alerts = [
      makeNativeAlert(),
      makeNativeAlert({ labels: { alertname: 'DiskFull', service: 'billing', host: 'db-1', severity: 'critical' } }),
    ];
    expect((await s.request('POST', '/api/v1/alerts', { token: s.tokens.ingest, json: { alerts } })).status).toBe(200);
    const hb = { agentId: 'agent-1', host: 'db-1', version: '1.0.0', sentAt: new Date(s.clock.now()).toISOString(), intervalSeconds: 30, checks: [] };
    expect((await s.request('POST', '/api/v1/agents/heartbeat', { token: s.tokens.ingest, json: hb })).status).toBe(200);
    expect((await s.request('PUT', '/api/v1/services/billing', { json: { tier: 1, owner: 'team-a', dependsOn: [], match: { labels: { service: 'billing' } } } })).status).toBe(200);
    const silence = await s.request('POST', '/api/v1/silences', { json: { matchers: [{ name: 'alertname', value: 'Nothing', isRegex: false }], duration: '1h', comment: 'seed' } });
    expect(silence.status).toBe(201);
    await s.settle();
    const incident = ((await (await s.request('GET', '/api/v1/incidents')).json()) as any).items[0];
    expect(incident).toBeDefined();
    realParams = { id: String(incident.id), agentId: 'agent-1', service: 'billing', host: 'db-1', name: 'billing', idOrName: 'test-read' };
    // The web UI's pages take a session cookie instead of a bearer token.
    const signIn = await s.runtime.app.request(`${UI_ORIGIN}/ui/sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: UI_ORIGIN, 'sec-fetch-site': 'same-origin' },
      body: new URLSearchParams({ token: s.tokens.admin, next: '/ui/incidents' }).toString(),
    });
    uiCookie = signIn.status === 303 ? (signIn.headers.get('set-cookie') ?? '').split(';')[0] ?? '' : '';
  });
  afterAll(async () => s?.close());

  it('answers 200/400/404 to every injection string in every path parameter and filter, and changes nothing', { timeout: 600_000 }, async () => {
    const before = await tableCounts(s);
    expect(Object.keys(before).length).toBeGreaterThan(5);
    const routes = [...new Map(s.runtime.app.routes.filter((r) => r.method === 'GET').map((r) => [r.path, r])).keys()];
    for (const known of Object.keys(KNOWN_FILTERS)) expect(routes, 'a known route disappeared').toContain(known);

    const tried = new Map<string, number>();
    const ui = (route: string) => route === '/ui' || route.startsWith('/ui/');
    if (routes.some(ui)) expect(uiCookie, 'signed in to the web UI').not.toBe('');
    const check = async (method: string, route: string, url: string) => {
      const res = ui(route)
        ? await s.runtime.app.request(`${UI_ORIGIN}${url}`, { method, headers: { cookie: uiCookie } })
        : await s.request(method, url, { token: s.tokens.admin });
      const text = await res.text();
      // The web UI answers some requests with a redirect (303), e.g. its index to the incident list.
      expect(ui(route) ? [200, 303, 400, 404] : POST_ONLY.has(route) ? [400, 405] : [200, 400, 404], `${method} ${url.slice(0, 200)} → ${res.status} ${text.slice(0, 300)}`).toContain(res.status);
      if (ui(route) && res.status === 303) expect(res.headers.get('location'), `${url} redirects to sign-in`).not.toMatch(/sign-in/);
      tried.set(`${method} ${route}`, (tried.get(`${method} ${route}`) ?? 0) + 1);
    };
    const fill = (route: string, override?: [string, string]) =>
      route.replace(/:([A-Za-z]+)/g, (_, name: string) => (override?.[0] === name ? override[1] : encodeURIComponent(realParams[name] ?? 'x')));

    for (const route of routes) {
      const params = [...route.matchAll(/:([A-Za-z]+)/g)].map((m) => m[1] as string);
      // Routes with a query schema refuse other names before any query runs (a test below checks one).
      const filters = KNOWN_FILTERS[route] ?? COMMON_FILTERS;
      for (const value of VALUES) {
        for (const p of params) await check('GET', route, fill(route, [p, value]));
        for (const f of filters) await check('GET', route, `${fill(route)}?${f}=${value}`);
        // Twice the same filter, and a filter whose name is the injection.
        await check('GET', route, `${fill(route)}?status=${value}&status=open`);
        await check('GET', route, `${fill(route)}?${value}=1`);
      }
    }
    for (const route of DELETE_ROUTES) {
      for (const value of VALUES) {
        const res = await s.request('DELETE', fill(route, [route.split(':')[1] as string, value]), { token: s.tokens.admin });
        expect([400, 404], `DELETE ${route} ${value.slice(0, 40)} → ${res.status}`).toContain(res.status);
        tried.set(`DELETE ${route}`, (tried.get(`DELETE ${route}`) ?? 0) + 1);
      }
    }
    console.log(`injection strings on ${dialect}: ${[...tried].map(([k, n]) => `${k} ${n}`).join(', ')}`);
    expect(tried.size).toBe(routes.length + DELETE_ROUTES.length);

    expect(await tableCounts(s)).toEqual(before);
    // The tokens still authenticate: no update slipped through.
    for (const token of Object.values(s.tokens)) expect((await s.request('GET', '/healthz', { token })).status).toBe(200);
    expect((await s.request('GET', '/api/v1/agents/agent-1', { token: s.tokens.read })).status).toBe(200);
  });

  it('treats wildcards and tautologies as plain values that match nothing', async () => {
    const count = async (url: string) => {
      const res = await s.request('GET', url, { token: s.tokens.read });
      expect(res.status, url).toBe(200);
      return ((await res.json()) as { items: unknown[] }).items.length;
    };
    expect(await count('/api/v1/incidents?service=billing')).toBe(1);
    const unknown = await s.request('GET', `/api/v1/incidents?host=${encodeURIComponent("' or 1=1 --")}`, { token: s.tokens.read });
    expect(unknown.status).toBe(400);
    for (const value of ['%', '_', 'bill%', 'b_lling', "billing' or 1=1 --", "x' or '1'='1"]) {
      expect(await count(`/api/v1/incidents?service=${encodeURIComponent(value)}`), value).toBe(0);
    }
    for (const value of ['%', 'agent_1', "agent-1' or '1'='1"]) {
      expect((await s.request('GET', `/api/v1/agents/${encodeURIComponent(value)}`, { token: s.tokens.read })).status, value).toBe(404);
    }
  });
});
