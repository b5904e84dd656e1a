/** Features configured through the YAML file: service tiers, group_by, PagerDuty integration keys. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeNativeAlert } from '../helpers/fixtures.js';
import { startTestServer, T0, type TestServer } from '../helpers/runtime.js';

const YAML = `
services:
  - { name: payments, tier: 1 }
  - { name: intranet, tier: 3 }
correlation:
  groupBy: [cluster]
ingest:
  pagerduty:
    integrationKeys: [pd-integration-key-0001]
`;

describe('configuration-driven behaviour', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer('sqlite', {}, YAML);
  });
  afterAll(async () => s?.close());

  it('derives impact from the service tier and groups by the configured labels', async () => {
    s.clock.set(T0);
    const at = new Date(T0).toISOString();
    const res = await s.request('POST', '/api/v1/alerts', {
      token: s.tokens.ingest,
      json: {
        alerts: [
          makeNativeAlert({ labels: { alertname: 'Down', service: 'payments', severity: 'critical', cluster: 'eu-1' }, startsAt: at }),
          makeNativeAlert({ labels: { alertname: 'Slow', service: 'intranet', severity: 'critical', cluster: 'eu-1' }, startsAt: at }),
          makeNativeAlert({ labels: { alertname: 'Backlog', service: 'reports', severity: 'critical', cluster: 'us-1' }, annotations: { summary: 'queue growing' }, startsAt: at }),
        ],
      },
    });
    expect(res.status).toBe(200);
    await s.settle();
    const items = ((await (await s.request('GET', '/api/v1/incidents')).json()) as any).items;
    expect(items.map((i: any) => [i.groupKey, i.alertCount, i.impact, i.priority])).toEqual([
      ['cluster=us-1', 1, 'medium', 'P2'],
      ['cluster=eu-1', 2, 'high', 'P1'],
    ]);
  });

  it('accepts a configured PagerDuty integration key as routing key', async () => {
    const event = { routing_key: 'pd-integration-key-0001', event_action: 'trigger', dedup_key: 'k1', payload: { summary: 'x', source: 'h', severity: 'info' } };
    expect((await s.request('POST', '/v2/enqueue', { token: null, json: event })).status).toBe(202);
    const unknown = await s.request('POST', '/v2/enqueue', { token: null, json: { ...event, routing_key: 'pd-integration-key-0002' } });
    expect(unknown.status).toBe(400);
    expect(await unknown.json()).toMatchObject({ status: 'invalid event', errors: [expect.stringContaining('Invalid routing key')] });
  });
});
