/**
 * Times sent in, through the real app on both databases: every ingest format, heartbeats,
 * silences and query filters take only RFC 3339 with an offset, and what is observed must lie
 * within `ingest.timeSkew` of the server's clock (a year back, an hour ahead by default).
 * Refused alerts are named by index with the field and the reason; the rest of the batch
 * is stored, as for any other invalid alert; nothing refused reaches an incident.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeNativeAlert } from '../helpers/fixtures.js';
import { dialects, startTestServer, T0, type TestServer } from '../helpers/runtime.js';

const MIN = 60_000;
const iso = (ms: number) => new Date(ms).toISOString();
const Y1900 = '1900-01-01T00:00:00Z';
const Y1970 = '1970-01-01T00:00:00Z';
const Y9999 = '9999-12-31T00:00:00Z';
/** T0 without its offset: read in the server's zone it would be a different instant on each replica. */
const ZONELESS = '2026-11-21T04:00:00';

interface ErrorBody {
  error: { code: string; message: string; details?: { issues?: { index: number; path: string; message: string }[]; accepted?: number; rejected?: number } };
}

describe.each(dialects())('times sent in, on %s', (dialect) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer(dialect);
  });
  afterAll(async () => s?.close());

  const ingest = (path: string, json: unknown) => s.request('POST', path, { token: s.tokens.ingest, json });
  async function incidentTitles(): Promise<string[]> {
    const res = await s.request('GET', '/api/v1/incidents?status=open,acknowledged,resolved,closed&limit=500');
    return ((await res.json()) as { items: { title: string }[] }).items.map((i) => i.title);
  }

  it('Alertmanager webhook: far and zone-less starts are refused by index, the good alert stored; zero endsAt still means firing', async () => {
    s.clock.set(T0 + 5 * MIN);
    const alert = (name: string, startsAt: string, extra: Record<string, unknown> = {}) => ({ status: 'firing', labels: { alertname: name, service: 'am-times' }, annotations: { summary: name }, startsAt, endsAt: '0001-01-01T00:00:00Z', ...extra });
    const res = await ingest('/api/v1/alerts/alertmanager', {
      version: '4',
      status: 'firing',
      alerts: [alert('AmGood', iso(T0)), alert('AmIn1900', Y1900), alert('AmIn1970', Y1970), alert('AmIn9999', Y9999), alert('AmZoneless', ZONELESS), alert('AmEndsIn9999', iso(T0), { status: 'resolved', endsAt: Y9999 })],
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as ErrorBody;
    expect(body.error).toMatchObject({ code: 'VALIDATION', details: { accepted: 1, rejected: 5 } });
    expect(body.error.details?.issues?.map((i) => i.path)).toEqual(['alerts.1.startsAt', 'alerts.2.startsAt', 'alerts.3.startsAt', 'alerts.4.startsAt', 'alerts.5.endsAt']);
    expect(body.error.message).toContain("alerts.1.startsAt: startsAt 1900-01-01T00:00:00.000Z is more than 365d before the server's time");
    expect(body.error.details?.issues?.[2]?.message).toContain('more than 1h after');
    expect(body.error.details?.issues?.[3]?.message).toContain('has no UTC offset');
    await s.settle();
    const titles = await incidentTitles();
    expect(titles).toContain('AmGood: AmGood');
    expect(titles.filter((t) => t.startsWith('AmIn') || t.startsWith('AmZone') || t.startsWith('AmEnds'))).toEqual([]);
    const incidents = ((await (await s.request('GET', '/api/v1/incidents?service=am-times')).json()) as { items: { id: number }[] }).items;
    const detail = (await (await s.request('GET', `/api/v1/incidents/${incidents[0]?.id}`)).json()) as { status: string; alerts: { status: string; endsAt: string | null }[] };
    expect(detail.alerts[0]).toMatchObject({ status: 'firing', endsAt: null });
  });

  it('Alertmanager API v2 (Prometheus): a start in 9999 is refused, and no incident opens in 9999 to resolve before it opened', async () => {
    s.clock.set(T0 + 10 * MIN);
    const res = await ingest('/api/v2/alerts', [
      { labels: { alertname: 'PromGood', service: 'prom-times' }, startsAt: iso(T0 + 9 * MIN) },
      { labels: { alertname: 'PromIn9999', service: 'prom-times' }, startsAt: Y9999 },
      { labels: { alertname: 'PromZoneless', service: 'prom-times' }, startsAt: ZONELESS },
    ]);
    expect(res.status).toBe(400);
    const body = (await res.json()) as ErrorBody;
    expect(body.error.details?.issues?.map((i) => [i.index, i.path])).toEqual([
      [1, 'alerts.1.startsAt'],
      [2, 'alerts.2.startsAt'],
    ]);
    await s.settle();
    const titles = await incidentTitles();
    expect(titles.some((t) => t.startsWith('PromGood'))).toBe(true);
    expect(titles.some((t) => t.startsWith('PromIn9999') || t.startsWith('PromZoneless'))).toBe(false);
  });

  it('Grafana webhook: an end an hour and more ahead is refused, the good alert stored', async () => {
    s.clock.set(T0 + 15 * MIN);
    const res = await ingest('/api/v1/alerts/grafana', {
      receiver: 'sightline',
      status: 'firing',
      orgId: 1,
      alerts: [
        { status: 'firing', labels: { alertname: 'GrafanaGood', service: 'grafana-times' }, startsAt: iso(T0 + 14 * MIN), endsAt: '0001-01-01T00:00:00Z' },
        { status: 'resolved', labels: { alertname: 'GrafanaLateEnd', service: 'grafana-times' }, startsAt: iso(T0 + 14 * MIN), endsAt: iso(T0 + 15 * MIN + 61 * MIN) },
      ],
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as ErrorBody;
    expect(body.error.details).toMatchObject({ accepted: 1, rejected: 1 });
    expect(body.error.details?.issues?.[0]).toMatchObject({ index: 1, path: 'alerts.1.endsAt', message: expect.stringContaining('more than 1h after') });
  });

  it('PagerDuty Events v2: a far or zone-less payload.timestamp is an invalid event naming the field', async () => {
    s.clock.set(T0 + 20 * MIN);
    const trigger = (timestamp: string) => ({ routing_key: s.tokens.ingest, event_action: 'trigger', dedup_key: `pd-${timestamp}`, payload: { summary: 'disk full', source: 'db-9', severity: 'error', timestamp } });
    for (const [timestamp, reason] of [[Y1900, 'more than 365d before'], [Y9999, 'more than 1h after'], [ZONELESS, 'has no UTC offset']] as const) {
      const res = await s.request('POST', '/v2/enqueue', { token: null, json: trigger(timestamp) });
      expect(res.status, timestamp).toBe(400);
      const body = (await res.json()) as { status: string; errors: string[] };
      expect(body.status).toBe('invalid event');
      expect(body.errors[0]).toMatch(new RegExp(`^'payload.timestamp': .*${reason}`));
    }
    expect((await s.request('POST', '/v2/enqueue', { token: null, json: trigger(iso(T0 + 19 * MIN)) })).status).toBe(202);
  });

  it('native API: refuses by index; a resolved alert ending in 9999 does not resolve anything', async () => {
    s.clock.set(T0 + 25 * MIN);
    const res = await ingest('/api/v1/alerts', {
      alerts: [
        makeNativeAlert({ labels: { alertname: 'NativeGood', service: 'native-times' }, startsAt: iso(T0 + 24 * MIN) }),
        makeNativeAlert({ labels: { alertname: 'NativeIn1970', service: 'native-times' }, startsAt: Y1970 }),
        makeNativeAlert({ labels: { alertname: 'NativeGood', service: 'native-times' }, status: 'resolved', startsAt: iso(T0 + 24 * MIN), endsAt: Y9999 }),
        makeNativeAlert({ labels: { alertname: 'NativeZoneless', service: 'native-times' }, startsAt: '2026-11-21T04:24:00.000' }),
      ],
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as ErrorBody;
    expect(body.error.details?.issues?.map((i) => i.path)).toEqual(['alerts.1.startsAt', 'alerts.2.endsAt', 'alerts.3.startsAt']);
    await s.settle();
    const [incident] = ((await (await s.request('GET', '/api/v1/incidents?service=native-times')).json()) as { items: { status: string; title: string }[] }).items;
    expect(incident).toMatchObject({ status: 'open' });
  });

  it('the stats see no incident from 1900 or 9999: MTTR stays the minutes it was', async () => {
    const res = await s.request('GET', `/api/v1/stats?since=${encodeURIComponent(Y1900)}`, { token: s.tokens.read });
    expect(res.status).toBe(200);
    const stats = (await res.json()) as { overall: { mttrSeconds: number | null } };
    expect(stats.overall.mttrSeconds === null || stats.overall.mttrSeconds < 86_400).toBe(true);
  });

  it('heartbeats: sentAt and a check since must be RFC 3339 with an offset and near now', async () => {
    s.clock.set(T0 + 30 * MIN);
    const heartbeat = (sentAt: string, since = iso(T0)) => ({ agentId: 'agent-times', host: 'web-times', version: '0.1.0', sentAt, intervalSeconds: 30, checks: [{ name: 'api', type: 'http', target: 'http://localhost/', success: false, since, service: 'checkout' }] });
    const send = (json: unknown) => s.request('POST', '/api/v1/agents/heartbeat', { token: s.tokens.ingest, json });
    for (const [json, path, reason] of [
      [heartbeat(Y9999), 'sentAt', 'more than 1h after'],
      [heartbeat(ZONELESS), 'sentAt', 'has no UTC offset'],
      [heartbeat(iso(T0 + 30 * MIN), Y1900), 'checks.0.since', 'more than 365d before'],
      [heartbeat(iso(T0 + 30 * MIN), '2026-11-21T04:00:00+0100'), 'checks.0.since', 'not an RFC 3339 time'],
    ] as const) {
      const res = await send(json);
      expect(res.status, `${path} ${reason}`).toBe(400);
      const body = (await res.json()) as ErrorBody;
      expect(body.error.message).toContain(`invalid heartbeat: ${path}: `);
      expect(body.error.message).toContain(reason);
    }
    expect((await send(heartbeat(iso(T0 + 30 * MIN)))).status).toBe(200);
  });

  it('silences: times need an offset; a start more than the past skew back is refused; planned far ahead is fine', async () => {
    s.clock.set(T0 + 35 * MIN);
    const create = (json: Record<string, unknown>) => s.request('POST', '/api/v1/silences', { token: s.tokens.write, json: { matchers: [{ name: 'service', value: 'x' }], comment: 'maintenance', ...json } });
    const zoneless = await create({ startsAt: ZONELESS, duration: '1h' });
    expect(zoneless.status).toBe(400);
    expect(((await zoneless.json()) as ErrorBody).error.message).toMatch(/^invalid silence: startsAt: .*has no UTC offset/);
    const old = await create({ startsAt: Y1970, duration: '1h' });
    expect(old.status).toBe(400);
    expect(((await old.json()) as ErrorBody).error.message).toContain('invalid silence: startsAt: startsAt 1970-01-01T00:00:00.000Z is more than 365d before');
    expect((await create({ startsAt: iso(T0 + 30 * 86_400_000), endsAt: iso(T0 + 31 * 86_400_000) })).status).toBe(201);
  });

  it('query filters take any RFC 3339 time, but only with an offset', async () => {
    const get = (q: string) => s.request('GET', q, { token: s.tokens.read });
    expect((await get(`/api/v1/stats?since=${encodeURIComponent(Y1900)}&until=${encodeURIComponent(Y9999)}`)).status).toBe(200);
    expect((await get(`/api/v1/incidents?since=${encodeURIComponent('2026-11-21T05:00:00+01:00')}`)).status).toBe(200);
    for (const [q, reason] of [
      [`/api/v1/stats?since=${ZONELESS}`, 'has no UTC offset'],
      ['/api/v1/stats?since=1900', 'not an RFC 3339 time'],
      ['/api/v1/incidents?since=2026-11-21', 'not an RFC 3339 time'],
      ['/api/v1/incidents?since=2026-11-21T05:00:00+01:00', 'write the + of the offset as %2B'],
      [`/api/v1/sla/report?from=${ZONELESS}&to=2026-11-22T00:00:00Z`, 'has no UTC offset'],
    ] as const) {
      const res = await get(q);
      expect(res.status, q).toBe(400);
      const message = ((await res.json()) as ErrorBody).error.message;
      expect(message, q).toContain(reason);
      expect(message, q).toMatch(/since|from/);
    }
  });
});

describe.each(dialects())('a configured time skew, on %s', (dialect) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer(dialect, { SIGHTLINE_INGEST_TIME_SKEW_PAST: '2h', SIGHTLINE_INGEST_TIME_SKEW_FUTURE: '5m' });
  });
  afterAll(async () => s?.close());

  it('bounds what every format accepts', async () => {
    expect(s.runtime.config.ingest.timeSkew).toEqual({ past: 2 * 60 * MIN, future: 5 * MIN });
    const res = await s.request('POST', '/api/v1/alerts', {
      token: s.tokens.ingest,
      json: { alerts: [makeNativeAlert({ startsAt: iso(T0 - 119 * MIN) }), makeNativeAlert({ labels: { alertname: 'Old' }, startsAt: iso(T0 - 121 * MIN) }), makeNativeAlert({ labels: { alertname: 'Ahead' }, startsAt: iso(T0 + 6 * MIN) })] },
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as ErrorBody;
    expect(body.error.details?.issues?.map((i) => i.message)).toEqual([expect.stringContaining('more than 2h before'), expect.stringContaining('more than 5m after')]);
  });
});
