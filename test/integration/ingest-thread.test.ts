/**
 * The ingest thread (SQLite on the real clock, the server's default): alerts are stored and
 * correlated on a worker thread with its own connection, and the rest of the server sees the
 * same contracts as in-process. Needs the compiled worker (`npm test` builds first).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../server/src/config.js';
import { createRuntime, type Runtime } from '../../server/src/main.js';
import { systemClock } from '../../server/src/services/clock.js';
import { createToken } from '../../server/src/services/tokens.js';

describe('ingest thread', () => {
  let dataDir: string;
  let runtime: Runtime;
  let token: string;

  const request = (method: string, url: string, json?: unknown) =>
    runtime.app.request(url, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(json === undefined ? {} : { 'content-type': 'application/json' }) },
      body: json === undefined ? undefined : JSON.stringify(json),
    });
  const alert = (labels: Record<string, string>, startsAt: number, endsAt: number) => ({
    labels,
    annotations: { summary: `${labels.alertname} on ${labels.instance}` },
    startsAt: new Date(startsAt).toISOString(),
    endsAt: new Date(endsAt).toISOString(),
  });
  const incidentsOf = async (service: string) => ((await (await request('GET', `/api/v1/incidents?service=${service}`)).json()) as { items: { id: number; alertCount: number }[] }).items;

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'sightline-thread-'));
    const loaded = loadConfig({ file: null, env: { SIGHTLINE_DATA_DIR: dataDir } });
    if (!loaded.ok) throw new Error(loaded.problems.join('\n'));
    runtime = await createRuntime(loaded.config, { log: pino({ level: 'silent' }), defaultMetrics: false });
    const created = await createToken(runtime.handle.db, systemClock, { name: 'thread-test', scopes: ['admin'] });
    if (!created.ok) throw new Error(created.error.message);
    token = created.value.token;
  });

  afterAll(async () => {
    await runtime?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('stores and correlates alerts on its own thread, and counts what it opened', async () => {
    expect(runtime.ingestThread).not.toBeNull();
    const now = Date.now();
    const res = await request('POST', '/api/v2/alerts', [
      alert({ alertname: 'HighLatency', service: 'checkout', instance: 'web-1:9100' }, now - 60_000, now + 240_000),
      alert({ alertname: 'HighErrorRate', service: 'checkout', instance: 'web-2:9100' }, now - 50_000, now + 240_000),
      alert({ alertname: 'DiskFull', service: 'billing', instance: 'db-9:9100' }, now - 40_000, now + 240_000),
    ]);
    expect(res.status).toBe(200);
    // Committed before the answer: the event log holds all three already.
    const logged = await runtime.handle.db.selectFrom('alert_events').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(Number(logged.n)).toBe(3);
    await runtime.correlator.drain();
    expect((await incidentsOf('checkout')).map((i) => i.alertCount)).toEqual([2]);
    expect((await incidentsOf('billing')).map((i) => i.alertCount)).toEqual([1]);
    // Counters moved on the thread reach the server's metrics.
    const opened = await runtime.metrics.incidentsOpened.get();
    expect(opened.values.reduce((sum, v) => sum + v.value, 0)).toBe(2);
    expect(runtime.admission.backlog()).toBe(0);
  });

  it('applies repeats and lease extensions: the last copy of a request and the latest lease win', async () => {
    const now = Date.now();
    const labels = { alertname: 'QueueBacklog', service: 'orders', instance: 'mq-1:9100' };
    const summary = (text: string) => ({ ...alert(labels, now - 30_000, now + 60_000), annotations: { summary: text } });
    // One request repeating an alert (merged, the last copy wins), then a re-send with a later lease.
    expect((await request('POST', '/api/v2/alerts', [summary('first copy'), { ...summary('second copy'), endsAt: new Date(now + 30_000).toISOString() }])).status).toBe(200);
    expect((await request('POST', '/api/v2/alerts', [{ ...summary('re-sent'), endsAt: new Date(now + 300_000).toISOString() }])).status).toBe(200);
    await runtime.correlator.drain();
    const [incident] = await incidentsOf('orders');
    const detail = (await (await request('GET', `/api/v1/incidents/${incident?.id}`)).json()) as { alerts: { annotations: Record<string, string>; endsAt: string; status: string }[] };
    expect(detail.alerts).toHaveLength(1);
    expect(detail.alerts[0]).toMatchObject({ status: 'firing', endsAt: new Date(now + 300_000).toISOString(), annotations: { summary: 're-sent' } });
    // A copy with an earlier lease, sent late, changes nothing.
    expect((await request('POST', '/api/v2/alerts', [summary('late copy')])).status).toBe(200);
    await runtime.correlator.drain();
    const again = (await (await request('GET', `/api/v1/incidents/${incident?.id}`)).json()) as typeof detail;
    expect(again.alerts[0]).toMatchObject({ endsAt: new Date(now + 300_000).toISOString(), annotations: { summary: 're-sent' } });
  });

  it('follows service catalogue changes made through the API', async () => {
    for (const [name, body] of [
      ['storefront', { tier: 2, dependsOn: ['inventory'] }],
      ['inventory', { tier: 1 }],
    ] as const) {
      expect((await request('PUT', `/api/v1/services/${name}`, body)).status).toBe(200);
    }
    const now = Date.now();
    await request('POST', '/api/v2/alerts', [alert({ alertname: 'DbDown', service: 'inventory', instance: 'inv-db:9100' }, now - 20_000, now + 240_000)]);
    await runtime.correlator.drain();
    await request('POST', '/api/v2/alerts', [alert({ alertname: 'HighLatency', service: 'storefront', instance: 'shop-1:9100' }, now - 10_000, now + 240_000)]);
    await runtime.correlator.drain();
    // The thread knows the dependency added a moment ago: the symptom joins its cause.
    const [incident] = await incidentsOf('inventory');
    const detail = (await (await request('GET', `/api/v1/incidents/${incident?.id}`)).json()) as { alertCount: number; timeline: { kind: string; data: { method?: string } | null }[] };
    expect(detail.alertCount).toBe(2);
    expect(detail.timeline.filter((e) => e.kind === 'alert_joined').map((e) => e.data?.method)).toContain('topology');
    expect(await incidentsOf('storefront')).toEqual([]);
  });

  it('answers 503 while a crashed thread is replaced, then stores and correlates again', async () => {
    const thread = runtime.ingestThread;
    if (!thread) throw new Error('no ingest thread');
    await thread.crash();
    const now = Date.now();
    const batch = [alert({ alertname: 'CacheDown', service: 'sessions', instance: 'redis-1:6379' }, now - 5_000, now + 240_000)];
    // Not ready meanwhile, so a load balancer sends alerts to another server.
    expect((await runtime.app.request('/readyz')).status).toBe(503);
    const refused = await request('POST', '/api/v2/alerts', batch);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('UNAVAILABLE');
    // A new thread takes over within a few seconds; the sender's retry then goes through.
    let status = 503;
    for (let attempt = 0; attempt < 100 && status === 503; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      status = (await request('POST', '/api/v2/alerts', batch)).status;
    }
    expect(status).toBe(200);
    expect((await runtime.app.request('/readyz')).status).toBe(200);
    await runtime.correlator.drain();
    expect((await incidentsOf('sessions')).map((i) => i.alertCount)).toEqual([1]);
  });
});
