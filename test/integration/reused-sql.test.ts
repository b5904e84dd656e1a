import { afterEach, describe, expect, it } from 'vitest';
import { alertEventsById, appendAlertEvents, countAlertEvents } from '../../server/src/db/alert-events-repo.js';
import { reusedShapes } from '../../server/src/db/reused-sql.js';
import type { AlertEvent } from '../../server/src/domain/alert.js';
import { makeAlertEvent } from '../helpers/fixtures.js';
import { dialects, startTestServer, T0, type TestServer } from '../helpers/runtime.js';

const event = (n: number, endsAt: number | null = T0 + 60_000): AlertEvent =>
  makeAlertEvent({
    source: 'api',
    fingerprint: `fp-${n}`,
    endsAt,
    labels: { alertname: 'Reused', instance: `host-${n}` },
    annotations: { summary: `alert ${n}` },
    generatorUrl: n % 2 ? null : `http://gen/${n}`,
  });

describe.each(dialects())('reused SQL for hot statements (%s)', (dialect) => {
  let s: TestServer;
  afterEach(async () => {
    await s?.close();
  });

  it('keeps the compiled text of an append and stores exactly the same rows with it', async () => {
    s = await startTestServer(dialect);
    const db = s.runtime.handle.db;
    // Three rows per statement: a shape no other code path of the test server uses.
    const first = await appendAlertEvents(db, [event(1), event(2), event(3)], T0);
    expect(first).toHaveLength(3);
    expect(reusedShapes(db).get('alert_events.append:3')).toBe('reused');
    // Second run takes the kept text: a new alert, a repeat and a lease extension, all appended.
    const second = await appendAlertEvents(db, [event(4), event(1), event(2, T0 + 120_000)], T0 + 5);
    expect(second).toHaveLength(3);
    expect(await countAlertEvents(db)).toBe(6);
    const stored = await alertEventsById(db, [...first, ...second].map((e) => e.id));
    expect(stored).toEqual([...first, ...second]);
    expect(stored[3]).toMatchObject({ fingerprint: 'fp-4', labels: { alertname: 'Reused', instance: 'host-4' }, annotations: { summary: 'alert 4' }, generatorUrl: 'http://gen/4', receivedAt: T0 + 5 });
    expect(stored[5]).toMatchObject({ fingerprint: 'fp-2', endsAt: T0 + 120_000, receivedAt: T0 + 5, generatorUrl: 'http://gen/2' });
    expect(stored[0]).toMatchObject({ fingerprint: 'fp-1', endsAt: T0 + 60_000, receivedAt: T0, generatorUrl: null });
  });

  it('reuses the text of every hot statement of ingest and correlation (no parameter order mismatch)', async () => {
    s = await startTestServer(dialect);
    const alerts = Array.from({ length: 7 }, (_, i) => ({
      labels: { alertname: 'ReusedStorm', service: 'checkout', instance: `web-${i}:9100`, severity: i % 2 ? 'critical' : 'warning' },
      annotations: { summary: `web-${i} is slow` },
      startsAt: new Date(T0).toISOString(),
      endsAt: new Date(T0 + 240_000).toISOString(),
    }));
    expect((await s.request('POST', '/api/v2/alerts', { token: s.tokens.ingest, json: alerts })).status).toBe(200);
    await s.settle();
    // Five of them resolve: their alerts and their incident are stored again, in one statement each.
    const resolved = alerts.slice(0, 5).map((a) => ({ ...a, endsAt: new Date(T0 + 60_000).toISOString() }));
    s.clock.set(T0 + 120_000);
    expect((await s.request('POST', '/api/v2/alerts', { token: s.tokens.ingest, json: resolved })).status).toBe(200);
    await s.settle();
    const shapes = reusedShapes(s.runtime.handle.db);
    for (const statement of ['alert_events.append', 'alerts.insert', 'alerts.save', 'incidents.save', 'incident_timeline.append', 'incident_hosts.add', 'incident_services.add', 'configuration_items.record']) {
      const used = [...shapes].filter(([shape]) => shape.startsWith(`${statement}:`));
      expect([statement, used.length > 0 && used.every(([, how]) => how === 'reused')]).toEqual([statement, true]);
    }
    expect([...shapes].filter(([, how]) => how === 'compiled')).toEqual([]);
    const incidents = (await (await s.request('GET', '/api/v1/incidents', { token: s.tokens.read })).json()) as { items: { alertCount: number; firingCount: number }[] };
    expect(incidents.items).toHaveLength(1);
    expect(incidents.items[0]?.alertCount).toBe(7);
    expect(incidents.items[0]?.firingCount).toBe(2);
    const stored = (await (await s.request('GET', '/api/v1/alerts?status=resolved', { token: s.tokens.read })).json()) as { items: { status: string; labels: { instance: string } }[] };
    expect(stored.items.map((a) => a.labels.instance).sort()).toEqual(['web-0:9100', 'web-1:9100', 'web-2:9100', 'web-3:9100', 'web-4:9100']);
  });
});
