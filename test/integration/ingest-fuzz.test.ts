/**
 * Property: whatever a sender posts to any ingest endpoint, on either database, the answer
 * is a 2xx or a 4xx, never a 5xx, and the server keeps working. Inputs: arbitrary JSON with
 * strings over all of Unicode (NUL and lone surrogates included, which PostgreSQL's text
 * cannot hold), and the seed payloads with one value replaced or removed.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestSeeds, pathsOf, replaceAt } from '../fuzz/seeds.js';
import { dialects, startTestServer, type TestServer } from '../helpers/runtime.js';

const anyJson = (maxDepth: number) => fc.jsonValue({ maxDepth, stringUnit: fc.constantFrom('grapheme', 'binary') as never });

/** Replaces (or removes) the value at one random path of one seed. */
function mutate(bases: unknown[]): fc.Arbitrary<unknown> {
  const choices = bases.flatMap((base) => pathsOf(base).map((p) => [base, p] as const));
  return fc
    .tuple(fc.constantFrom(...choices), fc.option(fc.oneof(anyJson(3), fc.string({ unit: 'binary' }), fc.double(), fc.integer({ min: -(2 ** 53), max: 2 ** 53 })), { nil: undefined, freq: 8 }))
    .map(([[base, p], value]) => replaceAt(base, p, value));
}

describe.each(dialects())('ingest never fails with a 5xx on %s', (dialect) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer(dialect);
  });
  afterAll(async () => s?.close());

  const runs = dialect === 'postgres' ? 100 : 150;
  it.each(ingestSeeds().map((seed) => [seed.name, seed] as const))('%s', async (_name, seed) => {
    const withKey = (v: unknown) => (seed.path === '/v2/enqueue' && v && typeof v === 'object' && !Array.isArray(v) ? { ...(v as object), routing_key: s.tokens.ingest } : v);
    let tried = 0;
    await fc.assert(
      fc.asyncProperty(fc.oneof(anyJson(4), mutate(seed.bodies)), async (body) => {
        tried++;
        const res = await s.request('POST', seed.path, { token: s.tokens.ingest, json: withKey(body) });
        const text = await res.text();
        expect(res.status, `${res.status} ${text.slice(0, 300)} for ${String(JSON.stringify(body)).slice(0, 300)}`).toBeLessThan(500);
        if (res.status >= 400 && seed.path !== '/v2/enqueue') expect(JSON.parse(text).error.message).toEqual(expect.any(String));
      }),
      { numRuns: runs },
    );
    expect(tried).toBe(runs);
    // Every seed as it is is accepted.
    for (const body of seed.bodies) {
      const res = await s.request('POST', seed.path, { token: s.tokens.ingest, json: withKey(body) });
      expect(res.status, `${seed.path} seed: ${(await res.text()).slice(0, 300)}`).toBeLessThan(300);
    }
    await s.settle();
    // Whatever was accepted, the correlator applied it without failing.
    expect((await s.runtime.metrics.correlatorErrors.get()).values[0]?.value ?? 0).toBe(0);
    expect((await s.request('GET', '/readyz', { token: null })).status).toBe(200);
  }, 120_000);
});

describe.each(dialects())('edge values the databases cannot all hold, on %s', (dialect) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer(dialect);
  });
  afterAll(async () => s?.close());

  const seed = (name: string) => ingestSeeds().find((x) => x.name === name)?.bodies[0] as any;
  const cases: [string, string, () => unknown][] = [
    ['heartbeat firingAlerts beyond 32 bits', '/api/v1/agents/heartbeat', () => ({ ...seed('agent heartbeat'), firingAlerts: 2 ** 40 })],
    ['heartbeat interval of a nanosecond', '/api/v1/agents/heartbeat', () => ({ ...seed('agent heartbeat'), intervalSeconds: 1e-9 })],
    ['heartbeat sent in year 9999', '/api/v1/agents/heartbeat', () => ({ ...seed('agent heartbeat'), sentAt: '9999-12-31T23:59:59Z' })],
    ['heartbeat host with NUL', '/api/v1/agents/heartbeat', () => ({ ...seed('agent heartbeat'), host: 'web\u0000-1' })],
    ['heartbeat inventory key with NUL', '/api/v1/agents/heartbeat', () => ({ ...seed('agent heartbeat'), inventory: { 'a\u0000': 1 } })],
    ['native label with NUL', '/api/v1/alerts', () => ({ alerts: [{ labels: { alertname: 'A\u0000' } }] })],
    ['native startsAt year 0000', '/api/v1/alerts', () => ({ alerts: [{ labels: { alertname: 'Old' }, startsAt: '0000-01-01T00:00:00Z' }] })],
    ['native startsAt year 9999', '/api/v1/alerts', () => ({ alerts: [{ labels: { alertname: 'Late' }, startsAt: '9999-12-31T23:59:59.999Z' }] })],
    ['native 10k-character label', '/api/v1/alerts', () => ({ alerts: [{ labels: { alertname: 'L', big: 'x'.repeat(10_000) } }] })],
    ['native lone surrogate', '/api/v1/alerts', () => ({ alerts: [{ labels: { alertname: '\ud800' } }] })],
    ['otlp time beyond int64', '/v1/metrics', () => replaceAt(seed('otlp metrics'), ['resourceMetrics', 0, 'scopeMetrics', 0, 'metrics', 1, 'gauge', 'dataPoints', 0, 'timeUnixNano'], '99999999999999999999')],
    ['otlp huge asInt', '/v1/metrics', () => replaceAt(seed('otlp metrics'), ['resourceMetrics', 0, 'scopeMetrics', 0, 'metrics', 0, 'sum', 'dataPoints', 0, 'asInt'], '-99999999999999999999')],
    ['otlp host with NUL', '/v1/metrics', () => replaceAt(seed('otlp metrics'), ['resourceMetrics', 0, 'resource', 'attributes', 0, 'value', 'stringValue'], 'w\u0000')],
    ['pagerduty summary with NUL', '/v2/enqueue', () => ({ ...seed('pagerduty events v2'), routing_key: s.tokens.ingest, payload: { ...seed('pagerduty events v2').payload, summary: 'a\u0000b' } })],
    ['pagerduty timestamp year 9999', '/v2/enqueue', () => ({ ...seed('pagerduty events v2'), routing_key: s.tokens.ingest, payload: { ...seed('pagerduty events v2').payload, timestamp: '9999-12-31T23:59:59Z' } })],
  ];
  const deep = (depth: number): unknown => {
    let v: unknown = 1;
    for (let i = 0; i < depth; i++) v = { a: v };
    return v;
  };
  const deepText = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
  it.each([
    ['heartbeat inventory 100 levels deep', '/api/v1/agents/heartbeat', () => JSON.stringify({ ...seed('agent heartbeat'), inventory: deep(100) })],
    ['pagerduty custom_details 20k levels deep', '/v2/enqueue', () => JSON.stringify({ ...seed('pagerduty events v2'), routing_key: s.tokens.ingest, payload: { ...seed('pagerduty events v2').payload, custom_details: '__DEEP__' } }).replace('"__DEEP__"', deepText(20_000))],
    ['otlp 100 levels deep', '/v1/metrics', () => JSON.stringify({ resourceMetrics: [], extra: deep(100) })],
  ])('refuses %s with a 400', async (_name, path, body) => {
    const res = await s.request('POST', path, { token: s.tokens.ingest, body: body(), headers: { 'content-type': 'application/json' } });
    const text = await res.text();
    expect(res.status, text.slice(0, 300)).toBe(400);
    expect(text).toContain('nested deeper than 64 levels');
  });

  it.each(cases)('%s', async (_name, path, body) => {
    const res = await s.request('POST', path, { token: s.tokens.ingest, json: body() });
    const text = await res.text();
    expect(res.status, text.slice(0, 300)).toBeLessThan(500);
    await s.settle();
    expect((await s.runtime.metrics.correlatorErrors.get()).values[0]?.value ?? 0).toBe(0);
  });
});
