/**
 * The similarity layer's evidence and long incidents through the server, on both databases:
 * two unrelated alert families on one host stay apart while alerts sharing an identifying label
 * join (with their reason on the timeline); an incident whose alerts keep firing for days stays
 * one incident, across a reload of the correlator's state; a service's own maximum incident
 * span keeps a days-long trickle together where the default cuts it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects, startTestServer, T0, type TestServer } from '../helpers/runtime.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const iso = (ms: number) => new Date(ms).toISOString();

describe.each(dialects())('correlation evidence and long incidents on %s', (dialect) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer(dialect);
  });
  afterAll(async () => s?.close());

  const alert = (fingerprint: string, labels: Record<string, string>, at: number, end?: number) => ({
    labels,
    annotations: { summary: `${labels.alertname} on ${labels.host}` },
    status: end === undefined ? 'firing' : 'resolved',
    startsAt: iso(at),
    ...(end !== undefined ? { endsAt: iso(end) } : {}),
    fingerprint,
  });
  async function fire(alerts: Record<string, unknown>[], now: number) {
    s.clock.set(now);
    expect((await s.request('POST', '/api/v1/alerts', { token: s.tokens.ingest, json: { alerts } })).status).toBe(200);
    await s.settle();
  }
  async function incidentOf(fingerprint: string) {
    const row = await s.runtime.handle.db.selectFrom('alerts').select('incident_id').where('fingerprint', '=', fingerprint).executeTakeFirstOrThrow();
    return (await (await s.request('GET', `/api/v1/incidents/${row.incident_id}`, { token: s.tokens.read })).json()) as any;
  }

  it('keeps two unrelated alert families on one host apart, and joins alerts sharing an identifying label with their reason', async () => {
    const t = T0;
    const host = '10.0.1.10';
    await fire(
      [
        alert('disk', { alertname: 'linux.disk.usage', host }, t),
        alert('av', { alertname: 'av.signature.stale', host }, t + MIN),
        alert('brute', { alertname: '5712', host, src_ip: '45.1.2.3' }, t + 2 * MIN),
        alert('login', { alertname: '5715', host, src_ip: '45.1.2.3', user: 'bob' }, t + 4 * MIN),
        alert('sudo', { alertname: '5402', host, user: 'bob' }, t + 9 * MIN),
      ],
      t + 10 * MIN,
    );
    const disk = await incidentOf('disk');
    const av = await incidentOf('av');
    const attack = await incidentOf('brute');
    expect(new Set([disk.id, av.id, attack.id]).size).toBe(3);
    expect(attack.alerts.map((a: any) => a.fingerprint).sort()).toEqual(['brute', 'login', 'sudo']);
    const joins = attack.timeline.filter((e: any) => e.kind === 'alert_joined');
    expect(joins.map((e: any) => [e.data.fingerprint, e.data.method, e.data.evidence])).toEqual([
      ['login', 'similarity', { host, family: '57', labels: ['src_ip=45.1.2.3'] }],
      ['sudo', 'similarity', { host, labels: ['user=bob'] }],
    ]);
    expect(joins[1].message).toBe(`5402: 5402 on ${host} joined: same host ${host} and shared label user=bob`);
  });

  it('keeps an incident whose alerts keep firing for days whole, across a reload of the correlator', async () => {
    const t = T0 + 2 * HOUR;
    const host = '10.0.1.20';
    const dst = '185.7.7.7';
    await fire([alert('conn', { alertname: 'zeek.conn.long', host, dst_ip: dst }, t)], t + MIN);
    const incident = (await incidentOf('conn')).id as number;
    // An upload to the same address every 6 hours for three days, each over in 5 minutes.
    for (let k = 1; k <= 12; k++) {
      const at = t + k * 6 * HOUR;
      await fire([alert(`up-${k}`, { alertname: 'ET-POLICY-2013028', host, dst_ip: dst }, at)], at + MIN);
      await fire([alert(`up-${k}`, { alertname: 'ET-POLICY-2013028', host, dst_ip: dst }, at, at + 5 * MIN)], at + 6 * MIN);
      expect((await incidentOf(`up-${k}`)).id, `upload ${k}`).toBe(incident);
      // A person acknowledges on day 2: the correlator loads its state again from the database.
      if (k === 5) expect((await s.request('POST', `/api/v1/incidents/${incident}/acknowledge`, { token: s.tokens.write, json: {} })).status).toBe(200);
    }
    const whole = await incidentOf('conn');
    expect(whole.alerts).toHaveLength(13);
    expect(Date.parse(whole.lastActivityAt) - Date.parse(whole.openedAt)).toBeGreaterThan(72 * HOUR - 10 * MIN);
    const last = whole.timeline.filter((e: any) => e.kind === 'alert_joined').at(-1);
    expect(last.data).toMatchObject({ method: 'similarity', evidence: { host, labels: [`dst_ip=${dst}`] } });
  });
});

describe.each(dialects())('a maximum incident span per service on %s', (dialect) => {
  let s: TestServer;
  beforeAll(async () => {
    // A 2-hour join window and hold-down let alerts 90 minutes apart join by service (the
    // incident stays open between them); the span bounds them.
    s = await startTestServer(dialect, {}, 'correlation:\n  joinWindow: 2h\n  resolveHoldDown: 2h\n');
  });
  afterAll(async () => s?.close());

  it('is set, served and checked through the catalogue API', async () => {
    const put = (name: string, json: unknown) => s.request('PUT', `/api/v1/services/${name}`, { token: s.tokens.write, json });
    expect((await put('batch', { tier: 3, maxIncidentSpan: '3d' })).status).toBe(200);
    expect((await put('api', { tier: 2 })).status).toBe(200);
    const list = (await (await s.request('GET', '/api/v1/services', { token: s.tokens.read })).json()) as any;
    expect(list.items.find((x: any) => x.name === 'batch')).toMatchObject({ maxIncidentSpan: '3d' });
    expect(list.items.find((x: any) => x.name === 'api')).toMatchObject({ maxIncidentSpan: null });
    const bad = await put('batch', { maxIncidentSpan: '10' });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(await bad.json())).toContain('maxIncidentSpan');
  });

  it('keeps a trickle of alerts on a service with a 3-day span in one incident past 24 hours; the default cuts it', async () => {
    const t = T0 + 10 * HOUR;
    for (const service of ['batch', 'api']) {
      // An alert every 90 minutes for 30 hours, each resolved 5 minutes later: nothing fires in between.
      for (let k = 0; k <= 20; k++) {
        const at = t + k * 90 * MIN;
        const labels = { alertname: `Job${k}Slow`, service };
        s.clock.set(at + 10 * MIN);
        const alerts = [
          { labels, annotations: {}, status: 'firing', startsAt: iso(at) },
          { labels, annotations: {}, status: 'resolved', startsAt: iso(at), endsAt: iso(at + 5 * MIN) },
        ];
        expect((await s.request('POST', '/api/v1/alerts', { token: s.tokens.ingest, json: { alerts } })).status).toBe(200);
        await s.settle();
      }
    }
    const incidentsOf = async (service: string) => {
      const rows = await s.runtime.handle.db.selectFrom('alerts').select('incident_id').distinct().where('service', '=', service).execute();
      return rows.length;
    };
    expect(await incidentsOf('batch')).toBe(1);
    expect(await incidentsOf('api')).toBe(2);
  });
});
