/**
 * SLA signals on both databases, through the real API, correlator, periodic SLA pass and
 * webhook outbox on a manual clock: a burning error budget is a signal (on the incident
 * that burned it, on the SLA report, one `sla_burn` per episode), never an incident of its
 * own, never keeping a real incident open, and out of MTTA/MTTR, compliance and problem
 * candidates; a service that opted in (`pageOnFastBurn`) gets one incident per fast-burn
 * episode, resolved when the short window clears.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadProblemIncidents } from '../../server/src/db/problems-repo.js';
import { runSlaEvaluation } from '../../server/src/services/sla-job.js';
import { makeNativeAlert } from '../helpers/fixtures.js';
import { dialects, startTestServer, type TestServer } from '../helpers/runtime.js';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.js';

const MIN = 60_000;
const at = (day: number, hhmm: string) => Date.parse(`2026-11-${day}T${hhmm}:00.000Z`);
const iso = (ms: number) => new Date(ms).toISOString();

describe.each(dialects())('SLA signals on %s', (dialect) => {
  let s: TestServer;
  let receiver: WebhookReceiver;

  async function send(alert: Record<string, unknown>) {
    expect((await s.request('POST', '/api/v1/alerts', { token: s.tokens.ingest, json: { alerts: [alert] } })).status).toBe(200);
    await s.settle();
  }
  const fire = (fingerprint: string, labels: Record<string, string>, from: number) => {
    s.clock.set(from);
    return send(makeNativeAlert({ fingerprint, labels, annotations: { summary: labels.alertname }, startsAt: iso(from) }));
  };
  const resolve = (fingerprint: string, labels: Record<string, string>, from: number, to: number) => {
    s.clock.set(to);
    return send(makeNativeAlert({ fingerprint, labels, annotations: { summary: labels.alertname }, status: 'resolved', startsAt: iso(from), endsAt: iso(to) }));
  };
  /** One periodic pass as a freshly started leader would run it: nothing kept in memory between passes. */
  async function pass(when: number) {
    s.clock.set(when);
    const result = await runSlaEvaluation({ ...s.runtime, cache: undefined, globalTargets: s.runtime.config.sla.targets });
    await s.settle();
    return result;
  }
  async function json(path: string) {
    const res = await s.request('GET', path, { token: s.tokens.read });
    expect(res.status, path).toBe(200);
    return (await res.json()) as any;
  }
  const incidents = async () => ((await json('/api/v1/incidents?limit=100')).items as any[]).sort((a, b) => a.id - b.id);
  /** Titles read "<alertname>: <summary>"; the alert name is enough here. */
  const names = async () => (await incidents()).map((i) => i.title.split(':')[0]);
  async function burns() {
    await s.runtime.notifier.drain();
    return receiver.received.filter((r) => r.event === 'sla_burn');
  }

  const CHECKOUT = { alertname: 'CheckoutDown', service: 'checkout', severity: 'critical' };
  const PAYMENTS = { alertname: 'PaymentsDown', service: 'payments', severity: 'critical' };
  let checkoutIncident: number;

  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    s = await startTestServer(
      dialect,
      {},
      `
notifications:
  webhooks:
    - { name: desk, url: "${receiver.url}/hook", events: [opened, resolved, sla_burn] }
services:
  - name: checkout
    tier: 1
    sla: { objective: "99.9", period: month, targets: { P1: { respond: 20m, resolve: 30m } } }
  - name: payments
    tier: 1
    sla: { objective: "99.9", period: month, pageOnFastBurn: true, targets: { P1: { respond: 20m, resolve: 30m } } }
`,
    );
    await s.runtime.notifier.drain();
  });
  afterAll(async () => {
    await s?.close();
    await receiver?.close();
  });

  it('opens no incident for a burning budget, shows it on the incident that burned it, and notifies once per episode', async () => {
    await fire('co-1', CHECKOUT, at(21, '10:00'));
    // 30 of the month's 43.2 min spent within the hour: every rule fires, a page and a ticket.
    const first = await pass(at(21, '10:30'));
    expect(first.signals).toEqual({ started: 2, ended: 0 });
    expect(first.pages).toEqual({ raised: 0, resolved: 0 });
    const list = await incidents();
    expect(await names()).toEqual(['CheckoutDown']);
    checkoutIncident = list[0].id;
    expect((await json('/api/v1/alerts?limit=100')).items.filter((a: any) => a.source === 'sightline')).toEqual([]);

    // Nothing new: nothing changes, and a restarted leader (no memory but the database) sends nothing again.
    expect((await pass(at(21, '10:31'))).signals).toEqual({ started: 0, ended: 0 });
    const sent = await burns();
    expect(sent.map((r) => [r.body.signal.service, r.body.signal.severity, r.body.incidents.map((i: any) => i.id)]).sort()).toEqual([
      ['checkout', 'page', [checkoutIncident]],
      ['checkout', 'ticket', [checkoutIncident]],
    ]);
    expect(sent[0]?.body.message).toMatch(/^checkout is burning its error budget/);

    const detail = await json(`/api/v1/incidents/${checkoutIncident}`);
    // Its own targets' warnings and breaches are signals too (on the timeline, notified as before).
    expect(detail.slaSignals.filter((x: any) => x.kind === 'target').map((x: any) => [x.event, x.target, x.level])).toEqual([
      ['sla_warning', 'response', '75'],
      ['sla_warning', 'response', '90'],
      ['sla_breached', 'response', 'breached'],
      ['sla_warning', 'resolution', '75'],
      ['sla_warning', 'resolution', '90'],
      ['sla_breached', 'resolution', 'breached'],
    ]);
    expect(detail.slaSignals.filter((x: any) => x.kind === 'burn').map((x: any) => [x.kind, x.event, x.severity, x.startedAt, x.endedAt, x.incidentIds])).toEqual([
      ['burn', 'sla_burn', 'page', iso(at(21, '10:30')), null, [checkoutIncident]],
      ['burn', 'sla_burn', 'ticket', iso(at(21, '10:30')), null, [checkoutIncident]],
    ]);
  });

  it('resolves the real incident when its alert resolves, while the budget still burns', async () => {
    await resolve('co-1', CHECKOUT, at(21, '10:00'), at(21, '10:40'));
    await pass(at(21, '10:50'));
    const incident = await json(`/api/v1/incidents/${checkoutIncident}`);
    expect(incident.status).toBe('resolved');
    expect(incident.resolvedAt).toBe(iso(at(21, '10:40')));
    // The page (6 h over 30 min) and the ticket burn on; still no incident of their own.
    expect(incident.slaSignals.filter((x: any) => x.kind === 'burn').map((x: any) => x.endedAt)).toEqual([null, null]);
    expect((await incidents()).map((i) => i.id)).toEqual([checkoutIncident]);
    expect((await json('/api/v1/sla/checkout/report?period=current')).periods[0].slaSignals.map((x: any) => [x.severity, x.active, x.incidentIds])).toEqual([
      ['page', true, [checkoutIncident]],
      ['ticket', true, [checkoutIncident]],
    ]);
    expect(await burns()).toHaveLength(2);
  });

  it('ends an episode when its rules stop firing and notifies the next one once, even with two passes at once', async () => {
    // By the next morning every short window is clear.
    expect((await pass(at(22, '06:00'))).signals).toEqual({ started: 0, ended: 2 });
    await fire('co-2', CHECKOUT, at(22, '10:00'));
    s.clock.set(at(22, '10:20'));
    // Two passes at once (a restarted leader racing the old one): one episode each, one notification each.
    const both = await Promise.all([runSlaEvaluation({ ...s.runtime, cache: undefined, globalTargets: {} }), runSlaEvaluation({ ...s.runtime, cache: undefined, globalTargets: {} })]);
    expect(both[0].signals.started + both[1].signals.started).toBe(2);
    await s.settle();
    const sent = await burns();
    expect(sent).toHaveLength(4);
    expect(new Set(sent.map((r) => r.body.idempotencyKey)).size).toBe(4);
    const report = await json('/api/v1/sla/checkout/report?period=current');
    expect(report.periods[0].slaSignals.map((x: any) => [x.severity, x.startedAt, x.endedAt])).toEqual([
      ['page', iso(at(21, '10:30')), iso(at(22, '06:00'))],
      ['ticket', iso(at(21, '10:30')), iso(at(22, '06:00'))],
      ['page', iso(at(22, '10:20')), null],
      ['ticket', iso(at(22, '10:20')), null],
    ]);
    await resolve('co-2', CHECKOUT, at(22, '10:00'), at(22, '10:25'));
    expect(await names()).toEqual(['CheckoutDown', 'CheckoutDown']);
  });

  it('shows the signals on the SLA page and on the incident page', async () => {
    const origin = 'http://localhost';
    const signIn = await s.runtime.app.request(`${origin}/ui/sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin, 'sec-fetch-site': 'same-origin' },
      body: new URLSearchParams({ token: s.tokens.read, next: '/ui/sla' }).toString(),
    });
    const cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0] as string;
    const page = async (path: string) => {
      const res = await s.runtime.app.request(`${origin}${path}`, { headers: { cookie } });
      expect(res.status, path).toBe(200);
      return res.text();
    };
    const sla = await page('/ui/sla');
    const card = sla.slice(sla.indexOf('data-service="checkout"'));
    expect(card).toContain('SLA signals');
    expect(card.match(/data-signal="/g)?.length).toBeGreaterThanOrEqual(4);
    expect(card).toContain(`href="/ui/incidents/${checkoutIncident}"`);
    const incident = await page(`/ui/incidents/${checkoutIncident}`);
    expect(incident).toContain('fast burn</strong> of checkout');
    expect(incident).toContain('response target breached');
  });

  it('pages a service that opted in once per fast burn, in an incident of its own that resolves when the short window clears', async () => {
    const second = { ...PAYMENTS, instance: 'pay-2:9100' };
    const third = { ...PAYMENTS, instance: 'pay-3:9100' };
    await fire('pay-1', PAYMENTS, at(23, '12:00'));
    await fire('pay-2', second, at(23, '12:09'));
    const raised = await pass(at(23, '12:10'));
    expect(raised.pages).toEqual({ raised: 1, resolved: 0 });
    const real = (await incidents()).find((i) => i.title.startsWith('PaymentsDown'));
    const page = (await incidents()).find((i) => i.title.startsWith('SlaErrorBudgetBurn'));
    expect(real && page && real.id !== page.id).toBe(true);
    expect(page).toMatchObject({ status: 'open', service: null, alertCount: 1 });
    // A further alert of the service joins the real incident, never the page.
    await fire('pay-3', third, at(23, '12:12'));
    expect((await json(`/api/v1/incidents/${page.id}`)).alertCount).toBe(1);
    expect((await json(`/api/v1/incidents/${real.id}`)).alertCount).toBe(3);

    for (const [fingerprint, labels, from] of [['pay-1', PAYMENTS, '12:00'], ['pay-2', second, '12:09'], ['pay-3', third, '12:12']] as const) await resolve(fingerprint, labels, at(23, from), at(23, '12:30'));
    // Within five minutes of the end the fast rule (1 h over 5 min) still fires; after, it stops.
    expect((await pass(at(23, '12:34'))).pages).toEqual({ raised: 0, resolved: 0 });
    expect((await pass(at(23, '12:36'))).pages).toEqual({ raised: 0, resolved: 1 });
    s.clock.set(at(23, '12:42'));
    await s.settle();
    expect((await json(`/api/v1/incidents/${page.id}`)).status).toBe('resolved');
    expect((await json(`/api/v1/incidents/${real.id}`)).status).toBe('resolved');
    // Notified as a signal too, like any burn.
    expect((await burns()).filter((r) => r.body.signal.service === 'payments').map((r) => r.body.signal.severity).sort()).toEqual(['page', 'ticket']);
  });

  it('leaves signals and pages out of MTTA/MTTR, target compliance and problem candidates', async () => {
    s.clock.set(at(24, '00:00'));
    expect(await names()).toEqual(['CheckoutDown', 'CheckoutDown', 'PaymentsDown', 'SlaErrorBudgetBurn']);
    const stats = await json(`/api/v1/stats?since=${iso(at(20, '00:00'))}`);
    expect(stats.overall).toMatchObject({ incidents: 3, resolved: 3 });
    expect(stats.byService.map((x: any) => [x.service, x.incidents])).toEqual([
      ['checkout', 2],
      ['payments', 1],
    ]);
    const checkout = (await json('/api/v1/sla/checkout/report?period=current')).periods[0];
    // Resolved in 40 and 25 min against a 30 min target: one met, one breached; no burn incident among them.
    expect(checkout.targets.P1.resolution).toEqual({ incidents: 2, met: 1, breached: 1, running: 0, compliance: 0.5 });
    const payments = (await json('/api/v1/sla/payments/report?period=current')).periods[0];
    expect(payments.targets.P1.resolution.incidents).toBe(1);
    // Downtime is the real outages only: 40 + 25 min for checkout.
    expect(checkout.downtimeSeconds).toBe(65 * 60);
    const candidates = await loadProblemIncidents(s.runtime.handle.db, at(20, '00:00'), at(24, '00:00'));
    expect(candidates.map((i) => i.alertname).sort()).toEqual(['CheckoutDown', 'CheckoutDown', 'PaymentsDown']);
    // The opt-in page is announced like any incident; a burn signal never is.
    await s.runtime.notifier.drain();
    expect(receiver.received.filter((r) => r.event === 'opened').map((r) => r.body.incident.title.split(':')[0])).toEqual(['CheckoutDown', 'CheckoutDown', 'PaymentsDown', 'SlaErrorBudgetBurn']);
  });
});
