/**
 * Property: whatever a sender posts, ingest answers with a 2xx or a 4xx, never a 5xx, and
 * the server keeps working. Inputs: arbitrary JSON, and captured payloads with random
 * parts replaced.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captured } from '../helpers/fixtures.js';
import { startTestServer, type TestServer } from '../helpers/runtime.js';

const ENDPOINTS: [string, unknown][] = [
  ['/api/v1/alerts/alertmanager', captured('alertmanager-0.25-webhook-firing-DiskWillFillIn4Hours.json').body],
  ['/api/v2/alerts', captured('prometheus-2.42-post-api-v2-alerts-1.json').body],
  ['/api/v1/alerts/grafana', { ...captured<any>('alertmanager-0.25-webhook-firing-HostHighCpuLoad.json').body, version: '1', orgId: 1 }],
  ['/api/v1/alerts', { alerts: [{ labels: { alertname: 'X', service: 's' }, status: 'firing', startsAt: '2026-11-21T04:00:00Z' }] }],
  ['/v2/enqueue', { routing_key: 'replaced', event_action: 'trigger', payload: { summary: 's', source: 'h', severity: 'info' } }],
  ['/api/v1/agents/heartbeat', { agentId: 'a', host: 'h', version: '1', sentAt: '2026-11-21T04:00:00Z', intervalSeconds: 30, checks: [] }],
];

/** Replaces the value at one random path of `base` with an arbitrary JSON value. */
function mutate(base: unknown): fc.Arbitrary<unknown> {
  const paths: (string | number)[][] = [];
  const walk = (v: unknown, p: (string | number)[]) => {
    paths.push(p);
    if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...p, i]));
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, [...p, k]);
  };
  walk(base, []);
  return fc.tuple(fc.constantFrom(...paths), fc.jsonValue({ maxDepth: 3 })).map(([p, value]) => {
    if (p.length === 0) return value;
    const copy = structuredClone(base) as any;
    let node = copy;
    for (const k of p.slice(0, -1)) node = node[k];
    node[p[p.length - 1] as string] = value;
    return copy;
  });
}

describe('ingest never fails with a 5xx', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer('sqlite');
  });
  afterAll(async () => s?.close());

  it.each(ENDPOINTS)('%s', async (path, base) => {
    const withKey = (v: unknown) => (path === '/v2/enqueue' && v && typeof v === 'object' && !Array.isArray(v) ? { routing_key: s.tokens.ingest, ...(v as object) } : v);
    let tried = 0;
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.jsonValue({ maxDepth: 4 }), mutate(base)), async (body) => {
        tried++;
        const res = await s.request('POST', path, { token: s.tokens.ingest, json: withKey(body) });
        expect(res.status, JSON.stringify(body).slice(0, 300)).toBeLessThan(500);
        const text = await res.text();
        if (res.status >= 400 && path !== '/v2/enqueue') expect(JSON.parse(text).error.message).toEqual(expect.any(String));
      }),
      { numRuns: 150 },
    );
    expect(tried).toBe(150);
    await s.settle();
    // Whatever was accepted, the correlator applied it without failing.
    expect((await s.runtime.metrics.correlatorErrors.get()).values[0]?.value ?? 0).toBe(0);
    expect((await s.request('GET', '/readyz', { token: null })).status).toBe(200);
  });
});
