/**
 * SLA compliance end to end, on both databases: alerts with known event times, agent
 * heartbeats with failing checks and a re-fired alert through the real API and
 * correlator; then the periodic SLA pass (burn-rate signals, response/resolution warnings
 * on the timeline and to a webhook), the incident's targets in the API,
 * and the report as JSON and CSV.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkStatesOverlapping, pastEpisodeEvents } from '../../server/src/db/sla-repo.js';
import { runSlaEvaluation } from '../../server/src/services/sla-job.js';
import { makeNativeAlert } from '../helpers/fixtures.js';
import { dialects, startTestServer, type TestServer } from '../helpers/runtime.js';
import { startWebhookReceiver, type ReceivedWebhook, type WebhookReceiver } from '../helpers/webhook-receiver.js';

const S = 1000;
const MIN = 60 * S;
const H = 60 * MIN;
const at = (hhmm: string) => Date.parse(`2026-11-21T${hhmm}:00.000Z`);
const iso = (ms: number) => new Date(ms).toISOString();
const MONTH_START = Date.parse('2026-11-01T00:00:00.000Z');

describe.each(dialects())('SLA compliance on %s', (dialect) => {
  let s: TestServer;
  let receiver: WebhookReceiver;
  let received: ReceivedWebhook[] = [];

  async function send(alerts: Record<string, unknown>[]) {
    expect((await s.request('POST', '/api/v1/alerts', { token: s.tokens.ingest, json: { alerts } })).status).toBe(200);
    await s.settle();
  }
  const fire = (fingerprint: string, labels: Record<string, string>, from: number) => {
    s.clock.set(from);
    return send([makeNativeAlert({ fingerprint, labels, annotations: { summary: `${labels.alertname}` }, startsAt: iso(from) })]);
  };
  const resolve = (fingerprint: string, labels: Record<string, string>, from: number, to: number) => {
    s.clock.set(to);
    return send([makeNativeAlert({ fingerprint, labels, annotations: { summary: `${labels.alertname}` }, status: 'resolved', startsAt: iso(from), endsAt: iso(to) })]);
  };
  async function pass(when: number) {
    s.clock.set(when);
    const result = await runSlaEvaluation({ ...s.runtime, globalTargets: s.runtime.config.sla.targets });
    await s.settle();
    return result;
  }
  async function heartbeat(sentAt: number, check: { success: boolean; since: number }) {
    s.clock.set(sentAt);
    const body = {
      agentId: 'agent-pay-1',
      host: 'pay-1',
      version: '0.1.0',
      sentAt: iso(sentAt),
      intervalSeconds: 60,
      inventory: null,
      checks: [{ name: 'pay-http', type: 'http', target: 'https://pay.example/health', success: check.success, since: iso(check.since), lastRunAt: iso(sentAt), durationSeconds: 0.1, service: 'payments' }],
      firingAlerts: 0,
    };
    expect((await s.request('POST', '/api/v1/agents/heartbeat', { token: s.tokens.ingest, json: body })).status).toBe(200);
  }
  async function json(path: string) {
    const res = await s.request('GET', path, { token: s.tokens.read });
    expect(res.status, path).toBe(200);
    return (await res.json()) as any;
  }
  const sightlineAlerts = async () => ((await json('/api/v1/alerts?limit=500')).items as any[]).filter((a) => a.source === 'sightline');
  const timelineOf = async (id: number) => (await json(`/api/v1/incidents/${id}`)).timeline as any[];

  const PAY = { alertname: 'PaymentsDown', service: 'payments', severity: 'critical' };
  const FLAKY = { alertname: 'PaymentsFlaky', service: 'payments', severity: 'critical' };
  let incidentId: number;

  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    received = receiver.received;
    s = await startTestServer(
      dialect,
      {},
      `
notifications:
  webhooks:
    - { name: sla-desk, url: "${receiver.url}/hook", events: [sla_warning, sla_breached] }
sla:
  targets:
    P4: { respond: 1h, resolve: 4h, calendar: { timeZone: Europe/Berlin, hours: [{ days: [mon, tue, wed, thu, fri], start: "09:00", end: "17:00" }], holidays: ["2026-11-23"] } }
services:
  - name: payments
    tier: 1
    sla:
      objective: "99.9"
      period: month
      targets: { P1: { respond: 20m, resolve: 4h } }
  - { name: search, tier: 3 }
`,
    );
    // The dispatcher starts from the end of the timeline: start it before anything happens.
    await s.runtime.notifier.drain();
    // A re-fired alert: two episodes, 05:00–05:10 and 06:00–06:10; the alerts table keeps only the second.
    await fire('flaky', FLAKY, at('05:00'));
    await resolve('flaky', FLAKY, at('05:00'), at('05:10'));
    await fire('flaky', FLAKY, at('06:00'));
    await resolve('flaky', FLAKY, at('06:00'), at('06:10'));
    // The agent's availability check of payments fails 08:00–08:30.
    await heartbeat(at('07:59'), { success: true, since: at('07:00') });
    await heartbeat(at('08:01'), { success: false, since: at('08:00') });
    await heartbeat(at('08:31'), { success: true, since: at('08:30') });
    // Delivered late, out of order: changes nothing.
    await heartbeat(at('08:15'), { success: false, since: at('08:00') });
    // The outage that burns the budget: P1 from 10:00.
    await fire('pay-1', PAY, at('10:00'));
    const list = await json('/api/v1/incidents?service=payments&status=open');
    incidentId = list.items.find((i: any) => i.title.startsWith('PaymentsDown')).id;
  });
  afterAll(async () => {
    await s?.close();
    await receiver?.close();
  });

  it('counts both episodes of a re-fired alert and the failed check as downtime', async () => {
    s.clock.set(at('10:00'));
    const p = await json('/api/v1/sla/payments');
    expect(p.outages).toEqual([
      { start: iso(at('05:00')), end: iso(at('05:10')) },
      { start: iso(at('06:00')), end: iso(at('06:10')) },
      { start: iso(at('08:00')), end: iso(at('08:30')) },
    ]);
    expect(p.downtimeSeconds).toBe(50 * 60);
  });

  it('reads only the check states and past episodes a window needs, including the state still open at its start', async () => {
    const db = s.runtime.handle.db;
    const states = await checkStatesOverlapping(db, ['payments'], at('08:10'), at('09:00'));
    expect(states.map((c) => [c.checkName, iso(c.since), c.success, iso(c.lastReportedAt)])).toEqual([
      ['pay-http', iso(at('08:00')), false, iso(at('08:15'))],
      ['pay-http', iso(at('08:30')), true, iso(at('08:31'))],
    ]);
    expect(await checkStatesOverlapping(db, ['search'], at('08:10'), at('09:00'))).toEqual([]);
    const episodes = await pastEpisodeEvents(db, { services: ['payments'] }, at('05:05'), at('09:00'));
    // One row per earlier episode, as the correlator recorded it when the alert fired again.
    expect(episodes.map((e) => [e.fingerprint, e.status, iso(e.startsAt), e.endsAt === null ? null : iso(e.endsAt), iso(e.currentStartsAt)])).toEqual([
      ['flaky', 'resolved', iso(at('05:00')), iso(at('05:10')), iso(at('06:00'))],
    ]);
    // An episode that ended before the window and started over 7 days before it is not read.
    const later = at('05:10') + 8 * 24 * H;
    expect(await pastEpisodeEvents(db, { services: ['payments'] }, later, later + H)).toEqual([]);
  });

  it('records burn-rate signals while the budget burns, without alerts or incidents of their own', async () => {
    const first = await pass(at('10:05'));
    // 55 min of downtime this morning against 43.2 min a month: every rule fires (14.4, 6, 3, 1);
    // the service gets one page (14.4, 6) and one ticket (3, 1).
    expect(first.signals).toEqual({ started: 2, ended: 0 });
    const report = await json('/api/v1/sla/payments/report?period=current');
    expect(report.periods[0].slaSignals.map((x: any) => [x.severity, x.details.windows])).toEqual([
      ['page', ['1h/5m', '6h/30m']],
      ['ticket', ['1d/2h', '3d/6h']],
    ]);
    expect(await sightlineAlerts()).toEqual([]);
    // Running the pass again with nothing new changes nothing.
    expect((await pass(at('10:06'))).signals).toEqual({ started: 0, ended: 0 });
    // Sightline's own signals are never downtime themselves.
    expect((await json('/api/v1/sla/payments')).downtimeSeconds).toBe(50 * 60 + 6 * 60);
  });

  it('warns at 75 % and 90 % of the response target, then records the breach, on the timeline and to the webhook', async () => {
    await pass(at('10:14'));
    expect((await timelineOf(incidentId)).filter((t) => t.kind.startsWith('sla_'))).toEqual([]);
    await pass(at('10:16'));
    await pass(at('10:19'));
    await pass(at('10:21'));
    await pass(at('10:22'));
    const entries = (await timelineOf(incidentId)).filter((t) => t.kind.startsWith('sla_'));
    expect(entries.map((t) => [t.kind, t.at, t.data.target, t.data.level])).toEqual([
      ['sla_warning', iso(at('10:15')), 'response', '75'],
      ['sla_warning', iso(at('10:18')), 'response', '90'],
      ['sla_breached', iso(at('10:20')), 'response', 'breached'],
    ]);
    expect(entries[0].message).toBe(`Response target 75 % used (P1 target 20m, due ${iso(at('10:20'))})`);

    await s.runtime.notifier.drain();
    const mine = received.filter((r) => r.body.incident?.id === incidentId);
    expect(mine.map((r) => [r.event, r.body.event])).toEqual([
      ['sla_warning', 'sla_warning'],
      ['sla_warning', 'sla_warning'],
      ['sla_breached', 'sla_breached'],
    ]);
    // The webhook subscribed to SLA events only: no `opened` for it.
    expect(received.every((r) => r.event?.startsWith('sla_'))).toBe(true);

    // Warnings and breaches are signals on the incident, not alerts (nor incidents) of their own.
    expect(await sightlineAlerts()).toEqual([]);
    expect((await json(`/api/v1/incidents/${incidentId}`)).slaSignals.filter((x: any) => x.kind === 'target').map((x: any) => x.event)).toEqual(['sla_warning', 'sla_warning', 'sla_breached']);
  });

  it('shows due times, percent elapsed, holds and breaches in the incident', async () => {
    s.clock.set(at('10:25'));
    expect((await s.request('POST', `/api/v1/incidents/${incidentId}/acknowledge`, { token: s.tokens.write })).status).toBe(200);
    s.clock.set(at('11:00'));
    expect((await s.request('POST', `/api/v1/incidents/${incidentId}/hold`, { token: s.tokens.write, json: { note: 'vendor' } })).status).toBe(200);
    s.clock.set(at('11:30'));
    const onHold = (await json(`/api/v1/incidents/${incidentId}`)).sla;
    expect(onHold.resolution).toMatchObject({ dueAt: null, paused: true, elapsedSeconds: 3600, percentElapsed: 25, state: 'ok', met: null });
    s.clock.set(at('12:00'));
    expect((await s.request('POST', `/api/v1/incidents/${incidentId}/resume`, { token: s.tokens.write })).status).toBe(200);
    s.clock.set(at('12:30'));
    const detail = await json(`/api/v1/incidents/${incidentId}`);
    expect(detail.sla).toEqual({
      priority: 'P1',
      source: 'service',
      calendar: '24x7',
      holds: [{ start: iso(at('11:00')), end: iso(at('12:00')) }],
      response: {
        targetSeconds: 1200,
        dueAt: iso(at('10:20')),
        elapsedSeconds: 1500,
        percentElapsed: 125,
        state: 'breached',
        breached: true,
        met: false,
        paused: false,
        warningAt: { '75': iso(at('10:15')), '90': iso(at('10:18')) },
      },
      resolution: {
        targetSeconds: 4 * 3600,
        // 4 h from 10:00 plus the hour on hold.
        dueAt: iso(at('15:00')),
        elapsedSeconds: 90 * 60,
        percentElapsed: 37.5,
        state: 'ok',
        breached: false,
        met: null,
        paused: false,
        warningAt: { '75': iso(at('14:00')), '90': iso(at('14:36')) },
      },
    });
    expect((await json(`/api/v1/incidents/${incidentId}/sla`)).sla).toEqual(detail.sla);

  });

  it('puts an incident without targets of its own on the global business calendar, holidays skipped', async () => {
    // Saturday 2026-11-21 12:40 UTC; Monday the 23rd is a holiday: the clock starts Tuesday 09:00 Berlin (08:00Z).
    await fire('search-1', { alertname: 'SearchSlow', service: 'search', severity: 'warning' }, at('12:40'));
    const list = await json('/api/v1/incidents?service=search');
    const search = list.items[0];
    expect(search.priority).toBe('P4');
    const sla = (await json(`/api/v1/incidents/${search.id}`)).sla;
    expect(sla).toMatchObject({
      source: 'global',
      calendar: { timeZone: 'Europe/Berlin', holidays: ['2026-11-23'] },
      response: { dueAt: '2026-11-24T09:00:00.000Z', elapsedSeconds: 0, state: 'ok' },
      resolution: { dueAt: '2026-11-24T12:00:00.000Z' },
    });
  });

  it('reports the period with downtime, budget and target compliance, as JSON and CSV', async () => {
    await resolve('pay-1', PAY, at('10:00'), at('13:00'));
    // The burn-rate alerts of payments still fire in it: resolved anyway.
    expect((await s.request('POST', `/api/v1/incidents/${incidentId}/resolve`, { token: s.tokens.write, json: { force: true } })).status).toBe(200);
    // Five quiet minutes later the fast page (1 h and 5 min) stops; the slower page (6 h and
    // 30 min) still burns, so the page episode goes on as it was, and so does the ticket.
    expect((await pass(at('13:06'))).signals).toEqual({ started: 0, ended: 0 });
    s.clock.set(at('14:00'));
    const report = await json('/api/v1/sla/payments/report?period=current');
    expect(report.service).toBe('payments');
    expect(report.periods).toHaveLength(1);
    const period = report.periods[0];
    const downtime = 50 * 60 + 3 * 3600;
    const measured = (at('14:00') - MONTH_START) / S;
    expect(period).toMatchObject({
      start: '2026-11-01T00:00:00.000Z',
      end: '2026-12-01T00:00:00.000Z',
      objective: '99.9',
      allowedDowntimeSeconds: 2592,
      downtimeSeconds: downtime,
      excludedSeconds: 0,
      budgetRemainingSeconds: 2592 - downtime,
      breached: true,
      failures: 4,
      meanTimeToRestoreSeconds: downtime / 4,
    });
    expect(period.sli).toBeCloseTo(1 - downtime / measured, 12);
    expect(period.outages.map((o: any) => o.seconds)).toEqual([600, 600, 1800, 3 * 3600]);
    // The two short incidents of the re-fired alert resolved (and so responded) within 20 min.
    expect(period.targets.P1).toEqual({
      response: { incidents: 3, met: 2, breached: 1, running: 0, compliance: 2 / 3 },
      resolution: { incidents: 3, met: 3, breached: 0, running: 0, compliance: 1 },
    });

    const csv = await s.request('GET', '/api/v1/sla/payments/report?period=current&format=csv', { token: s.tokens.read });
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(csv.headers.get('content-disposition')).toBe('attachment; filename="sla-report-payments.csv"');
    const lines = (await csv.text()).trimEnd().split('\r\n');
    expect(lines[0]).toBe(
      'service,period_start,period_end,objective,sli,allowed_downtime_seconds,downtime_seconds,excluded_seconds,budget_remaining_seconds,breached,outages,mean_time_to_restore_seconds,response_met,response_breached,response_running,resolution_met,resolution_breached,resolution_running',
    );
    expect(lines[1]).toBe(`payments,2026-11-01T00:00:00.000Z,2026-12-01T00:00:00.000Z,99.9,${period.sli},2592,${downtime},0,${2592 - downtime},true,4,${downtime / 4},2,1,0,3,0,0`);

    // All services, the previous month (nothing happened then), and an explicit range of two months.
    const all = await json('/api/v1/sla/report?period=previous');
    expect(all.items.map((r: any) => [r.service, r.periods[0].start, r.periods[0].downtimeSeconds])).toEqual([['payments', '2026-10-01T00:00:00.000Z', 0]]);
    const range = await json('/api/v1/sla/payments/report?from=2026-10-15T00:00:00Z&to=2026-11-15T00:00:00Z');
    expect(range.periods.map((p: any) => p.start)).toEqual(['2026-10-01T00:00:00.000Z', '2026-11-01T00:00:00.000Z']);
  });

  it('rejects bad report queries with 400 and answers 404, 401 and 403 like the other routes', async () => {
    for (const q of ['period=last', 'from=2026-11-01T00:00:00Z', 'from=2026-11-02T00:00:00Z&to=2026-11-01T00:00:00Z', 'period=current&from=2026-11-01T00:00:00Z&to=2026-11-02T00:00:00Z', 'format=xml', 'from=yesterday&to=today', 'extra=1', 'from=1990-01-01T00:00:00Z&to=2026-11-01T00:00:00Z']) {
      const res = await s.request('GET', `/api/v1/sla/payments/report?${q}`, { token: s.tokens.read });
      expect(res.status, q).toBe(400);
      expect(((await res.json()) as any).error.code, q).toBe('VALIDATION');
    }
    expect((await s.request('GET', '/api/v1/sla/search/report', { token: s.tokens.read })).status).toBe(404);
    expect((await s.request('GET', '/api/v1/incidents/999999/sla', { token: s.tokens.read })).status).toBe(404);
    expect((await s.request('GET', '/api/v1/incidents/abc/sla', { token: s.tokens.read })).status).toBe(400);
    for (const path of ['/api/v1/sla/report', '/api/v1/sla/payments/report', `/api/v1/incidents/${incidentId}/sla`]) {
      expect((await s.request('GET', path, { token: null })).status, path).toBe(401);
      expect((await s.request('GET', path, { token: s.tokens.ingest })).status, path).toBe(403);
    }
  });

  it('reuses one evaluation for the cache TTL (10 s) unless the catalogue changes', async () => {
    s.clock.set(at('15:00'));
    // The list (and /metrics, and the periodic pass) fills the cache; one service's read uses it when fresh.
    const before = (await json('/api/v1/sla')).items.find((i: any) => i.service === 'payments');
    await fire('pay-2', PAY, at('14:59'));
    s.clock.set(at('15:00') + 9 * S);
    // Within the TTL: the evaluation of 15:00, the new outage not in it yet.
    expect(await json('/api/v1/sla/payments')).toEqual(before);
    expect((await json('/api/v1/sla')).items.find((i: any) => i.service === 'payments')).toEqual(before);
    s.clock.set(at('15:00') + 10 * S);
    const after = await json('/api/v1/sla/payments');
    expect(after.downtimeSeconds).toBe(before.downtimeSeconds + 70);
    // A policy edit shows at once.
    const edit = await s.request('PUT', '/api/v1/services/payments', { token: s.tokens.write, json: { tier: 1, sla: { objective: '99.5', targets: { P1: { respond: '20m', resolve: '4h' } } } } });
    expect(edit.status).toBe(200);
    expect((await json('/api/v1/sla/payments')).objective).toBe('99.5');
  });

  it('exports breached targets by priority and target on /metrics', async () => {
    const text = await (await s.request('GET', '/metrics', { token: null })).text();
    expect(text).toContain('sightline_sla_incidents_breached{priority="P1",target="response"} 1');
    expect(text).not.toContain('target="resolution"} ');
  });
});
