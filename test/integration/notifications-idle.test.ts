import { afterEach, describe, expect, it } from 'vitest';
import { dialects, startTestServer, T0, type TestServer } from '../helpers/runtime.js';

describe.each(dialects())('notifier without webhooks (%s)', (dialect) => {
  let s: TestServer;
  afterEach(async () => {
    await s?.close();
  });

  it('moves its cursor past every timeline entry and queues nothing', async () => {
    s = await startTestServer(dialect);
    const alerts = Array.from({ length: 5 }, (_, i) => ({
      labels: { alertname: 'IdleNotifier', service: 'search', instance: `search-${i}:9100` },
      annotations: { summary: `search-${i} is slow` },
      startsAt: new Date(T0).toISOString(),
    }));
    expect((await s.request('POST', '/api/v2/alerts', { token: s.tokens.ingest, json: alerts })).status).toBe(200);
    await s.settle();
    await s.runtime.notifier.drain();
    const db = s.runtime.handle.db;
    const last = await db.selectFrom('incident_timeline').select((eb) => eb.fn.max('id').as('id')).executeTakeFirstOrThrow();
    expect(Number(last.id)).toBeGreaterThanOrEqual(5);
    const cursor = await db.selectFrom('notification_cursor').selectAll().where('name', '=', 'webhooks').executeTakeFirstOrThrow();
    expect(Number(cursor.position)).toBe(Number(last.id));
    expect(JSON.parse(cursor.gaps)).toEqual([]);
    const queued = await db.selectFrom('notification_outbox').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
    expect(Number(queued.n)).toBe(0);
  });
});
