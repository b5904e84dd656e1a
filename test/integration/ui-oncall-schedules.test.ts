/**
 * The "On call" page through the real app on both databases: per schedule who is on call now
 * and next, and the shifts of the coming two weeks, names escaped, for a read-only session.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects, startTestServer, type TestServer } from '../helpers/runtime.js';

const ORIGIN = 'http://sightline.test';
const SAME_ORIGIN = { origin: ORIGIN, 'sec-fetch-site': 'same-origin' };

const CONFIG = `
oncall:
  users:
    - { name: alice, timeZone: Europe/Berlin }
    - { name: bob }
    - { name: carol }
  schedules:
    - name: payments
      description: "Payments <first line>"
      layers:
        - { name: primary, users: [alice, bob], start: "2026-11-16T09:00", timeZone: Europe/Berlin, handOff: weekly }
`;

describe.each(dialects())('on-call schedule page on %s', (dialect) => {
  let s: TestServer;
  let cookie: string;
  const get = (path: string, withCookie: string | null) => s.runtime.app.request(`${ORIGIN}${path}`, { headers: withCookie ? { cookie: withCookie } : {} });

  beforeAll(async () => {
    s = await startTestServer(dialect, {}, CONFIG);
    // Carol covers Tuesday 25 November, 08:00–20:00 UTC.
    const res = await s.request('POST', '/api/v1/schedules/payments/overrides', { token: s.tokens.write, json: { user: 'carol', from: '2026-11-25T08:00:00Z', to: '2026-11-25T20:00:00Z' } });
    expect(res.status).toBe(201);
    const signIn = await s.runtime.app.request(`${ORIGIN}/ui/sign-in`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...SAME_ORIGIN }, body: new URLSearchParams({ token: s.tokens.read }).toString() });
    cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0] as string;
  });
  afterAll(async () => s?.close());

  it('shows who is on call now and next, and two weeks of shifts', async () => {
    const res = await get('/ui/oncall', cookie);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('<a href="/ui/oncall" aria-current="page">On call</a>');
    expect(html).toContain('<h2 id="schedule-payments">payments</h2>');
    expect(html).toContain('Payments &lt;first line&gt;');
    expect(html).toMatch(/data-oncall="now"><strong>alice<\/strong>.*until 2026-11-23 08:00 UTC/);
    expect(html).toMatch(/data-oncall="next"><strong>bob<\/strong>.*from 2026-11-23 08:00 UTC/);
    const rows = [...html.matchAll(/<tr data-shift="?[^>]*>(.*?)<\/tr>/g)].map((m) => [...(m[1] as string).matchAll(/<td>(.*?)<\/td>/g)].map((c) => c[1]));
    // From now (Saturday 21 November, 04:00 UTC) for 14 days; the override splits bob's week.
    expect(rows).toEqual([
      ['alice', '2026-11-21 04:00 UTC', '2026-11-23 08:00 UTC', '2 d 4 h', 'primary'],
      ['bob', '2026-11-23 08:00 UTC', '2026-11-25 08:00 UTC', '2 d', 'primary'],
      ['carol', '2026-11-25 08:00 UTC', '2026-11-25 20:00 UTC', '12 h', 'override'],
      ['bob', '2026-11-25 20:00 UTC', '2026-11-30 08:00 UTC', '4 d 12 h', 'primary'],
      ['alice', '2026-11-30 08:00 UTC', '2026-12-05 04:00 UTC', '4 d 20 h', 'primary'],
    ]);
  });

  it('needs a session', async () => {
    const res = await get('/ui/oncall', null);
    expect([302, 303]).toContain(res.status);
    expect(res.headers.get('location')).toContain('/ui/sign-in');
  });
});
