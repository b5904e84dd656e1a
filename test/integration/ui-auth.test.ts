/**
 * The web UI's security and pages through the real app on both databases: token sign-in
 * to an HttpOnly SameSite=Strict session whose id is stored only as a hash, CSRF and
 * same-origin checks on every POST, read versus write scope, revocation ending sessions,
 * the Content-Security-Policy, and every page rendering real data.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeNativeAlert } from '../helpers/fixtures.js';
import { dialects, startTestServer, type TestServer } from '../helpers/runtime.js';

const ORIGIN = 'http://sightline.test';

const YAML = `
services:
  - name: checkout
    tier: 1
    dependsOn: [payments]
    sla: { objective: "99.9", period: month, timeZone: UTC }
  - { name: payments, tier: 1 }
`;

describe.each(dialects())('web UI on %s', (dialect) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer(dialect, {}, YAML);
    await s.request('POST', '/api/v1/alerts', { token: s.tokens.ingest, json: { alerts: [makeNativeAlert({ labels: { alertname: 'HighLatency', service: 'checkout', severity: 'critical' } })] } });
    await s.settle();
  });
  afterAll(async () => s?.close());

  const get = (path: string, cookie?: string, headers: Record<string, string> = {}) =>
    s.runtime.app.request(`${ORIGIN}${path}`, { headers: { ...(cookie ? { cookie } : {}), ...headers } });
  const post = (path: string, form: Record<string, string>, cookie?: string, headers: Record<string, string> = { origin: ORIGIN, 'sec-fetch-site': 'same-origin' }) =>
    s.runtime.app.request(`${ORIGIN}${path}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...(cookie ? { cookie } : {}), ...headers }, body: new URLSearchParams(form).toString() });

  async function signIn(token: string): Promise<{ cookie: string; csrf: string; setCookie: string }> {
    const res = await post('/ui/sign-in', { token, next: '/ui/incidents' });
    expect(res.status).toBe(303);
    const setCookie = res.headers.get('set-cookie') ?? '';
    const cookie = setCookie.split(';')[0] as string;
    const page = await (await get('/ui/incidents', cookie)).text();
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page)?.[1] as string;
    expect(csrf).toBeTruthy();
    return { cookie, csrf, setCookie };
  }

  it('sends browsers to the UI and API clients to the JSON index', async () => {
    const browser = await get('/', undefined, { accept: 'text/html,application/xhtml+xml' });
    expect(browser.status).toBe(303);
    expect(browser.headers.get('location')).toBe('/ui/incidents');
    const api = await get('/', undefined, { accept: 'application/json' });
    expect(api.status).toBe(200);
    expect(((await api.json()) as { name: string }).name).toBe('sightline');
  });

  it('redirects to sign-in without a session and refuses a wrong token', async () => {
    const res = await get('/ui/incidents?status=all');
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/ui/sign-in?next=%2Fui%2Fincidents%3Fstatus%3Dall');
    expect((await get('/ui/incidents/live')).status).toBe(401);
    const wrong = await post('/ui/sign-in', { token: 'sl_not-a-token' });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('set-cookie')).toBeNull();
    expect(await wrong.text()).toContain('unknown, expired or revoked token');
    const ingestOnly = await post('/ui/sign-in', { token: s.tokens.ingest });
    expect(ingestOnly.status).toBe(403);
  });

  it('opens an HttpOnly SameSite=Strict session that stores only a hash, never the token', async () => {
    const { cookie, setCookie } = await signIn(s.tokens.write);
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Strict/i);
    expect(setCookie).toMatch(/Path=\/ui/);
    expect(setCookie).not.toContain(s.tokens.write);
    const sessionId = cookie.split('=')[1] as string;
    const rows = await s.runtime.handle.db.selectFrom('ui_sessions').selectAll().execute();
    expect(rows.some((r) => r.id_hash === createHash('sha256').update(sessionId).digest('hex'))).toBe(true);
    expect(JSON.stringify(rows)).not.toContain(sessionId);
    expect(JSON.stringify(rows)).not.toContain(s.tokens.write);
  });

  it('sets a strict Content-Security-Policy and serves its own script and style', async () => {
    const { cookie } = await signIn(s.tokens.read);
    const res = await get('/ui/incidents', cookie);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toContain('unsafe-inline');
    const html = await res.text();
    expect(html).not.toMatch(/<script>|<script [^>]*>[^<]+<\/script>|style="/);
    const js = /src="(\/ui\/static\/app\.js\?v=[0-9a-f]+)"/.exec(html)?.[1] as string;
    const script = await get(js);
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toContain('javascript');
  });

  it('renders every page with real data', async () => {
    const { cookie } = await signIn(s.tokens.read);
    const list = await (await get('/ui/incidents', cookie)).text();
    expect(list).toContain('HighLatency');
    const id = /data-incident="(\d+)"/.exec(list)?.[1] as string;
    const detail = await get(`/ui/incidents/${id}`, cookie);
    expect(detail.status).toBe(200);
    const detailHtml = await detail.text();
    expect(detailHtml).toContain('Why it joined');
    expect(detailHtml).toContain('No response or resolution target is agreed for this incident'); // checkout's policy agrees an objective only
    const live = await (await get('/ui/incidents/live?priority=P1', cookie)).text();
    expect(live).toContain('<tbody>');
    for (const path of ['/ui/sla', '/ui/sla?period=1', '/ui/capacity', '/ui/agents', '/ui/services', '/ui/oncall']) {
      const res = await get(path, cookie);
      expect(res.status, path).toBe(200);
    }
    expect(await (await get('/ui/sla', cookie)).text()).toContain('checkout');
    expect(await (await get('/ui/services', cookie)).text()).toContain('Service dependency graph');
    const csv = await get('/ui/sla.csv', cookie);
    expect(csv.headers.get('content-type')).toContain('text/csv');
    expect((await csv.text()).split('\r\n')[1]).toMatch(/^checkout,/);
    expect((await get('/ui/incidents/999999', cookie)).status).toBe(404);
    for (const cursor of ['zzzz', 'x'.repeat(200)]) expect((await get(`/ui/incidents?cursor=${cursor}&status=bogus&priority=P9`, cookie)).status).toBe(200);
    // A NUL anywhere in a URL is refused before any page runs (PostgreSQL text cannot hold it).
    expect((await get('/ui/incidents?cursor=%00', cookie)).status).toBe(400);
    const older = await (await get(`/ui/incidents?status=all&cursor=${Buffer.from(String(Number(id) + 1)).toString('base64url')}`, cookie)).text();
    expect(older).toContain(`data-incident="${id}"`);
    expect(older).toContain('>newest</a>');
    expect((await get('/ui/capacity/nowhere', cookie)).status).toBe(404);
  });

  it('lets a read-only session look but not act: no buttons, POST 403', async () => {
    const { cookie, csrf } = await signIn(s.tokens.read);
    const list = await (await get('/ui/incidents', cookie)).text();
    const id = /data-incident="(\d+)"/.exec(list)?.[1] as string;
    const html = await (await get(`/ui/incidents/${id}`, cookie)).text();
    expect(html).not.toContain('data-action="acknowledge"');
    const res = await post(`/ui/incidents/${id}/actions/acknowledge`, { _csrf: csrf }, cookie);
    expect(res.status).toBe(403);
    const after = (await (await s.request('GET', `/api/v1/incidents/${id}`)).json()) as { status: string };
    expect(after.status).toBe('open');
  });

  it('refuses POSTs without the CSRF token or from another site, and acts with both', async () => {
    const { cookie, csrf } = await signIn(s.tokens.write);
    const list = await (await get('/ui/incidents', cookie)).text();
    const id = /data-incident="(\d+)"/.exec(list)?.[1] as string;
    expect((await post(`/ui/incidents/${id}/actions/acknowledge`, {}, cookie)).status).toBe(403);
    expect((await post(`/ui/incidents/${id}/actions/acknowledge`, { _csrf: 'x'.repeat(43) }, cookie)).status).toBe(403);
    expect((await post(`/ui/incidents/${id}/actions/acknowledge`, { _csrf: csrf }, cookie, { origin: 'https://evil.example' })).status).toBe(403);
    expect((await post(`/ui/incidents/${id}/actions/acknowledge`, { _csrf: csrf }, cookie, { 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    expect(((await (await s.request('GET', `/api/v1/incidents/${id}`)).json()) as { status: string }).status).toBe('open');

    const ack = await post(`/ui/incidents/${id}/actions/acknowledge`, { _csrf: csrf }, cookie);
    expect(ack.status).toBe(303);
    expect(((await (await s.request('GET', `/api/v1/incidents/${id}`)).json()) as { status: string }).status).toBe('acknowledged');
    // Acknowledging twice is a conflict, explained on the page.
    const again = await post(`/ui/incidents/${id}/actions/acknowledge`, { _csrf: csrf }, cookie);
    expect(again.status).toBe(409);
    expect(await again.text()).toContain('cannot acknowledge an incident that is acknowledged');
    expect((await post(`/ui/incidents/${id}/notes`, { _csrf: csrf, text: 'looking at the database' }, cookie)).status).toBe(303);
    expect((await post(`/ui/incidents/${id}/priority`, { _csrf: csrf, priority: 'P2' }, cookie)).status).toBe(303);
    expect((await post(`/ui/incidents/${id}/priority`, { _csrf: csrf, priority: 'P9' }, cookie)).status).toBe(400);
    expect((await post(`/ui/incidents/${id}/merge`, { _csrf: csrf, into: 'abc' }, cookie)).status).toBe(400);
    const detail = (await (await s.request('GET', `/api/v1/incidents/${id}`)).json()) as { priority: string; timeline: { kind: string; message: string; actor: string }[] };
    expect(detail.priority).toBe('P2');
    expect(detail.timeline.some((t) => t.kind === 'note' && t.message === 'looking at the database' && t.actor === 'test-write')).toBe(true);
  });

  it('ends sessions at sign-out and when their token is revoked', async () => {
    const a = await signIn(s.tokens.read);
    expect((await post('/ui/sign-out', { _csrf: a.csrf }, a.cookie)).status).toBe(303);
    expect((await get('/ui/incidents', a.cookie)).status).toBe(303);

    const created = (await (await s.request('POST', '/api/v1/tokens', { json: { name: 'ui-revoked', scopes: ['read'] } })).json()) as { token: string };
    const b = await signIn(created.token);
    expect((await get('/ui/agents', b.cookie)).status).toBe(200);
    expect((await s.request('DELETE', '/api/v1/tokens/ui-revoked')).status).toBeLessThan(300);
    expect((await get('/ui/agents', b.cookie)).status).toBe(303);
  });

  it('follows only UI paths after sign-in', async () => {
    const res = await post('/ui/sign-in', { token: s.tokens.read, next: '//evil.example/x' });
    expect(res.headers.get('location')).toBe('/ui/incidents');
    const cross = await post('/ui/sign-in', { token: s.tokens.read }, undefined, { origin: 'https://evil.example' });
    expect(cross.status).toBe(403);
  });
});
