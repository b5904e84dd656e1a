/**
 * The SLA page on each database: the budget outlook first, the period in the policy's time
 * zone, and each outage of the period with a link to the incident that caused it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeNativeAlert } from '../helpers/fixtures.js';
import { dialects, startTestServer, T0, type TestServer } from '../helpers/runtime.js';

const HOUR = 3_600_000;
const ORIGIN = 'http://sightline.test';
const iso = (ms: number) => new Date(ms).toISOString();

const YAML = `
services:
  - name: ledger
    tier: 1
    sla: { objective: "99.9", period: month, timeZone: Europe/Berlin }
`;

describe.each(dialects())('the SLA page on %s', (dialect) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer(dialect, {}, YAML);
  });
  afterAll(async () => s?.close());

  it('puts the budget outlook first, shows the period in the policy zone and links each outage to its incident', async () => {
    const alert = makeNativeAlert({ labels: { alertname: 'LedgerDown', service: 'ledger', severity: 'critical' }, annotations: { summary: 'ledger refuses connections' }, startsAt: iso(T0 - 3 * HOUR) });
    s.clock.set(T0 - 3 * HOUR);
    expect((await s.request('POST', '/api/v1/alerts', { token: s.tokens.ingest, json: { alerts: [alert] } })).status).toBe(200);
    await s.settle();
    s.clock.set(T0 - 2 * HOUR);
    expect((await s.request('POST', '/api/v1/alerts', { token: s.tokens.ingest, json: { alerts: [{ ...alert, status: 'resolved', endsAt: iso(T0 - 2 * HOUR) }] } })).status).toBe(200);
    await s.settle();
    s.clock.set(T0);
    await s.settle();
    const incident = ((await (await s.request('GET', '/api/v1/incidents?service=ledger&limit=1', { token: s.tokens.read })).json()) as { items: { id: number; priority: string }[] }).items[0];
    expect(incident?.priority).toBe('P1');

    const signIn = await s.runtime.app.request(`${ORIGIN}/ui/sign-in`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', origin: ORIGIN }, body: new URLSearchParams({ token: s.tokens.read }).toString() });
    const cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0] as string;
    const res = await s.runtime.app.request(`${ORIGIN}/ui/sla`, { headers: { cookie } });
    expect(res.status).toBe(200);
    const html = await res.text();
    const card = html.slice(html.indexOf('data-service="ledger"'));
    // 60 of 43.2 allowed minutes are spent: the outlook leads the card.
    expect(card.indexOf('Error budget exhausted')).toBeGreaterThan(-1);
    expect(card.indexOf('Error budget exhausted')).toBeLessThan(card.indexOf('Objective'));
    // The month starts at midnight in Berlin (23:00 UTC the day before).
    const monthStart = new Date(T0).toISOString().slice(0, 7);
    expect(card).toContain(`${monthStart}-01 00:00 Europe/Berlin`);
    expect(card).toContain('Outages in this period (Europe/Berlin)');
    expect(card).toMatch(new RegExp(`<a href="/ui/incidents/${incident?.id}">#${incident?.id} P1 LedgerDown`));
    expect(card).toContain('1 h');
  });
});
