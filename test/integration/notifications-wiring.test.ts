/** The running server delivers webhooks on its own: the dispatcher is started with the background jobs. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
  });
});
