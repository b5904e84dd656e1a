/**
 * A request of the largest allowed size (10,000 alerts) is stored and correlated whole on
 * both databases: multi-row statements are split below the databases' limits on bound
 * parameters (SQLite 32,766; a single insert of 2,979 alerts of 11 columns went over it).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countAlertEvents } from '../../server/src/db/alert-events-repo.js';
import { DEFAULT_ALERT_LIMITS } from '../../server/src/ingest/limits.js';
import { dialects, startTestServer, T0, type TestServer } from '../helpers/runtime.js';

const MAX_ALERTS_PER_BATCH = DEFAULT_ALERT_LIMITS.maxAlertsPerRequest;

describe.each(dialects())('largest requests on %s', (dialect) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer(dialect);
  });
  afterAll(async () => s?.close());

  it(`stores and correlates ${MAX_ALERTS_PER_BATCH} alerts of one request, each host a configuration item`, async () => {
    s.clock.set(T0 + 60_000);
    const alerts = Array.from({ length: MAX_ALERTS_PER_BATCH }, (_, i) => ({
      labels: { alertname: 'NodeDown', service: 'fleet', instance: `node-${i}:9100`, severity: 'warning' },
      annotations: { summary: `node-${i} is down` },
      startsAt: new Date(T0 + i).toISOString(),
    }));
    const res = await s.request('POST', '/api/v2/alerts', { token: s.tokens.ingest, json: alerts });
    expect(res.status).toBe(200);
    expect(await countAlertEvents(s.runtime.handle.db)).toBe(MAX_ALERTS_PER_BATCH);
    await s.settle();
    const hosts = await s.runtime.handle.db.selectFrom('configuration_items').select((eb) => eb.fn.countAll<number>().as('n')).where('kind', '=', 'host').executeTakeFirstOrThrow();
    expect(Number(hosts.n)).toBe(MAX_ALERTS_PER_BATCH);
    const list = (await (await s.request('GET', '/api/v1/incidents?service=fleet')).json()) as { items: { alertCount: number }[] };
    expect(list.items.map((i) => i.alertCount)).toEqual([MAX_ALERTS_PER_BATCH]);
    // A re-send of the whole request is appended to the log and changes nothing else.
    const alertRows = async () => Number((await s.runtime.handle.db.selectFrom('alerts').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
    expect((await s.request('POST', '/api/v2/alerts', { token: s.tokens.ingest, json: alerts })).status).toBe(200);
    await s.settle();
    expect(await countAlertEvents(s.runtime.handle.db)).toBe(2 * MAX_ALERTS_PER_BATCH);
    expect(await alertRows()).toBe(MAX_ALERTS_PER_BATCH);
    const again = (await (await s.request('GET', '/api/v1/incidents?service=fleet')).json()) as { items: { alertCount: number }[] };
    expect(again.items.map((i) => i.alertCount)).toEqual([MAX_ALERTS_PER_BATCH]);
  });
});
