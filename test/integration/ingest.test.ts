import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captured, makeNativeAlert } from '../helpers/fixtures.js';
import { dialects, startTestServer, T0, type TestServer } from '../helpers/runtime.js';

const MIN = 60_000;

describe.each(dialects())('ingest on %s', (dialect) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer(dialect, {
      SIGHTLINE_GRAFANA_HMAC_SECRET: 'grafana-secret',
      SIGHTLINE_BODY_LIMIT_BYTES: String(64 * 1024),
    });
  });
  afterAll(async () => s?.close());

  async function incidents(query = '') {
    const res = await s.request('GET', `/api/v1/incidents${query}`);
    expect(res.status).toBe(200);
    return ((await res.json()) as { items: any[] }).items;
  }
  async function detail(id: number) {
    const res = await s.request('GET', `/api/v1/incidents/${id}`);
    expect(res.status).toBe(200);
    return (await res.json()) as any;
  }

  it('Alertmanager webhook: firing then resolved opens and later auto-resolves an incident', async () => {
    s.clock.set(Date.parse('2026-11-21T04:41:30Z'));
    const firing = captured('alertmanager-0.25-webhook-firing-DiskWillFillIn4Hours.json').body;
    const res = await s.request('POST', '/api/v1/alerts/alertmanager', { token: s.tokens.ingest, json: firing });
    expect(res.status).toBe(200);
    await s.settle();
    const [incident] = await incidents('?service=payments');
    expect(incident).toMatchObject({ title: 'DiskWillFillIn4Hours: Disk is predicted to fill within 4 hours', status: 'open', priority: 'P2', alertCount: 1, service: 'payments' });

    // Retries and repeats change no counts.
    for (let i = 0; i < 3; i++) expect((await s.request('POST', '/api/v1/alerts/alertmanager', { token: s.tokens.ingest, json: firing })).status).toBe(200);
    await s.settle();
    const again = await detail(incident.id);
    expect(again.alertCount).toBe(1);
    expect(again.alerts).toHaveLength(1);
    expect(again.alerts[0]).toMatchObject({ source: 'alertmanager', fingerprint: '4fdda2f799d95d5d', status: 'firing', occurrences: 1 });

    const resolved = captured('alertmanager-0.25-webhook-resolved-DiskWillFillIn4Hours.json').body;
    s.clock.set(Date.parse('2026-11-21T04:46:35Z'));
    expect((await s.request('POST', '/api/v1/alerts/alertmanager', { token: s.tokens.ingest, json: resolved })).status).toBe(200);
    await s.settle();
    expect((await detail(incident.id)).status).toBe('open'); // hold-down not over yet
    s.clock.set(Date.parse('2026-11-21T04:46:30.568Z') + 5 * MIN);
    await s.settle();
    const done = await detail(incident.id);
    expect(done).toMatchObject({ status: 'resolved', resolution: 'auto', resolvedAt: '2026-11-21T04:46:30.568Z', firingCount: 0 });
    expect(done.timeline.map((t: any) => t.kind)).toEqual(['opened', 'alert_resolved', 'resolved']);
  });

  it('Alertmanager API v2 (Prometheus): captured re-sends extend one lease; expiry resolves', async () => {
    const start = Date.parse('2026-11-21T04:41:30Z');
    for (let i = 1; i <= 5; i++) {
      s.clock.set(start + (i - 1) * 65_000);
      const body = captured(`prometheus-2.42-post-api-v2-alerts-${i}.json`).body;
      const res = await s.request('POST', '/api/v2/alerts', { token: s.tokens.ingest, json: body });
      expect(res.status).toBe(200);
      await s.settle();
    }
    const [incident] = await incidents('?service=checkout');
    expect(incident).toMatchObject({ title: 'HostHighCpuLoad: CPU load is high on', status: 'open', alertCount: 1, firingCount: 1 });
    const d = await detail(incident.id);
    expect(d.alerts[0]).toMatchObject({ source: 'prometheus', occurrences: 1, endsAt: '2026-11-21T04:50:50.568Z' });
    // No re-send: the lease runs out and the alert resolves at its end, then the incident after hold-down.
    s.clock.set(Date.parse('2026-11-21T04:50:51Z'));
    await s.settle();
    expect((await detail(incident.id)).alerts[0].status).toBe('resolved');
    s.clock.set(Date.parse('2026-11-21T04:56:00Z'));
    await s.settle();
    expect((await detail(incident.id)).status).toBe('resolved');

    // Prometheus comes back after a gap longer than the lease: same startsAt, later lease.
    // The fault never ended, so the alert fires again and its incident reopens.
    s.clock.set(Date.parse('2026-11-21T04:57:00Z'));
    const resent = captured<any[]>('prometheus-2.42-post-api-v2-alerts-5.json').body.map((a) => ({ ...a, endsAt: '2026-11-21T05:01:00.000Z' }));
    expect((await s.request('POST', '/api/v2/alerts', { token: s.tokens.ingest, json: resent })).status).toBe(200);
    await s.settle();
    const back = await detail(incident.id);
    expect(back).toMatchObject({ status: 'open', firingCount: 1, alertCount: 1 });
    expect(back.alerts[0]).toMatchObject({ status: 'firing', endsAt: '2026-11-21T05:01:00.000Z' });
    expect(back.timeline.map((t: any) => t.kind)).toContain('reopened');

    // The sender resolves it; a late copy of an older firing event (same startsAt, a lease
    // reaching past the resolution) must not bring it back.
    s.clock.set(Date.parse('2026-11-21T04:58:00Z'));
    const resolvedBySender = resent.map((a) => ({ ...a, endsAt: '2026-11-21T04:58:00.000Z' }));
    await s.request('POST', '/api/v2/alerts', { token: s.tokens.ingest, json: resolvedBySender });
    const lateCopy = resent.map((a) => ({ ...a, endsAt: '2026-11-21T05:02:00.000Z' }));
    await s.request('POST', '/api/v2/alerts', { token: s.tokens.ingest, json: lateCopy });
    await s.settle();
    expect((await detail(incident.id)).alerts[0]).toMatchObject({ status: 'resolved', endsAt: '2026-11-21T04:58:00.000Z' });
  });

  it('groups alerts of one service into one incident and escalates priority', async () => {
    s.clock.set(T0 + 60 * MIN);
    const at = (m: number) => new Date(T0 + 60 * MIN + m * MIN).toISOString();
    const res = await s.request('POST', '/api/v1/alerts', {
      token: s.tokens.ingest,
      json: {
        alerts: [
          makeNativeAlert({ labels: { alertname: 'HighLatency', service: 'search', severity: 'warning' }, startsAt: at(0) }),
          makeNativeAlert({ labels: { alertname: 'ErrorRate', service: 'search', severity: 'critical' }, startsAt: at(3) }),
          makeNativeAlert({ labels: { alertname: 'PodRestarts', service: 'search', severity: 'info' }, startsAt: at(25) }),
        ],
      },
    });
    expect(res.status).toBe(200);
    await s.settle();
    const items = await incidents('?service=search');
    expect(items.map((i) => [i.alertCount, i.priority])).toEqual([
      [1, 'P4'],
      [2, 'P2'],
    ]);
    const joined = (await detail(items[1].id)).timeline.find((t: any) => t.kind === 'alert_joined');
    expect(joined.data).toMatchObject({ method: 'group', groupKey: 'service=search', gapMs: 3 * MIN });
  });

  it('correlates a backfill sent out of order in event time, as live', async () => {
    const base = T0 + 10 * 60 * MIN;
    s.clock.set(base + 48 * 60 * MIN);
    const at = (m: number) => new Date(base + m * MIN).toISOString();
    const res = await s.request('POST', '/api/v1/alerts', {
      token: s.tokens.ingest,
      json: {
        alerts: [
          makeNativeAlert({ labels: { alertname: 'B', service: 'ledger' }, status: 'resolved', startsAt: at(8), endsAt: at(12) }),
          makeNativeAlert({ labels: { alertname: 'A', service: 'ledger' }, status: 'resolved', startsAt: at(0), endsAt: at(5) }),
          makeNativeAlert({ labels: { alertname: 'C', service: 'ledger' }, status: 'resolved', startsAt: at(40), endsAt: at(41) }),
        ],
      },
    });
    expect(res.status).toBe(200);
    await s.settle();
    const items = await incidents('?service=ledger');
    expect(items.map((i) => [i.alertCount, i.status, i.openedAt, i.resolvedAt])).toEqual([
      [1, 'closed', at(40), at(41)],
      [2, 'closed', at(0), at(12)],
    ]);
  });

  it('PagerDuty: trigger, acknowledge, resolve by dedup_key with PagerDuty responses', async () => {
    s.clock.set(T0 + 30 * 60 * MIN);
    const trigger = {
      routing_key: s.tokens.ingest,
      event_action: 'trigger',
      dedup_key: 'pd-disk-1',
      payload: { summary: 'Disk full on db-9', source: 'db-9', severity: 'error', group: 'billing' },
    };
    const res = await s.request('POST', '/v2/enqueue', { token: null, json: trigger });
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ status: 'success', message: 'Event processed', dedup_key: 'pd-disk-1' });
    await s.settle();
    const [incident] = await incidents('?service=billing');
    expect(incident).toMatchObject({ status: 'open', title: 'PagerDutyEvent: Disk full on db-9', host: 'db-9' });

    expect((await s.request('POST', '/v2/enqueue', { token: null, json: { routing_key: s.tokens.ingest, event_action: 'acknowledge', dedup_key: 'pd-disk-1' } })).status).toBe(202);
    await s.settle();
    expect((await detail(incident.id)).status).toBe('acknowledged');

    expect((await s.request('POST', '/v2/enqueue', { token: null, json: { routing_key: s.tokens.ingest, event_action: 'resolve', dedup_key: 'pd-disk-1' } })).status).toBe(202);
    await s.settle();
    expect((await detail(incident.id)).alerts[0].status).toBe('resolved');

    const noKey = await s.request('POST', '/v2/enqueue', { token: null, json: { ...trigger, dedup_key: undefined } });
    const body = (await noKey.json()) as { dedup_key: string };
    expect(noKey.status).toBe(202);
    expect(body.dedup_key).toMatch(/^[0-9a-f-]{36}$/);

    const invalid = await s.request('POST', '/v2/enqueue', { token: null, json: { ...trigger, payload: { summary: 'x' } } });
    expect(invalid.status).toBe(400);
    expect(await invalid.json()).toMatchObject({ status: 'invalid event', message: 'Event object is invalid', errors: expect.arrayContaining([expect.stringContaining("'payload.source'")]) });

    // PagerDuty's contract is 202/400/429: an unknown routing key is an invalid event, in its body shape.
    const unknown = await s.request('POST', '/v2/enqueue', { token: null, json: { ...trigger, routing_key: 'not-a-token' } });
    expect(unknown.status).toBe(400);
    expect(await unknown.json()).toEqual({ status: 'invalid event', message: 'Event object is invalid', errors: [expect.stringContaining('Invalid routing key')] });
    expect((await s.request('POST', '/v2/enqueue', { token: null, json: { ...trigger, routing_key: s.tokens.read } })).status).toBe(403);
    // Without any credential, or with a wrong bearer token, authentication still answers 401.
    expect((await s.request('POST', '/v2/enqueue', { token: null, json: { ...trigger, routing_key: undefined } })).status).toBe(401);
    expect((await s.request('POST', '/v2/enqueue', { token: 'not-a-token', json: trigger })).status).toBe(401);
  });

  it('Grafana: checks the HMAC signature over the raw body', async () => {
    s.clock.set(T0 + 40 * 60 * MIN);
    const body = JSON.stringify({
      receiver: 'sightline',
      status: 'firing',
      orgId: 1,
      version: '1',
      alerts: [{ status: 'firing', labels: { alertname: 'GrafanaCPU', service: 'grafana-svc', severity: 'warning' }, annotations: { summary: 'CPU' }, startsAt: new Date(T0 + 40 * 60 * MIN).toISOString(), endsAt: '0001-01-01T00:00:00Z', fingerprint: 'c6eadffa33fcdf37', values: { B: 44.2 } }],
      title: '[FIRING:1]',
      state: 'alerting',
      message: 'x',
    });
    const sig = createHmac('sha256', 'grafana-secret').update(body).digest('hex');
    const headers = { 'content-type': 'application/json' };
    expect((await s.request('POST', '/api/v1/alerts/grafana', { token: s.tokens.ingest, body, headers })).status).toBe(401);
    expect((await s.request('POST', '/api/v1/alerts/grafana', { token: s.tokens.ingest, body, headers: { ...headers, 'x-grafana-alerting-signature': 'ab'.repeat(32) } })).status).toBe(401);
    const ok = await s.request('POST', '/api/v1/alerts/grafana', { token: s.tokens.ingest, body, headers: { ...headers, 'x-grafana-alerting-signature': sig } });
    expect(ok.status).toBe(200);
    await s.settle();
    const [incident] = await incidents('?service=grafana-svc');
    expect((await detail(incident.id)).alerts[0]).toMatchObject({ source: 'grafana', fingerprint: 'c6eadffa33fcdf37' });
  });

  it('a partly bad batch stores the valid alerts and names the bad ones', async () => {
    s.clock.set(T0 + 50 * 60 * MIN);
    const res = await s.request('POST', '/api/v1/alerts', {
      token: s.tokens.ingest,
      json: { alerts: [makeNativeAlert({ labels: { alertname: 'Good', service: 'partial' }, startsAt: new Date(T0 + 50 * 60 * MIN).toISOString() }), { labels: { alertname: 'Bad' }, status: 'exploded' }] },
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as any;
    expect(body.error).toMatchObject({ code: 'VALIDATION', details: { accepted: 1, rejected: 1, issues: [{ index: 1, path: 'alerts.1.status' }] } });
    expect(body.error.requestId).toEqual(expect.any(String));
    await s.settle();
    expect(await incidents('?service=partial')).toHaveLength(1);
  });

  it.each([
    ['malformed JSON', { body: '{"alerts": [', headers: { 'content-type': 'application/json' } }, 400, 'malformed JSON'],
    ['wrong content type', { body: 'alerts=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } }, 415, 'application/json'],
    ['missing content type', { body: '{}' }, 415, 'Content-Type'],
    ['empty body', { body: '', headers: { 'content-type': 'application/json' } }, 400, 'empty'],
    ['wrong types', { json: { alerts: 'many' } }, 400, 'alerts'],
    ['invalid UTF-8', { body: Buffer.from([0x7b, 0xff, 0xfe, 0x7d]).toString('latin1'), headers: { 'content-type': 'application/json' } }, 400, ''],
    ['oversized body', { json: { alerts: [makeNativeAlert({ annotations: { summary: 'x'.repeat(70 * 1024) } })] } }, 413, 'exceeds'],
  ] as const)('%s gets a %s naming the problem', async (_name, options, status, text) => {
    const res = await s.request('POST', '/api/v1/alerts', { token: s.tokens.ingest, ...(options as any) });
    expect(res.status).toBe(status);
    const body = (await res.json()) as any;
    expect(body.error.message).toContain(text);
  });

  it('needs a token with the ingest scope', async () => {
    const json = { alerts: [makeNativeAlert()] };
    const none = await s.request('POST', '/api/v1/alerts', { token: null, json });
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toContain('Bearer');
    expect((await s.request('POST', '/api/v1/alerts', { token: 'sl_wrong', json })).status).toBe(401);
    expect((await s.request('POST', '/api/v1/alerts', { token: s.tokens.read, json })).status).toBe(403);
    expect((await s.request('POST', '/api/v2/alerts', { token: s.tokens.write, json: [] })).status).toBe(403);
  });

  it('counts ingest outcomes in /metrics without a token', async () => {
    // The same alert twice in one request: merged, counted as a duplicate.
    const firing = captured('alertmanager-0.25-webhook-firing-DiskWillFillIn4Hours.json').body as { alerts: unknown[] };
    const twice = { ...firing, alerts: [...firing.alerts, ...firing.alerts] };
    expect((await s.request('POST', '/api/v1/alerts/alertmanager', { token: s.tokens.ingest, json: twice })).status).toBe(200);
    const res = await s.request('GET', '/metrics', { token: null });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toMatch(/sightline_alerts_ingested_total\{source="alertmanager",outcome="accepted"\} [1-9]/);
    expect(text).toMatch(/sightline_alerts_ingested_total\{source="alertmanager",outcome="duplicate"\} [1-9]/);
    expect(text).toMatch(/sightline_alerts_ingested_total\{source="api",outcome="rejected"\} [1-9]/);
    expect(text).toMatch(/sightline_incidents_open\{priority="P3"\} \d+/);
    expect(text).toContain('sightline_build_info{version=');
    expect(text).toMatch(/sightline_http_request_duration_seconds_count\{method="POST",route="\/api\/v1\/alerts",status="400"\} [1-9]/);
  });
});
