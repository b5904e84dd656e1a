import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeNativeAlert } from '../helpers/fixtures.js';
import { dialects, startTestServer, T0, type TestServer } from '../helpers/runtime.js';

const MIN = 60_000;
const iso = (ms: number) => new Date(ms).toISOString();

const YAML = `
correlation:
  rules:
    - name: network
      match: { team: network }
      groupBy: [site]
      joinWindow: 30m
  flap:
    window: 30m
    threshold: 4
  inhibitRules:
    - sourceMatch: { alertname: HostDown }
      targetMatch: { severity: warning }
      equal: [host]
`;

describe.each(dialects())('noise control on %s', (dialect) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer(dialect, {}, YAML);
  });
  afterAll(async () => s?.close());

  async function fire(alerts: Record<string, unknown>[]) {
    expect((await s.request('POST', '/api/v1/alerts', { token: s.tokens.ingest, json: { alerts } })).status).toBe(200);
    await s.settle();
  }
  async function alertRow(fingerprint: string) {
    return s.runtime.handle.db.selectFrom('alerts').selectAll().where('fingerprint', '=', fingerprint).executeTakeFirstOrThrow();
  }

  it('keeps alerts inside a maintenance window out of incidents, and correlates them when it ends', async () => {
    s.clock.set(T0);
    const created = await s.request('POST', '/api/v1/silences', {
      token: s.tokens.write,
      json: { kind: 'maintenance', matchers: { service: 'billing' }, duration: '1h', comment: 'database upgrade' },
    });
    expect(created.status).toBe(201);
    const silence = (await created.json()) as any;
    expect(silence).toMatchObject({ kind: 'maintenance', state: 'active', createdBy: 'test-write', endsAt: iso(T0 + 60 * MIN) });

    await fire([
      makeNativeAlert({ labels: { alertname: 'BillingDown', service: 'billing' }, startsAt: iso(T0 + 5 * MIN), fingerprint: 'billing-down' }),
      makeNativeAlert({ labels: { alertname: 'BillingSlow', service: 'billing' }, status: 'resolved', startsAt: iso(T0 + 6 * MIN), endsAt: iso(T0 + 7 * MIN), fingerprint: 'billing-slow' }),
    ]);
    expect(await alertRow('billing-down')).toMatchObject({ suppressed_by: silence.id, incident_id: null, status: 'firing' });
    expect(await alertRow('billing-slow')).toMatchObject({ suppressed_by: silence.id, incident_id: null, status: 'resolved' });
    const listed = (await (await s.request('GET', '/api/v1/alerts?suppressed=true', { token: s.tokens.read })).json()) as any;
    expect(listed.items.map((a: any) => a.fingerprint).sort()).toEqual(['billing-down', 'billing-slow']);
    const incidents = (await (await s.request('GET', '/api/v1/incidents?service=billing', { token: s.tokens.read })).json()) as any;
    expect(incidents.items).toEqual([]);

    // Ended early by hand: the alert that still fires becomes an incident.
    s.clock.set(T0 + 20 * MIN);
    expect((await s.request('DELETE', `/api/v1/silences/${silence.id}`, { token: s.tokens.write })).status).toBe(200);
    expect((await s.request('DELETE', `/api/v1/silences/${silence.id}`, { token: s.tokens.write })).status).toBe(409);
    await s.settle();
    expect(await alertRow('billing-down')).toMatchObject({ suppressed_by: null, incident_id: expect.any(Number), occurrences: 1 });
    const after = (await (await s.request('GET', '/api/v1/incidents?service=billing', { token: s.tokens.read })).json()) as any;
    expect(after.items.map((i: any) => [i.title, i.alertCount])).toEqual([['BillingDown: p99 latency above 500ms', 1]]);
    expect(((await (await s.request('GET', '/api/v1/silences?state=expired', { token: s.tokens.read })).json()) as any).items).toHaveLength(1);
  });

  it('applies silences in event time, so a backfill after the silence ended is still suppressed', async () => {
    s.clock.set(T0 + 100 * MIN);
    const res = await s.request('POST', '/api/v1/silences', {
      token: s.tokens.write,
      json: { matchers: [{ name: 'alertname', value: 'Batch.*', isRegex: true }], startsAt: iso(T0 + 100 * MIN), endsAt: iso(T0 + 110 * MIN), comment: 'nightly batch' },
    });
    expect(res.status).toBe(201);
    s.clock.set(T0 + 200 * MIN);
    await fire([
      makeNativeAlert({ labels: { alertname: 'BatchLate', service: 'etl' }, status: 'resolved', startsAt: iso(T0 + 105 * MIN), endsAt: iso(T0 + 106 * MIN), fingerprint: 'batch-in' }),
      makeNativeAlert({ labels: { alertname: 'BatchLate', service: 'etl2' }, status: 'resolved', startsAt: iso(T0 + 115 * MIN), endsAt: iso(T0 + 116 * MIN), fingerprint: 'batch-out' }),
    ]);
    expect((await alertRow('batch-in')).suppressed_by).not.toBeNull();
    expect(await alertRow('batch-out')).toMatchObject({ suppressed_by: null, incident_id: expect.any(Number) });
  });

  it('validates silences', async () => {
    const bad = async (json: unknown) => (await s.request('POST', '/api/v1/silences', { token: s.tokens.write, json })).status;
    expect(await bad({ matchers: {}, duration: '1h', comment: 'x' })).toBe(400);
    expect(await bad({ matchers: [{ name: 'a', value: '(', isRegex: true }], duration: '1h', comment: 'x' })).toBe(400);
    expect(await bad({ matchers: { a: 'b' }, comment: 'x' })).toBe(400);
    expect(await bad({ matchers: { a: 'b' }, duration: '1h' })).toBe(400);
    expect(await bad({ matchers: { a: 'b' }, endsAt: '2000-01-01T00:00:00Z', comment: 'x' })).toBe(400);
    expect((await s.request('POST', '/api/v1/silences', { token: s.tokens.read, json: { matchers: { a: 'b' }, duration: '1h', comment: 'x' } })).status).toBe(403);
  });

  it('marks a flapping alert and lets it reopen its incident without paging again', async () => {
    const t = T0 + 400 * MIN;
    s.clock.set(t + 60 * MIN);
    const labels = { alertname: 'Flaky', instance: 'flaky-1:9100' };
    // Firing for a minute every two minutes: each re-fire lands inside the 5m resolve hold-down.
    const events = [];
    for (let k = 0; k < 3; k++) {
      events.push(makeNativeAlert({ labels, status: 'resolved', startsAt: iso(t + k * 2 * MIN), endsAt: iso(t + k * 2 * MIN + MIN), fingerprint: 'flaky' }));
    }
    for (const e of events) await fire([e]);
    const row = await alertRow('flaky');
    expect(row.flapping).toBe(1);
    const incident = (await (await s.request('GET', `/api/v1/incidents/${row.incident_id}`, { token: s.tokens.read })).json()) as any;
    const kinds = incident.timeline.map((e: any) => e.kind);
    expect(kinds).toContain('flapping');
    expect(kinds).toContain('reopened_flapping');
    expect(kinds.filter((k: string) => k === 'reopened')).toHaveLength(1); // only before it was known to flap
    expect(incident.alerts[0]).toMatchObject({ flapping: true, occurrences: 3 });
  });

  it('groups by an explicit rule with its own join window', async () => {
    const t = T0 + 700 * MIN;
    s.clock.set(t + 60 * MIN);
    await fire([
      makeNativeAlert({ labels: { alertname: 'LinkDown', team: 'network', site: 'ams', instance: 'sw-1:161' }, startsAt: iso(t), fingerprint: 'n1' }),
      makeNativeAlert({ labels: { alertname: 'BgpFlap', team: 'network', site: 'ams', instance: 'rt-4:161' }, startsAt: iso(t + 25 * MIN), fingerprint: 'n2' }),
      makeNativeAlert({ labels: { alertname: 'LinkDown', team: 'network', site: 'fra', instance: 'sw-9:161' }, annotations: { summary: 'uplink to fra-core lost' }, startsAt: iso(t + MIN), fingerprint: 'n3' }),
    ]);
    const [n1, n2, n3] = [await alertRow('n1'), await alertRow('n2'), await alertRow('n3')];
    expect(n2.incident_id).toBe(n1.incident_id); // 25 minutes apart: inside the rule's 30m window
    expect(n3.incident_id).not.toBe(n1.incident_id);
    const incident = (await (await s.request('GET', `/api/v1/incidents/${n1.incident_id}`, { token: s.tokens.read })).json()) as any;
    expect(incident.groupKey).toBe('rule=network,site=ams');
    expect(incident.timeline.find((e: any) => e.kind === 'alert_joined').data).toMatchObject({ method: 'rule', evidence: { rule: 'network' } });
  });

  it('inhibits warnings on a host that is down, also when the host alert comes last', async () => {
    const t = T0 + 900 * MIN;
    s.clock.set(t + 30 * MIN);
    await fire([makeNativeAlert({ labels: { alertname: 'HostDown', host: 'h1', severity: 'critical' }, annotations: { summary: 'host h1 down' }, startsAt: iso(t), fingerprint: 'down-h1' })]);
    await fire([
      makeNativeAlert({ labels: { alertname: 'DiskSlow', host: 'h1', severity: 'warning' }, annotations: { summary: 'disk slow' }, startsAt: iso(t + MIN), fingerprint: 'slow-h1' }),
      makeNativeAlert({ labels: { alertname: 'DiskSlow', host: 'h2', severity: 'warning' }, annotations: { summary: 'disk slow' }, startsAt: iso(t + MIN), fingerprint: 'slow-h2' }),
    ]);
    expect(await alertRow('slow-h1')).toMatchObject({ suppressed_by: 'inhibited:api/down-h1', incident_id: null });
    expect((await alertRow('slow-h2')).incident_id).not.toBeNull();

    // Source after target: the warning already in an incident is muted there.
    await fire([makeNativeAlert({ labels: { alertname: 'FanNoise', host: 'h3', severity: 'warning' }, annotations: { summary: 'fan loud' }, startsAt: iso(t + 2 * MIN), fingerprint: 'fan-h3' })]);
    const before = await alertRow('fan-h3');
    await fire([makeNativeAlert({ labels: { alertname: 'HostDown', host: 'h3', severity: 'critical' }, annotations: { summary: 'host h3 down' }, startsAt: iso(t + 3 * MIN), fingerprint: 'down-h3' })]);
    expect(await alertRow('fan-h3')).toMatchObject({ suppressed_by: 'inhibited:api/down-h3', incident_id: before.incident_id });
    const muted = (await (await s.request('GET', `/api/v1/incidents/${before.incident_id}`, { token: s.tokens.read })).json()) as any;
    // HostDown and FanNoise are unrelated families: HostDown opened its own incident, and
    // nothing fires in the fan's any more.
    expect((await alertRow('down-h3')).incident_id).not.toBe(before.incident_id);
    expect(muted.firingCount).toBe(0);
    expect(muted.timeline.map((e: any) => e.kind)).toContain('inhibited');

    // The host comes back: the warning, still firing, is correlated again.
    await fire([makeNativeAlert({ labels: { alertname: 'HostDown', host: 'h3', severity: 'critical' }, status: 'resolved', startsAt: iso(t + 3 * MIN), endsAt: iso(t + 10 * MIN), fingerprint: 'down-h3' })]);
    expect((await alertRow('fan-h3')).suppressed_by).toBeNull();
  });
});
