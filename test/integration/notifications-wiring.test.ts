/** The running server delivers webhooks on its own: the dispatcher is started with the background jobs. */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBackgroundJobs } from '../../server/src/main.js';
import { makeNativeAlert } from '../helpers/fixtures.js';
import { startTestServer, T0, type TestServer } from '../helpers/runtime.js';

describe('notification dispatcher in the running server', () => {
  const received: { event: string | undefined; body: any }[] = [];
  const receiver = createServer((req: IncomingMessage, res) => {
    let text = '';
    req.on('data', (c) => (text += c));
    req.on('end', () => {
      received.push({ event: req.headers['x-sightline-event'] as string | undefined, body: JSON.parse(text) });
      res.writeHead(204).end();
    });
  });
  let s: TestServer;
  let stopJobs: () => Promise<void>;
  beforeAll(async () => {
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const port = (receiver.address() as AddressInfo).port;
    s = await startTestServer('sqlite', {}, `publicUrl: https://sightline.example.com/\nnotifications:\n  webhooks:\n    - { name: oncall, url: "http://127.0.0.1:${port}/hook" }\n`);
    stopJobs = startBackgroundJobs(s.runtime);
  });
  afterAll(async () => {
    await stopJobs?.();
    await s?.close();
    receiver.close();
  });

  it('pages once when an alert opens an incident', async () => {
    s.clock.set(T0);
    const res = await s.request('POST', '/api/v1/alerts', { token: s.tokens.ingest, json: { alerts: [makeNativeAlert({ startsAt: new Date(T0).toISOString() })] } });
    expect(res.status).toBe(200);
    const deadline = Date.now() + 10_000;
    while (received.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({ event: 'opened', body: { event: 'opened', incident: { service: 'checkout', status: 'open' } } });
    // The configured public URL (trailing slash dropped) links to the incident.
    expect(received[0]!.body.incident.url).toBe(`https://sightline.example.com/ui/incidents/${received[0]!.body.incident.id}`);
  });
});
