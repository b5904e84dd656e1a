/**
 * A silence created while matching alerts already fire mutes them too: they leave their
 * incidents' firing count, undelivered pages about them are not sent, and what still fires
 * when the silence ends pages again.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNotifier, listIncidentNotifications, type Notifier } from '../../server/src/services/notifications.js';
import { makeNativeAlert } from '../helpers/fixtures.js';
import { dialects, startTestServer, T0, type TestServer } from '../helpers/runtime.js';

const MIN = 60_000;
const iso = (ms: number) => new Date(ms).toISOString();

describe.each(dialects())('retroactive silences on %s', (dialect) => {
  let s: TestServer;
  let notifier: Notifier;
  let server: Server;
  const received: { event: string; incident: number }[] = [];
  /** Statuses to answer with, in order; then 200. */
  const script: number[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        const status = script.shift() ?? 200;
        const json = JSON.parse(body);
        if (status < 300) received.push({ event: json.event, incident: json.incident.id });
        res.writeHead(status).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    s = await startTestServer(dialect, {}, `
notifications:
  minBackoff: 1m
  webhooks:
    - { name: oncall, url: "http://127.0.0.1:${port}/hook" }
`);
    notifier = createNotifier(s.runtime.config.notifications, s.runtime.handle, s.clock, s.runtime.log, { random: () => 0 });
    await notifier.drain();
  });
  afterAll(async () => {
    await notifier?.stop();
    await s?.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  async function fire(alerts: Record<string, unknown>[]) {
    expect((await s.request('POST', '/api/v1/alerts', { token: s.tokens.ingest, json: { alerts } })).status).toBe(200);
    await s.settle();
  }
  const alertRow = (fingerprint: string) => s.runtime.handle.db.selectFrom('alerts').selectAll().where('fingerprint', '=', fingerprint).executeTakeFirstOrThrow();
  const incidentRow = (id: number) => s.runtime.handle.db.selectFrom('incidents').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  async function deliveries(incidentId: number) {
    const result = await listIncidentNotifications({ handle: s.runtime.handle }, incidentId);
    if (!result.ok) throw new Error(result.error.message);
    return result.value.map((d) => [d.event, d.state]);
  }

  it('mutes alerts already firing, holds back their undelivered pages, and pages again when it ends with the fault still on', async () => {
    s.clock.set(T0);
    script.push(503); // the receiver is briefly down: the database incident's page waits for a retry
    await fire([makeNativeAlert({ labels: { alertname: 'DbDown', service: 'db', severity: 'critical' }, startsAt: iso(T0), fingerprint: 'db-down' })]);
    await notifier.drain();
    await fire([makeNativeAlert({ labels: { alertname: 'ApiSlow', service: 'api', severity: 'warning' }, startsAt: iso(T0), fingerprint: 'api-slow' })]);
    await notifier.drain();
    const db = (await alertRow('db-down')).incident_id as number;
    const api = (await alertRow('api-slow')).incident_id as number;
    expect(db).not.toBe(api);
    expect(received).toEqual([{ event: 'opened', incident: api }]);
    expect(await deliveries(db)).toEqual([['opened', 'pending']]);

    // Two minutes in, a silence for both services (the work is known and under way).
    s.clock.set(T0 + 2 * MIN);
    const created = await s.request('POST', '/api/v1/silences', { token: s.tokens.write, json: { matchers: [{ name: 'service', value: 'db|api', isRegex: true }], duration: '1h', comment: 'failover drill' } });
    expect(created.status).toBe(201);
    const silence = (await created.json()) as { id: string };
    await s.settle();
    for (const [fingerprint, incident] of [
      ['db-down', db],
      ['api-slow', api],
    ] as const) {
      expect(await alertRow(fingerprint)).toMatchObject({ status: 'firing', suppressed_by: silence.id, incident_id: incident });
      expect(await incidentRow(incident)).toMatchObject({ status: 'open', firing_count: 0, last_activity_at: T0 + 2 * MIN, resolve_after: T0 + 7 * MIN });
    }
    const detail = (await (await s.request('GET', `/api/v1/incidents/${db}`, { token: s.tokens.read })).json()) as any;
    const silenced = detail.timeline.find((e: any) => e.kind === 'silenced');
    expect(silenced).toMatchObject({ actor: 'test-write', at: iso(T0 + 2 * MIN), data: { fingerprint: 'db-down', silence: silence.id, incidentSilenced: true } });
    expect(silenced.message).toBe(`DbDown: p99 latency above 500ms silenced by silence ${silence.id} (failover drill): nothing else fires, no further pages`);
    const listed = (await (await s.request('GET', '/api/v1/alerts?suppressed=true', { token: s.tokens.read })).json()) as any;
    expect(listed.items.map((a: any) => a.fingerprint).sort()).toEqual(['api-slow', 'db-down']);

    // The page still waiting for its retry is not sent.
    s.clock.set(T0 + 4 * MIN);
    await notifier.drain();
    expect(received).toEqual([{ event: 'opened', incident: api }]);
    expect(await deliveries(db)).toEqual([['opened', 'suppressed']]);

    // A late arrival that started before the silence and still fires is muted on arrival.
    await fire([makeNativeAlert({ labels: { alertname: 'DbCpu', service: 'db' }, startsAt: iso(T0 - 5 * MIN), fingerprint: 'db-cpu' })]);
    expect(await alertRow('db-cpu')).toMatchObject({ suppressed_by: silence.id, incident_id: null });

    // Nothing fires in either incident: both auto-resolve after the hold-down. The API
    // receiver was paged about its incident, so it hears that it resolved; the database
    // incident was never announced, so its resolve is not sent either.
    s.clock.set(T0 + 8 * MIN);
    await s.settle();
    expect((await incidentRow(db)).status).toBe('resolved');
    expect((await incidentRow(api)).status).toBe('resolved');
    await notifier.drain();
    expect(received).toEqual([
      { event: 'opened', incident: api },
      { event: 'resolved', incident: api },
    ]);
    expect(await deliveries(db)).toEqual([
      ['opened', 'suppressed'],
      ['resolved', 'suppressed'],
    ]);

    // Ended early while the database is still down: that is a fault again, and it pages.
    s.clock.set(T0 + 20 * MIN);
    expect((await s.request('DELETE', `/api/v1/silences/${silence.id}`, { token: s.tokens.write })).status).toBe(200);
    await s.settle();
    const again = await alertRow('db-down');
    expect(again).toMatchObject({ suppressed_by: null, status: 'firing' });
    expect(again.incident_id).not.toBe(db);
    await notifier.drain();
    expect(received.slice(2)).toEqual(
      expect.arrayContaining([
        { event: 'opened', incident: again.incident_id },
        { event: 'opened', incident: (await alertRow('db-cpu')).incident_id },
      ]),
    );
  });

  it('leaves alerts that resolved before the silence began, and incidents with other alerts still firing, as they are', async () => {
    s.clock.set(T0 + 100 * MIN);
    await fire([
      makeNativeAlert({ labels: { alertname: 'QueueLag', service: 'queue' }, startsAt: iso(T0 + 100 * MIN), fingerprint: 'queue-lag' }),
      makeNativeAlert({ labels: { alertname: 'QueueDiskFull', service: 'queue' }, startsAt: iso(T0 + 100 * MIN), fingerprint: 'queue-disk' }),
      makeNativeAlert({ labels: { alertname: 'QueueBlip', service: 'queue' }, status: 'resolved', startsAt: iso(T0 + 100 * MIN), endsAt: iso(T0 + 101 * MIN), fingerprint: 'queue-blip' }),
    ]);
    const incident = (await alertRow('queue-lag')).incident_id as number;
    s.clock.set(T0 + 102 * MIN);
    expect((await s.request('POST', '/api/v1/silences', { token: s.tokens.write, json: { matchers: [{ name: 'alertname', value: 'QueueLag|QueueBlip', isRegex: true }], duration: '30m', comment: 'known lag' } })).status).toBe(201);
    await s.settle();
    expect((await alertRow('queue-lag')).suppressed_by).not.toBeNull();
    expect((await alertRow('queue-blip')).suppressed_by).toBeNull();
    expect((await alertRow('queue-disk')).suppressed_by).toBeNull();
    expect(await incidentRow(incident)).toMatchObject({ status: 'open', firing_count: 1, resolve_after: null });
    const detail = (await (await s.request('GET', `/api/v1/incidents/${incident}`, { token: s.tokens.read })).json()) as any;
    expect(detail.timeline.filter((e: any) => e.kind === 'silenced').map((e: any) => e.data.incidentSilenced)).toEqual([false]);
  });
});
