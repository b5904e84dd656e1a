import Database from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { appendTimelineEntries, servicesReached, touchedByPeople, type TimelineEntry } from '../../server/src/db/incidents-repo.js';
import type { Database as Schema } from '../../server/src/db/schema.js';
import { dialects, startTestServer, T0, type TestServer } from '../helpers/runtime.js';

/**
 * The correlator asks of an incident, batch after batch, when its fault reached each service
 * and whether anyone but itself wrote on it. Both must come from a small index, not from a
 * walk over the whole timeline (one entry per joined alert: tens of thousands in a storm).
 */
let s: TestServer | undefined;
afterEach(async () => {
  await s?.close();
  s = undefined;
});

/** An incident of one alert, whose timeline then gets 2,000 more entries and three `service_reached`. */
async function incidentWithLongTimeline(server: TestServer): Promise<number> {
  const alert = { labels: { alertname: 'Slow', service: 'checkout', instance: 'web-1:9100' }, startsAt: new Date(T0).toISOString(), endsAt: new Date(T0 + 240_000).toISOString() };
  expect((await server.request('POST', '/api/v2/alerts', { token: server.tokens.ingest, json: [alert] })).status).toBe(200);
  await server.settle();
  const list = (await (await server.request('GET', '/api/v1/incidents', { token: server.tokens.read })).json()) as { items: { id: number }[] };
  const id = list.items[0]?.id as number;
  const entry = (n: number): Omit<TimelineEntry, 'id'> => ({ incidentId: id, at: T0 + n, kind: 'alert_joined', actor: 'sightline', message: `web-${n} joined`, data: { n } });
  await appendTimelineEntries(server.runtime.handle.db, Array.from({ length: 2_000 }, (_, n) => entry(n)));
  await appendTimelineEntries(server.runtime.handle.db, [
    { incidentId: id, at: T0 + 9_000, kind: 'service_reached', actor: 'sightline', message: 'payments', data: { service: 'payments' } },
    { incidentId: id, at: T0 + 5_000, kind: 'service_reached', actor: 'sightline', message: 'payments (merged)', data: { service: 'payments' } },
    { incidentId: id, at: T0 + 7_000, kind: 'service_reached', actor: 'sightline', message: 'db', data: { service: 'db' } },
  ]);
  return id;
}

describe.each(dialects())('timeline lookups of the correlator (%s)', (dialect) => {
  it('reads when the fault reached each service (the earliest), and whether people wrote on it', async () => {
    s = await startTestServer(dialect);
    const id = await incidentWithLongTimeline(s);
    const db = s.runtime.handle.db;
    expect(Object.fromEntries(await servicesReached(db, id))).toEqual({ payments: T0 + 5_000, db: T0 + 7_000 });
    expect(await touchedByPeople(db, id)).toBe(false);
    const noted = await s.request('POST', `/api/v1/incidents/${id}/notes`, { token: s.tokens.write, json: { text: 'looking' } });
    expect(noted.status).toBeLessThan(300);
    expect(await touchedByPeople(db, id)).toBe(true);
  });
});

describe('timeline lookups of the correlator: query plans (sqlite)', () => {
  it('answers both from their partial indexes, not from the whole timeline', async () => {
    s = await startTestServer('sqlite');
    const id = await incidentWithLongTimeline(s);
    // A second connection to the same file that records the SQL the two lookups send.
    const raw = new Database(s.runtime.handle.location, { readonly: true });
    const sent: { sql: string; parameters: readonly unknown[] }[] = [];
    const spy = new Kysely<Schema>({ dialect: new SqliteDialect({ database: raw }), log: (e) => void sent.push({ sql: e.query.sql, parameters: e.query.parameters }) });
    try {
      await servicesReached(spy, id);
      await touchedByPeople(spy, id);
      const plans = sent.map(({ sql, parameters }) => (raw.prepare(`explain query plan ${sql}`).all(...parameters) as { detail: string }[]).map((r) => r.detail).join(' | '));
      expect(plans).toHaveLength(2);
      expect(plans[0]).toContain('USING INDEX incident_timeline_service_reached');
      expect(plans[1]).toContain('USING INDEX incident_timeline_by_people');
    } finally {
      await spy.destroy();
    }
  });
});
