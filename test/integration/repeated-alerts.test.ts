/**
 * A request that carries the same alert twice (same fingerprint, status and start) is stored
 * once, the later copy winning, on every batch endpoint and both databases. PostgreSQL refused
 * the whole batch before (`ON CONFLICT DO UPDATE command cannot affect row a second time`),
 * and senders retry a 500 until they give the batch up.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects, startTestServer, T0, type TestServer } from '../helpers/runtime.js';

const startsAt = new Date(T0).toISOString();
const labelsOf = (alertname: string) => ({ alertname, service: 'repeats', severity: 'warning', instance: 'web-1:9100' });
const webhook = (alertname: string, summaries: string[]) => ({
  version: '4',
  status: 'firing',
  alerts: summaries.map((summary) => ({ status: 'firing', labels: labelsOf(alertname), annotations: { summary }, startsAt, endsAt: '0001-01-01T00:00:00Z' })),
});

const endpoints: [string, string, (alertname: string, summaries: string[]) => unknown][] = [
  ['Alertmanager webhook', '/api/v1/alerts/alertmanager', webhook],
  ['Grafana', '/api/v1/alerts/grafana', webhook],
  ['Alertmanager API v2', '/api/v2/alerts', (alertname, summaries) => summaries.map((summary) => ({ labels: labelsOf(alertname), annotations: { summary }, startsAt }))],
  ['native', '/api/v1/alerts', (alertname, summaries) => ({ alerts: summaries.map((summary) => ({ labels: labelsOf(alertname), annotations: { summary }, status: 'firing', startsAt })) })],
];

describe.each(dialects())('an alert repeated within one request on %s', (dialect) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer(dialect);
    s.clock.set(T0 + 60_000);
  });
  afterAll(async () => s?.close());

  const storedSummaries = async (alertname: string) => {
    const rows = await s.runtime.handle.db.selectFrom('alert_events').select('annotations').where('labels', 'like', `%"alertname":"${alertname}"%`).execute();
    return rows.map((r) => (JSON.parse(r.annotations) as { summary: string }).summary);
  };

  it.each(endpoints)('%s: answers 200 and stores the alert once, the last copy winning', async (_name, path, body) => {
    const alertname = `Repeated${path.replace(/\W/g, '')}`;
    const res = await s.request('POST', path, { token: s.tokens.ingest, json: body(alertname, ['first', 'second', 'third']) });
    expect(res.status, await res.clone().text()).toBe(200);
    expect(await storedSummaries(alertname)).toEqual(['third']);
    await s.settle();
    const alerts = ((await (await s.request('GET', '/api/v1/alerts')).json()) as { items: { labels: Record<string, string> }[] }).items;
    expect(alerts.filter((a) => a.labels.alertname === alertname)).toHaveLength(1);
  });
});
