/**
 * Availability SLAs wired end to end: policies from the YAML file and the API, alerts with
 * known event times through the real ingest API and correlator, then `GET /api/v1/sla` and
 * `/metrics`. Reference vector V5 (sla-vectors.md): outages 10:00–10:30, 10:15–10:45 and
 * 11:00–11:05 at 99.9 % over a 30-day month give 50 min of downtime against 43.2 min allowed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectSilentAgents } from '../../server/src/services/agents.js';
import { makeNativeAlert } from '../helpers/fixtures.js';
import { dialects, startTestServer, T0, type TestServer } from '../helpers/runtime.js';

const S = 1000;
const MIN = 60 * S;
const DAY = 86_400 * S;
const at = (hhmm: string) => Date.parse(`2026-11-21T${hhmm}:00.000Z`);
const iso = (ms: number) => new Date(ms).toISOString();
const NOW = at('13:00');
const MONTH_START = Date.parse('2026-11-01T00:00:00.000Z');
const MONTH_MS = 30 * DAY;

const YAML = `
services:
  - name: payments
    tier: 1
    sla: { objective: "99.9", period: month, timeZone: UTC }
  - name: checkout
    tier: 1
    dependsOn: [payments]
    sla: { objective: 99.9, dependencies: any }
  - name: shop
    tier: 3
    match: { hosts: [web-7] }
    sla: { objective: "99.5" }
  - name: kiosk
    tier: 1
    match: { hosts: [web-7] }
    sla: { objective: "99.5", downtime: { agentDown: false } }
  - { name: search, tier: 3 }
`;

describe.each(dialects())('availability SLAs on %s', (dialect) => {
  let s: TestServer;

  async function send(alerts: Record<string, unknown>[]) {
    expect((await s.request('POST', '/api/v1/alerts', { token: s.tokens.ingest, json: { alerts } })).status).toBe(200);
    await s.settle();
  }
  /** One alert's whole episode, sent as it happens: firing at `from`, resolved at `to`. */
  async function episode(fingerprint: string, labels: Record<string, string>, from: number, to: number) {
    s.clock.set(from);
    await send([makeNativeAlert({ fingerprint, labels, annotations: { summary: `${labels.alertname} ${fingerprint}` }, startsAt: iso(from) })]);
    s.clock.set(to);
    await send([makeNativeAlert({ fingerprint, labels, annotations: { summary: `${labels.alertname} ${fingerprint}` }, status: 'resolved', startsAt: iso(from), endsAt: iso(to) })]);
  }
  async function heartbeat(sentAt: number) {
    s.clock.set(sentAt);
    const body = { agentId: 'agent-web-7', host: 'web-7', version: '0.1.0', sentAt: iso(sentAt), intervalSeconds: 30, inventory: null, checks: [], firingAlerts: 0 };
    expect((await s.request('POST', '/api/v1/agents/heartbeat', { token: s.tokens.ingest, json: body })).status).toBe(200);
    await s.settle();
  }
  async function sla(service: string) {
    const res = await s.request('GET', `/api/v1/sla/${service}`, { token: s.tokens.read });
    expect(res.status, service).toBe(200);
    return (await res.json()) as any;
  }

  beforeAll(async () => {
    s = await startTestServer(dialect, {}, YAML);
    expect(T0).toBeLessThan(at('05:00'));
    // ledger comes through the API, with its policy.
    const put = await s.request('PUT', '/api/v1/services/ledger', { token: s.tokens.write, json: { tier: 1, sla: { objective: '99.9', period: 'month' } } });
    expect(put.status).toBe(200);

    // A P3 incident of payments (tier 1, severity info): below the policy's P1/P2, no downtime.
    await episode('pay-info', { alertname: 'PaymentsBatchLate', service: 'payments', severity: 'info' }, at('05:00'), at('06:00'));

    // web-7's agent goes silent: AgentDown from 07:01:30 (third missed heartbeat) until 07:11:30.
    // The host maps the alert to kiosk (first by name), tier 1: a P1 incident of kiosk.
    await heartbeat(at('07:00'));
    s.clock.set(at('07:01') + 31 * S);
    expect(await detectSilentAgents(s.runtime)).toBe(1);
    await s.settle();
    await heartbeat(at('07:11') + 30 * S);

    // V5 on payments, severity critical on a tier-1 service: P1. The alerts overlap.
    s.clock.set(at('10:00'));
    await send([makeNativeAlert({ fingerprint: 'pay-1', labels: { alertname: 'PaymentsDown', service: 'payments', severity: 'critical' }, startsAt: iso(at('10:00')) })]);
    await send([makeNativeAlert({ fingerprint: 'ledger-1', labels: { alertname: 'LedgerDown', service: 'ledger', severity: 'critical' }, startsAt: iso(at('10:00')) })]);
    s.clock.set(at('10:15'));
    await send([makeNativeAlert({ fingerprint: 'pay-2', labels: { alertname: 'PaymentsErrors', service: 'payments', severity: 'critical' }, startsAt: iso(at('10:15')) })]);
    s.clock.set(at('10:30'));
    await send([makeNativeAlert({ fingerprint: 'pay-1', labels: { alertname: 'PaymentsDown', service: 'payments', severity: 'critical' }, status: 'resolved', startsAt: iso(at('10:00')), endsAt: iso(at('10:30')) })]);
    // ledger's maintenance window starts while its outage goes on: 10:30–12:00 is excluded.
    const window = await s.request('POST', '/api/v1/silences', {
      token: s.tokens.write,
      json: { kind: 'maintenance', matchers: { service: 'ledger' }, startsAt: iso(at('10:30')), endsAt: iso(at('12:00')), comment: 'ledger migration' },
    });
    expect(window.status).toBe(201);
    s.clock.set(at('10:45'));
    await send([makeNativeAlert({ fingerprint: 'pay-2', labels: { alertname: 'PaymentsErrors', service: 'payments', severity: 'critical' }, status: 'resolved', startsAt: iso(at('10:15')), endsAt: iso(at('10:45')) })]);
    await episode('pay-3', { alertname: 'PaymentsTimeouts', service: 'payments', severity: 'critical' }, at('11:00'), at('11:05'));
    s.clock.set(at('11:00'));
    await send([makeNativeAlert({ fingerprint: 'ledger-1', labels: { alertname: 'LedgerDown', service: 'ledger', severity: 'critical' }, status: 'resolved', startsAt: iso(at('10:00')), endsAt: iso(at('11:00')) })]);

    // checkout's own P1 outage, 12:00–12:10; it also inherits payments' downtime ('any').
    await episode('co-1', { alertname: 'CheckoutFailing', service: 'checkout', severity: 'critical' }, at('12:00'), at('12:10'));
    s.clock.set(NOW);
    await s.settle();
  });
  afterAll(async () => s?.close());

  it('stores policies from the file and the API and shows them in the catalogue', async () => {
    const items = ((await (await s.request('GET', '/api/v1/services', { token: s.tokens.read })).json()) as any).items;
    const byName = Object.fromEntries(items.map((i: any) => [i.name, i]));
    expect(byName.payments.sla).toEqual({
      objective: '99.9',
      period: 'month',
      timeZone: 'UTC',
      calendar: null,
      downtime: { incidentPriorities: ['P1', 'P2'], availabilityChecks: true, agentDown: true },
      dependencies: 'none',
      excludeMaintenance: true,
      targets: {},
      pageOnFastBurn: false,
    });
    expect(byName.checkout.sla).toMatchObject({ objective: '99.9', dependencies: 'any' });
    expect(byName.ledger).toMatchObject({ origin: 'api', sla: { objective: '99.9', period: 'month' } });
    expect(byName.search.sla).toBeNull();

    // What GET shows can be sent back as it is.
    const again = await s.request('PUT', '/api/v1/services/ledger', { token: s.tokens.write, json: { tier: 1, sla: byName.ledger.sla } });
    expect(((await again.json()) as any).sla).toEqual(byName.ledger.sla);

    const bad = await s.request('PUT', '/api/v1/services/ledger', { token: s.tokens.write, json: { tier: 1, sla: { objective: '100' } } });
    expect(bad.status).toBe(400);
    const error = ((await bad.json()) as any).error;
    expect(error).toMatchObject({ code: 'VALIDATION', requestId: expect.any(String) });
    expect(error.details.issues[0].path).toBe('sla.objective');
    expect(((await (await s.request('GET', '/api/v1/sla/ledger')).json()) as any).objective).toBe('99.9');
  });

  it('gives V5: overlapping outages merged to 50 minutes, over the 43.2 minutes a 99.9 % month allows', async () => {
    const p = await sla('payments');
    const measuredS = (NOW - MONTH_START) / S;
    expect(p).toMatchObject({
      service: 'payments',
      objective: '99.9',
      objectiveRatio: 0.999,
      period: { start: '2026-11-01T00:00:00.000Z', end: '2026-12-01T00:00:00.000Z' },
      evaluatedAt: iso(NOW),
      measuredSeconds: measuredS,
      downtimeSeconds: 3000,
      excludedSeconds: 0,
      budget: { allowedSeconds: 2592, consumedSeconds: 3000, remainingSeconds: -408 },
      breached: true,
      outages: [
        { start: iso(at('10:00')), end: iso(at('10:45')) },
        { start: iso(at('11:00')), end: iso(at('11:05')) },
      ],
    });
    expect(p.sli).toBeCloseTo(1 - 3000 / measuredS, 12);
    expect(p.budget.remainingRatio).toBeCloseTo(-408 / 2592, 12);
    expect(p.budget.consumedRatio).toBeCloseTo(3000 / 2592, 12);
    // Trailing windows ending at 13:00: the last hour saw no outage, the last 6 h all 50 min.
    expect(p.burnRates['1h']).toBe(0);
    expect(p.burnRates['6h']).toBeCloseTo(3000 / (6 * 3600 * 0.001), 9);
    expect(p.burnRates['1d']).toBeCloseTo(3000 / (86_400 * 0.001), 9);
    expect(p.burnRateAlerts.find((r: any) => r.long === '6h')).toMatchObject({ short: '30m', threshold: 6, firing: false });
  });

  it('removes a maintenance window from the outage and from the denominator', async () => {
    const l = await sla('ledger');
    // Down 10:00–11:00, in maintenance 10:30–12:00: 30 minutes count, 90 are excluded.
    expect(l).toMatchObject({ downtimeSeconds: 1800, excludedSeconds: 5400, breached: false, outages: [{ start: iso(at('10:00')), end: iso(at('10:30')) }] });
    expect(l.budget.allowedSeconds).toBe(((MONTH_MS - 90 * MIN) * 0.001) / S);
    expect(l.measuredSeconds).toBe((NOW - MONTH_START - 90 * MIN) / S);
  });

  it("propagates a dependency's downtime with 'any'", async () => {
    const c = await sla('checkout');
    expect(c).toMatchObject({
      downtimeSeconds: 3600,
      breached: true,
      outages: [
        { start: iso(at('10:00')), end: iso(at('10:45')) },
        { start: iso(at('11:00')), end: iso(at('11:05')) },
        { start: iso(at('12:00')), end: iso(at('12:10')) },
      ],
    });
  });

  it("counts the hosts' AgentDown through the policy's switch alone, not as an incident member", async () => {
    const shop = await sla('shop');
    expect(shop).toMatchObject({ downtimeSeconds: 600, outages: [{ start: iso(at('07:01') + 30 * S), end: iso(at('07:11') + 30 * S) }] });
    expect(shop.budget.allowedSeconds).toBe(MONTH_MS * 0.005 / S);
    expect(await sla('kiosk')).toMatchObject({ downtimeSeconds: 0, sli: 1, budget: { remainingRatio: 1 }, outages: [] });
  });

  it('lists every service with a policy, and answers 404, 400, 401 and 403 like the other routes', async () => {
    const list = (await (await s.request('GET', '/api/v1/sla', { token: s.tokens.read })).json()) as any;
    expect(list.items.map((i: any) => i.service)).toEqual(['checkout', 'kiosk', 'ledger', 'payments', 'shop']);
    expect(list.items.find((i: any) => i.service === 'payments')).toEqual(await sla('payments'));

    const unknown = await s.request('GET', '/api/v1/sla/nope', { token: s.tokens.read });
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as any).error).toMatchObject({ code: 'NOT_FOUND', message: 'no service named nope', requestId: expect.any(String) });
    const noPolicy = await s.request('GET', '/api/v1/sla/search', { token: s.tokens.read });
    expect(noPolicy.status).toBe(404);
    expect(((await noPolicy.json()) as any).error.message).toBe('service search has no SLA policy');
    expect((await s.request('GET', '/api/v1/sla/bad%20name', { token: s.tokens.read })).status).toBe(400);

    for (const path of ['/api/v1/sla', '/api/v1/sla/payments']) {
      expect((await s.request('GET', path, { token: null })).status, path).toBe(401);
      expect((await s.request('GET', path, { token: s.tokens.ingest })).status, path).toBe(403);
    }
  });

  it('exports SLI, objective, remaining budget and burn rates on /metrics, computed at scrape', async () => {
    const text = await (await s.request('GET', '/metrics', { token: null })).text();
    const value = (series: string) => {
      const line = text.split('\n').find((l) => l.startsWith(`${series} `));
      expect(line, series).toBeDefined();
      return Number(line?.slice(series.length + 1));
    };
    const measuredS = (NOW - MONTH_START) / S;
    expect(value('sightline_sla_sli_ratio{service="payments"}')).toBeCloseTo(1 - 3000 / measuredS, 12);
    expect(value('sightline_sla_objective_ratio{service="payments"}')).toBe(0.999);
    expect(value('sightline_sla_objective_ratio{service="shop"}')).toBe(0.995);
    expect(value('sightline_sla_error_budget_remaining_ratio{service="payments"}')).toBeCloseTo(-408 / 2592, 12);
    expect(value('sightline_sla_error_budget_remaining_ratio{service="kiosk"}')).toBe(1);
    expect(value('sightline_sla_burn_rate{service="payments",window="6h"}')).toBeCloseTo(3000 / (6 * 3600 * 0.001), 9);
    expect(value('sightline_sla_burn_rate{service="payments",window="1h"}')).toBe(0);
    expect(text).not.toContain('sightline_sla_sli_ratio{service="search"}');

    // Lazily at scrape: an outage recorded after the last scrape shows in the next one.
    await episode('co-2', { alertname: 'CheckoutErrors', service: 'checkout', severity: 'critical' }, NOW, NOW + 10 * MIN);
    const later = await (await s.request('GET', '/metrics', { token: null })).text();
    const burn = later.split('\n').find((l) => l.startsWith('sightline_sla_burn_rate{service="checkout",window="30m"} '));
    expect(Number(burn?.split(' ')[1])).toBeCloseTo(600 / (1800 * 0.001), 9);
  });
});
