/** The running server delivers webhooks on its own: the dispatcher is started with the background jobs. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertChange } from '../../server/src/db/changes-repo.js';
import { startBackgroundJobs } from '../../server/src/main.js';
import { makeNativeAlert } from '../helpers/fixtures.js';
import { startTestServer, T0, type TestServer } from '../helpers/runtime.js';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.js';

describe('notification dispatcher in the running server', () => {
  let receiver: WebhookReceiver;
  let s: TestServer;
  let stopJobs: () => Promise<void>;
  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    s = await startTestServer('sqlite', {}, `publicUrl: https://sightline.example.com/\nnotifications:\n  webhooks:\n    - { name: oncall, url: "${receiver.url}/hook" }\n`);
    stopJobs = startBackgroundJobs(s.runtime);
  });
  afterAll(async () => {
    await stopJobs?.();
    await s?.close();
    await receiver?.close();
  });

  it('pages once when an alert opens an incident', async () => {
    s.clock.set(T0);
    const res = await s.request('POST', '/api/v1/alerts', { token: s.tokens.ingest, json: { alerts: [makeNativeAlert({ startsAt: new Date(T0).toISOString() })] } });
    expect(res.status).toBe(200);
    const deadline = Date.now() + 10_000;
    while (receiver.received.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(receiver.received).toHaveLength(1);
    expect(receiver.received[0]).toMatchObject({ event: 'opened', body: { event: 'opened', incident: { service: 'checkout', status: 'open' } } });
    // The configured public URL (trailing slash dropped) links to the incident.
    expect(receiver.received[0]!.body.incident.url).toBe(`https://sightline.example.com/ui/incidents/${receiver.received[0]!.body.incident.id}`);
    expect(receiver.received[0]!.body).not.toHaveProperty('likelyCause');
  });

  it('names the likely cause of an incident that opened minutes after a change on its service', async () => {
    const at = T0 + 3_600_000;
    await insertChange(s.runtime.handle.db, {
      service: 'billing',
      summary: 'deploy v2.3.1 of billing',
      kind: 'deploy',
      startedAt: at - 4 * 60_000,
      finishedAt: null,
      version: 'v2.3.1',
      author: null,
      links: [],
      labels: {},
      source: 'api',
      receivedAt: at - 4 * 60_000,
    });
    s.clock.set(at);
    const alert = makeNativeAlert({ labels: { alertname: 'BillingErrors', service: 'billing', severity: 'critical' }, startsAt: new Date(at).toISOString() });
    expect((await s.request('POST', '/api/v1/alerts', { token: s.tokens.ingest, json: { alerts: [alert] } })).status).toBe(200);
    const deadline = Date.now() + 10_000;
    while (receiver.received.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(receiver.received[1]).toMatchObject({ event: 'opened', body: { incident: { service: 'billing' }, likelyCause: 'deploy v2.3.1 of billing 4 min before' } });
  });
});
