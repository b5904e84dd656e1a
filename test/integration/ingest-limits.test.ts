/**
 * Size limits on every ingest endpoint, on both databases: a label value too long or too many
 * labels rejects the alert (400 naming the field and the setting, nothing of it stored); too many
 * alerts is 413 for the request; a long annotation is cut, stored with a marker and named in the
 * answer. And the bound on request body bytes held at once: past it 429 with Retry-After, while
 * /healthz and /readyz keep answering — driven over real HTTP with a body held open.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countAlertEvents, eventsAfter } from '../../server/src/db/alert-events-repo.js';
import { dialects, startTestServer, T0, type TestServer } from '../helpers/runtime.js';

const startsAt = new Date(T0).toISOString();
const LIMIT_ENV = { SIGHTLINE_INGEST_MAX_ALERTS_PER_REQUEST: '3', SIGHTLINE_INGEST_MAX_LABELS_PER_ALERT: '6', SIGHTLINE_INGEST_MAX_VALUE_BYTES: '1024' };
const labels = (extra: Record<string, string> = {}) => ({ alertname: 'LimitProbe', service: 'limits', severity: 'warning', ...extra });

/** Each ingest endpoint with a body of the given alerts, in its own format. */
const ENDPOINTS: [string, string, (alerts: { labels: Record<string, string>; annotations?: Record<string, string> }[]) => unknown, string][] = [
  ['native', '/api/v1/alerts', (alerts) => ({ alerts: alerts.map((a) => ({ ...a, startsAt })) }), 'alerts'],
  ['API v2', '/api/v2/alerts', (alerts) => alerts.map((a) => ({ ...a, startsAt })), ''],
  ['Alertmanager webhook', '/api/v1/alerts/alertmanager', (alerts) => ({ version: '4', status: 'firing', alerts: alerts.map((a) => ({ ...a, status: 'firing', startsAt })) }), 'alerts'],
  ['Grafana webhook', '/api/v1/alerts/grafana', (alerts) => ({ version: '1', status: 'firing', alerts: alerts.map((a) => ({ ...a, status: 'firing', startsAt })) }), 'alerts'],
];

describe.each(dialects())('ingest limits on %s', (dialect) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer(dialect, LIMIT_ENV);
  });
  afterAll(async () => s?.close());
  const stored = () => countAlertEvents(s.runtime.handle.db);

  describe.each(ENDPOINTS)('%s', (_name, path, body, wholePath) => {
    it('a label value over ingest.maxValueBytes: 400 naming the label and the limit, nothing stored', async () => {
      const before = await stored();
      const res = await s.request('POST', path, { token: s.tokens.ingest, json: body([{ labels: labels({ instance: 'x'.repeat(1025) }) }]) });
      expect(res.status).toBe(400);
      const error = ((await res.json()) as any).error;
      expect(error.code).toBe('VALIDATION');
      expect(error.message).toContain('alerts.0.labels.instance');
      expect(error.message).toContain('1025 bytes; at most 1024 (ingest.maxValueBytes)');
      expect(await stored()).toBe(before);
    });

    it('more labels than ingest.maxLabelsPerAlert: 400, that alert not stored, the valid one beside it stored', async () => {
      const before = await stored();
      const many = labels({ a: '1', b: '2', c: '3', d: '4' });
      const res = await s.request('POST', path, { token: s.tokens.ingest, json: body([{ labels: many }, { labels: labels({ instance: `ok-${path}` }) }]) });
      expect(res.status).toBe(400);
      const error = ((await res.json()) as any).error;
      expect(error.details.issues).toEqual([{ index: 0, path: 'alerts.0.labels', message: '7 labels; at most 6 per alert (ingest.maxLabelsPerAlert)' }]);
      expect(error.details).toMatchObject({ accepted: 1, rejected: 1 });
      expect(await stored()).toBe(before + 1);
    });

    it('more alerts than ingest.maxAlertsPerRequest: 413 naming the limit, nothing stored', async () => {
      const before = await stored();
      const four = [1, 2, 3, 4].map((i) => ({ labels: labels({ instance: `many-${i}` }) }));
      const res = await s.request('POST', path, { token: s.tokens.ingest, json: body(four) });
      expect(res.status).toBe(413);
      const error = ((await res.json()) as any).error;
      expect(error.code).toBe('PAYLOAD_TOO_LARGE');
      expect(error.details.issues).toEqual([{ index: -1, path: wholePath, message: '4 alerts in one request; at most 3 (ingest.maxAlertsPerRequest)' }]);
      expect(await stored()).toBe(before);
    });

    it('an annotation value over ingest.maxValueBytes is stored cut, with a marker, and the answer names it', async () => {
      const instance = `long-annotation-${path}`;
      const res = await s.request('POST', path, { token: s.tokens.ingest, json: body([{ labels: labels({ instance }), annotations: { summary: 'short', description: 'd'.repeat(5000) } }]) });
      expect(res.status).toBe(200);
      expect(((await res.json()) as any).truncated).toEqual([{ index: 0, path: 'alerts.0.annotations.description', message: 'annotation value of 5000 bytes cut to 1024 (ingest.maxValueBytes)' }]);
      const events = await eventsAfter(s.runtime.handle.db, { id: 0 }, 10_000);
      const event = events.find((e) => e.labels.instance === instance);
      expect(event?.annotations.summary).toBe('short');
      expect(new TextEncoder().encode(event?.annotations.description).length).toBeLessThanOrEqual(1024);
      expect(event?.annotations.description).toMatch(/^d+… \[\d+ bytes cut\]$/);
    });
  });

  it('API v2 still answers an empty 200 when nothing was cut', async () => {
    const res = await s.request('POST', '/api/v2/alerts', { token: s.tokens.ingest, json: [{ labels: labels({ instance: 'plain' }), startsAt }] });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('');
  });

  it('PagerDuty /v2/enqueue: custom_details over the limit is stored cut and named in the 202', async () => {
    const res = await s.request('POST', '/v2/enqueue', {
      token: null,
      json: { routing_key: s.tokens.ingest, event_action: 'trigger', dedup_key: 'limits-pd', payload: { summary: 'disk', source: 'db-9', severity: 'error', custom_details: { log: 'l'.repeat(3000) } } },
    });
    expect(res.status).toBe(202);
    const answer = (await res.json()) as any;
    expect(answer.truncated).toEqual(["'payload.custom_details': 3010 bytes as JSON, cut to 1024 (ingest.maxValueBytes)"]);
    const event = (await eventsAfter(s.runtime.handle.db, { id: 0 }, 10_000)).find((e) => e.fingerprint === 'limits-pd');
    expect(event?.annotations.details).toMatch(/^\{"log":"l+… \[\d+ bytes cut\]$/);
  });
});

describe.each(dialects())('request body bytes held at once on %s', (dialect) => {
  let s: TestServer;
  let server: ServerType;
  let base: string;
  beforeAll(async () => {
    s = await startTestServer(dialect, { SIGHTLINE_INGEST_MAX_IN_FLIGHT_BYTES: '4096' });
    server = await new Promise<ServerType>((resolve) => {
      const started = serve({ fetch: s.runtime.app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(started));
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    if (server) await new Promise((resolve) => server.close(resolve));
    await s?.close();
  });

  const held = async () => (await s.runtime.metrics.registry.getSingleMetric('sightline_http_in_flight_body_bytes')!.get()).values[0]?.value ?? 0;
  const alertBody = (instance: string) => JSON.stringify({ alerts: [{ labels: labels({ instance }), startsAt }] });

  /** Starts a POST whose body is sent only in part, and is finished by `finish`. */
  function holdOpen(instance: string, mode: 'content-length' | 'chunked') {
    const text = alertBody(instance) + ' '.repeat(3000);
    const headers: Record<string, string | number> = { authorization: `Bearer ${s.tokens.ingest}`, 'content-type': 'application/json' };
    if (mode === 'content-length') headers['content-length'] = Buffer.byteLength(text);
    const req = http.request(`${base}/api/v1/alerts`, { method: 'POST', headers });
    const answer = new Promise<number>((resolve, reject) => {
      req.on('response', (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
    });
    const split = text.length - 10;
    req.write(text.slice(0, split));
    return { answer, finish: () => req.end(text.slice(split)) };
  }

  it.each(['content-length', 'chunked'] as const)(
    'past ingest.maxInFlightBytes (%s body held open): 429 with Retry-After, nothing stored; health checks answer; accepted again once it is done',
    async (mode) => {
      const before = await countAlertEvents(s.runtime.handle.db);
      const slow = holdOpen(`slow-${mode}`, mode);
      // The held body is counted once its handler starts reading it (a condition, not a timing).
      while ((await held()) < 3000) await new Promise((r) => setTimeout(r, 10));

      const refused = await fetch(`${base}/api/v1/alerts`, { method: 'POST', headers: { authorization: `Bearer ${s.tokens.ingest}`, 'content-type': 'application/json' }, body: alertBody(`refused-${mode}`) + ' '.repeat(1500) });
      expect(refused.status).toBe(429);
      expect(refused.headers.get('retry-after')).toBe('1');
      const error = ((await refused.json()) as any).error;
      expect(error).toMatchObject({ code: 'RATE_LIMITED', details: { reason: 'in-flight', retryAfterSeconds: 1 } });
      expect(error.message).toContain('ingest.maxInFlightBytes');

      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      expect((await fetch(`${base}/readyz`)).status).toBe(200);
      // A small request still fits beside the held one.
      expect((await fetch(`${base}/api/v1/alerts`, { method: 'POST', headers: { authorization: `Bearer ${s.tokens.ingest}`, 'content-type': 'application/json' }, body: alertBody(`small-${mode}`) })).status).toBe(200);

      slow.finish();
      expect(await slow.answer).toBe(200);
      expect(await held()).toBe(0);
      const retried = await fetch(`${base}/api/v1/alerts`, { method: 'POST', headers: { authorization: `Bearer ${s.tokens.ingest}`, 'content-type': 'application/json' }, body: alertBody(`refused-${mode}`) + ' '.repeat(1500) });
      expect(retried.status).toBe(200);
      const instances = (await eventsAfter(s.runtime.handle.db, { id: 0 }, 10_000)).map((e) => e.labels.instance);
      expect(instances.filter((i) => i?.endsWith(mode)).sort()).toEqual([`refused-${mode}`, `slow-${mode}`, `small-${mode}`]);
      expect(await countAlertEvents(s.runtime.handle.db)).toBe(before + 3);
    },
  );

  it('a single body larger than the bound is let through when nothing else is held', async () => {
    const res = await fetch(`${base}/api/v1/alerts`, { method: 'POST', headers: { authorization: `Bearer ${s.tokens.ingest}`, 'content-type': 'application/json' }, body: alertBody('alone') + ' '.repeat(8000) });
    expect(res.status).toBe(200);
    expect(await held()).toBe(0);
  });

  it('a request refused before its body is read (no token) holds nothing', async () => {
    const res = await fetch(`${base}/api/v1/alerts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: alertBody('anonymous') + ' '.repeat(8000) });
    expect(res.status).toBe(401);
    expect(await held()).toBe(0);
  });
});
