/**
 * Problem candidates rank by impact on each database: three P1 outages of a tier-1 service
 * with an SLA policy outrank eight low-priority nuisances on a service without one, and the
 * candidate carries the SLA downtime its incidents caused (not the time they were open) and
 * every input of its score; the UI shows the ranking's inputs and links the problem made from it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeNativeAlert } from '../helpers/fixtures.js';
import { dialects, startTestServer, T0, type TestServer } from '../helpers/runtime.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const iso = (ms: number) => new Date(ms).toISOString();

const YAML = `
services:
  - name: ledger
    tier: 1
    sla: { objective: "99.9", period: month, timeZone: UTC }
  - name: intranet
    tier: 3
`;

describe.each(dialects())('problem candidates ranked by impact on %s', (dialect) => {
  let s: TestServer;
  let serial = 0;
  beforeAll(async () => {
    s = await startTestServer(dialect, {}, YAML);
  });
  afterAll(async () => s?.close());

  async function episode(alertname: string, service: string, severity: string, at: number, lastsMs: number, summary: string) {
    const n = ++serial;
    const alert = makeNativeAlert({ labels: { alertname, service, severity, instance: `host-${n}:9100` }, annotations: { summary }, startsAt: iso(at) });
    for (const [a, now] of [
      [alert, at],
      [{ ...alert, status: 'resolved', endsAt: iso(at + lastsMs) }, at + lastsMs],
    ] as const) {
      s.clock.set(now);
      expect((await s.request('POST', '/api/v1/alerts', { token: s.tokens.ingest, json: { alerts: [a] } })).status).toBe(200);
      await s.settle();
    }
  }

  it('puts three P1 outages with SLA downtime above eight low-priority nuisances, with the inputs shown', async () => {
    const start = T0 - 20 * DAY;
    for (let i = 0; i < 8; i++) await episode('IntranetSlow', 'intranet', 'warning', start + i * 2 * DAY, 2 * HOUR, `intranet page took ${3 + i}s on kiosk-${i}`);
    for (let i = 0; i < 3; i++) await episode('LedgerDatabaseDown', 'ledger', 'critical', start + i * 5 * DAY + HOUR, 45 * MIN, `ledger database on db-${i} refuses connections`);
    s.clock.set(T0);
    await s.settle();
    expect((await s.request('POST', '/api/v1/problem-candidates/refresh', { token: s.tokens.write })).status).toBe(200);

    const { items } = (await (await s.request('GET', '/api/v1/problem-candidates', { token: s.tokens.read })).json()) as { items: any[] };
    expect(items.map((c) => c.alertname)).toEqual(['LedgerDatabaseDown', 'IntranetSlow']);
    const [ledger, intranet] = items;
    expect(ledger).toMatchObject({
      count: 3,
      totalDowntimeSeconds: 3 * 45 * 60,
      impact: { incidentsByPriority: { P1: 3 }, downtimeSeconds: 3 * 45 * 60, services: 1, recentIncidents: 3, earlierIncidents: 0, trend: 1 },
      // 3 P1 pages (30) + 2 h 15 min of SLA downtime (135); 20 days of history: no trend yet.
    });
    expect(ledger.impact.score).toBe(165);
    expect(ledger.name).toMatch(/^LedgerDatabaseDown: .* · ledger$/);
    // Open for 16 hours in all, but on a service without a policy: no SLA downtime.
    expect(intranet).toMatchObject({ count: 8, totalDowntimeSeconds: 0, impact: { downtimeSeconds: 0 } });
    expect(intranet.impact.incidentsByPriority.P1 ?? 0).toBe(0);
    expect(ledger.impact.score).toBeGreaterThan(intranet.impact.score);

    // The UI lists the same order with the score's inputs, and links the problem once promoted.
    const promoted = await s.request('POST', `/api/v1/problem-candidates/${ledger.id}/promote`, { token: s.tokens.write, json: { title: 'Ledger database refuses connections' } });
    expect(promoted.status).toBe(201);
    const problemId = ((await promoted.json()) as { problem: { id: number } }).problem.id;
    const ORIGIN = 'http://sightline.test';
    const signIn = await s.runtime.app.request(`${ORIGIN}/ui/sign-in`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', origin: ORIGIN }, body: new URLSearchParams({ token: s.tokens.read }).toString() });
    const cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0] as string;
    const page = await (await s.runtime.app.request(`${ORIGIN}/ui/problems/candidates?state=all`, { headers: { cookie } })).text();
    expect(page.indexOf('LedgerDatabaseDown')).toBeGreaterThan(-1);
    expect(page.indexOf('LedgerDatabaseDown')).toBeLessThan(page.indexOf('IntranetSlow'));
    expect(page).toContain('3×P1 · 2 h 15 min SLA downtime');
    expect(page).toContain(`href="/ui/problems/${problemId}"`);
  });
});
