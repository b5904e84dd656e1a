/**
 * The on-call pages through the real app on both databases: silences (drafted from an alert,
 * the API's RE2 and duration rules, write scope, expire), assignment, an alert's links only
 * when they are http(s), the list's search and time range, and the self-refreshing fragments.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeNativeAlert } from '../helpers/fixtures.js';
import { dialects, startTestServer, type TestServer } from '../helpers/runtime.js';

const ORIGIN = 'http://sightline.test';
const SAME_ORIGIN = { origin: ORIGIN, 'sec-fetch-site': 'same-origin' };

describe.each(dialects())('on-call pages on %s', (dialect) => {
  let s: TestServer;
  let incidentId: number;
  let alertId: number;
  let writer: { cookie: string; csrf: string };
  let reader: { cookie: string; csrf: string };

  const get = (path: string, cookie: string) => s.runtime.app.request(`${ORIGIN}${path}`, { headers: { cookie } });
  const post = (path: string, form: Record<string, string>, session: { cookie: string; csrf: string }) =>
    s.runtime.app.request(`${ORIGIN}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: session.cookie, ...SAME_ORIGIN },
      body: new URLSearchParams({ _csrf: session.csrf, ...form }).toString(),
    });
  async function signIn(token: string) {
    const res = await s.runtime.app.request(`${ORIGIN}/ui/sign-in`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...SAME_ORIGIN }, body: new URLSearchParams({ token }).toString() });
    const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0] as string;
    const page = await (await get('/ui/incidents', cookie)).text();
    return { cookie, csrf: /name="_csrf" value="([^"]+)"/.exec(page)?.[1] as string };
  }

  beforeAll(async () => {
    s = await startTestServer(dialect);
    const alert = makeNativeAlert({
      labels: { alertname: 'TlsHandshakeErrors', service: 'edge', instance: 'lb-7:9100', team: 'netops', severity: 'critical' },
      annotations: { summary: 'TLS handshakes failing on lb-7', runbook_url: 'javascript:alert(document.cookie)', description: '<script>alert(1)</script>' },
      generatorURL: 'data:text/html,<script>alert(1)</script>',
    });
    expect((await s.request('POST', '/api/v1/alerts', { token: s.tokens.ingest, json: { alerts: [alert] } })).status).toBe(200);
    await s.settle();
    const detail = (await (await s.request('GET', '/api/v1/incidents?q=TlsHandshakeErrors', { token: s.tokens.read })).json()) as { items: { id: number }[] };
    incidentId = detail.items[0]?.id as number;
    alertId = ((await (await s.request('GET', `/api/v1/incidents/${incidentId}`, { token: s.tokens.read })).json()) as { alerts: { id: number }[] }).alerts[0]?.id as number;
    writer = await signIn(s.tokens.write);
    reader = await signIn(s.tokens.read);
  });
  afterAll(async () => s?.close());

  it('shows labels and annotations as text, and links only http(s) URLs', async () => {
    const html = await (await get(`/ui/incidents/${incidentId}`, writer.cookie)).text();
    expect(html).toContain('netops');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toContain('<script>alert(1)');
    expect(html).not.toMatch(/href="(javascript:|data:text)/i);
    expect(html).not.toContain('data-link="runbook"');
    expect(html).not.toContain('data-link="source"');
    expect(html).toContain(`href="/ui/silences?alert=${alertId}#new-silence"`);
    // A read-only session gets no silence link and no assign form.
    const readOnly = await (await get(`/ui/incidents/${incidentId}`, reader.cookie)).text();
    expect(readOnly).not.toContain('data-link="silence"');
    expect(readOnly).not.toContain(`/ui/incidents/${incidentId}/assign`);
  });

  it('drafts a silence from the alert, creates it through the API rules, and expires it', async () => {
    const draft = await (await get(`/ui/silences?alert=${alertId}`, writer.cookie)).text();
    expect(draft).toContain('alertname=&quot;TlsHandshakeErrors&quot;');
    expect(draft).toContain('team=&quot;netops&quot;');
    expect((await get('/ui/silences?alert=99999999', writer.cookie)).status).toBe(404);

    const form = { matchers: 'alertname="TlsHandshakeErrors"\nteam=~"net.*"', kind: 'silence', startsAt: '', duration: '2h', endsAt: '', comment: 'cert rollout' };
    const refused: [Record<string, string>, RegExp][] = [
      [{ matchers: 'team=~"(a)\\1"' }, /invalid silence: matchers\.0\.value: invalid regular expression .*RE2/],
      [{ matchers: 'no operator here' }, /invalid silence: matchers: line 1: expected name=/],
      [{ matchers: '' }, /invalid silence: matchers: at least one matcher is required/],
      [{ duration: 'soon' }, /invalid silence: duration: a duration such as 2h or 30m/],
      [{ comment: ' ' }, /invalid silence: comment: say why/],
      [{ endsAt: '2001-01-01T00:00' }, /invalid silence: endsAt must be after startsAt/],
      [{ startsAt: 'tomorrow' }, /invalid silence: startsAt: /],
    ];
    for (const [change, message] of refused) {
      const res = await post('/ui/silences', { ...form, ...change }, writer);
      expect(res.status, JSON.stringify(change)).toBe(400);
      expect((await res.text()).replace(/&quot;/g, '"')).toMatch(message);
    }
    const denied = await post('/ui/silences', form, reader);
    expect(denied.status).toBe(403);
    expect(await denied.text()).toContain('lacks the write scope');
    expect(((await (await s.request('GET', '/api/v1/silences', { token: s.tokens.read })).json()) as { items: unknown[] }).items).toEqual([]);

    const created = await post('/ui/silences', form, writer);
    expect(created.status).toBe(303);
    expect(created.headers.get('location')).toBe('/ui/silences?done=created');
    const [silence] = ((await (await s.request('GET', '/api/v1/silences', { token: s.tokens.read })).json()) as { items: { id: string; state: string; createdBy: string; comment: string; matchers: unknown[] }[] }).items;
    expect(silence).toMatchObject({ state: 'active', createdBy: 'test-write', comment: 'cert rollout', matchers: [{ name: 'alertname', value: 'TlsHandshakeErrors', isRegex: false }, { name: 'team', value: 'net.*', isRegex: true }] });
    const listed = await (await get('/ui/silences', reader.cookie)).text();
    expect(listed).toContain(`data-silence="${silence?.id}"`);
    expect(listed).not.toContain('/expire');

    expect((await post(`/ui/silences/${silence?.id}/expire`, {}, reader)).status).toBe(403);
    const expired = await post(`/ui/silences/${silence?.id}/expire`, {}, writer);
    expect(expired.status).toBe(303);
    expect(((await (await s.request('GET', '/api/v1/silences', { token: s.tokens.read })).json()) as { items: { state: string }[] }).items[0]?.state).toBe('expired');
    const again = await post(`/ui/silences/${silence?.id}/expire`, {}, writer);
    expect(again.status).toBe(409);
    expect((await post('/ui/silences/no-such-silence/expire', {}, writer)).status).toBe(404);
  });

  it('assigns from the incident page and records it on the timeline', async () => {
    expect((await post(`/ui/incidents/${incidentId}/assign`, { assignee: 'test-read' }, reader)).status).toBe(403);
    const tooLong = await post(`/ui/incidents/${incidentId}/assign`, { assignee: 'x'.repeat(257) }, writer);
    expect(tooLong.status).toBe(400);
    expect(await tooLong.text()).toContain('assignee: an assignee has at most 256 characters');
    const assigned = await post(`/ui/incidents/${incidentId}/assign`, { assignee: ' carol ' }, writer);
    expect(assigned.status).toBe(303);
    expect(assigned.headers.get('location')).toBe(`/ui/incidents/${incidentId}?done=assign`);
    const unassigned = await post(`/ui/incidents/${incidentId}/assign`, { assignee: '' }, writer);
    expect(unassigned.status).toBe(303);
    const api = (await (await s.request('GET', `/api/v1/incidents/${incidentId}`, { token: s.tokens.read })).json()) as { assignee: string | null; timeline: { kind: string; message: string }[] };
    expect(api.assignee).toBeNull();
    expect(api.timeline.filter((t) => t.kind === 'updated').map((t) => t.message)).toEqual(['assigned to carol by test-write', 'unassigned by test-write']);
  });

  it('searches the list and filters it by time; a bad time is named, not a crash', async () => {
    const hit = await (await get('/ui/incidents?status=all&q=team%3Dnetops', reader.cookie)).text();
    expect(hit).toContain(`data-incident="${incidentId}"`);
    const miss = await (await get('/ui/incidents?status=all&q=team%3Dnobody', reader.cookie)).text();
    expect(miss).not.toContain('data-incident=');
    const live = await (await get('/ui/incidents/live?status=all&q=netops&from=2000-01-01T00:00', reader.cookie)).text();
    expect(live).toContain(`data-incident="${incidentId}"`);
    const late = await (await get('/ui/incidents/live?status=all&from=2999-01-01T00:00', reader.cookie)).text();
    expect(late).not.toContain('data-incident=');
    const bad = await get('/ui/incidents?status=all&from=yesterday&to=2000-01-01T00:00', reader.cookie);
    expect(bad.status).toBe(400);
    const text = await bad.text();
    expect(text).toContain('Opened from: expected a date and time such as 2026-11-21T04:00');
    // The valid bound still applies, and the form keeps it.
    expect(text).toContain('value="2000-01-01T00:00"');
    expect(text).not.toContain('data-incident=');
  });

  it('serves the incident, SLA and agents pages as self-refreshing regions', async () => {
    for (const [pagePath, live] of [
      [`/ui/incidents/${incidentId}`, `/ui/incidents/${incidentId}/live`],
      ['/ui/sla', '/ui/sla/live?period=0'],
      ['/ui/agents', '/ui/agents/live'],
    ] as const) {
      const html = await (await get(pagePath, reader.cookie)).text();
      expect(html, pagePath).toContain(`data-live="${live}"`);
      const fragment = await get(live, reader.cookie);
      expect(fragment.status, live).toBe(200);
      const body = await fragment.text();
      expect(body).not.toContain('<html');
      expect(body.length).toBeGreaterThan(0);
    }
    expect(await (await get(`/ui/incidents/${incidentId}/live`, reader.cookie)).text()).toContain('TlsHandshakeErrors');
    expect((await get('/ui/incidents/99999999/live', reader.cookie)).status).toBe(404);
  });
});
