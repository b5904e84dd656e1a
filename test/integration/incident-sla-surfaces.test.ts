/**
 * One computation of an incident's response and resolution targets, shown by the API and the
 * incident page alike: with server-wide targets and a service without a policy of its own,
 * both apply the server-wide target; with the service's own policy, both apply that.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeNativeAlert } from '../helpers/fixtures.js';
import { dialects, startTestServer, T0, type TestServer } from '../helpers/runtime.js';

const ORIGIN = 'http://sightline.test';
const MIN = 60_000;

const YAML = `
sla:
  targets:
    P1: { respond: 15m, resolve: 2h }
    P4: { respond: 1h, resolve: 8h }
services:
  - { name: search, tier: 3 }
  - name: ledger
    tier: 1
    sla: { objective: "99.9", period: month, targets: { P1: { respond: 20m, resolve: 4h } } }
`;

interface ApiSla {
  priority: string;
  source: 'service' | 'global';
  response: { targetSeconds: number; percentElapsed: number } | null;
  resolution: { targetSeconds: number; percentElapsed: number } | null;
}

describe.each(dialects())('incident SLA targets on the API and the incident page on %s', (dialect) => {
  let s: TestServer;
  let cookie: string;
  beforeAll(async () => {
    s = await startTestServer(dialect, {}, YAML);
    const signIn = await s.runtime.app.request(`${ORIGIN}/ui/sign-in`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', origin: ORIGIN }, body: new URLSearchParams({ token: s.tokens.read }).toString() });
    cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0] as string;
  });
  afterAll(async () => s?.close());

  async function openIncident(service: string, severity: string): Promise<{ id: number; sla: ApiSla | null; page: string }> {
    s.clock.set(T0);
    const alert = makeNativeAlert({ labels: { alertname: `${service}Down`, service, severity }, startsAt: new Date(T0).toISOString() });
    expect((await s.request('POST', '/api/v1/alerts', { token: s.tokens.ingest, json: { alerts: [alert] } })).status).toBe(200);
    await s.settle();
    s.clock.set(T0 + 30 * MIN);
    const list = (await (await s.request('GET', `/api/v1/incidents?service=${service}&limit=1`, { token: s.tokens.read })).json()) as { items: { id: number }[] };
    const id = list.items[0]?.id as number;
    const detail = (await (await s.request('GET', `/api/v1/incidents/${id}`, { token: s.tokens.read })).json()) as { sla: ApiSla | null };
    const res = await s.runtime.app.request(`${ORIGIN}/ui/incidents/${id}`, { headers: { cookie } });
    expect(res.status).toBe(200);
    const html = await res.text();
    return { id, sla: detail.sla, page: html.slice(html.indexOf('id="sla-timers"'), html.indexOf('</section>', html.indexOf('id="sla-timers"'))) };
  }

  it('applies the server-wide target on both surfaces when the service has no policy of its own', async () => {
    const { sla, page } = await openIncident('search', 'warning');
    expect(sla?.source).toBe('global');
    expect(sla?.priority).toBe('P4');
    // Half of the hour allowed to respond is used on both surfaces.
    expect(sla?.response?.targetSeconds).toBe(3600);
    expect(sla?.response?.percentElapsed).toBe(50);
    expect(page).toContain(`Server-wide targets for ${sla?.priority}`);
    expect(page).toContain(`${Math.round(sla?.response?.percentElapsed ?? -1)} % used`);
    expect(page).not.toContain('No response or resolution target');
  });

  it("applies the service's own target on both surfaces", async () => {
    const { sla, page } = await openIncident('ledger', 'critical');
    expect(sla?.source).toBe('service');
    expect(sla?.priority).toBe('P1');
    expect(sla?.response?.targetSeconds).toBe(20 * 60);
    expect(page).toContain('Targets of service ledger for P1');
    expect(page).toContain(`${Math.round(sla?.response?.percentElapsed ?? -1)} % used`);
  });
});
