/** Ingest pushes back with 429 and Retry-After instead of falling over. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeNativeAlert } from '../helpers/fixtures.js';
import { startTestServer, T0, type TestServer } from '../helpers/runtime.js';

const batch = (n: number, tag: string) => ({ alerts: Array.from({ length: n }, (_, i) => makeNativeAlert({ labels: { alertname: `Bp${tag}${i}`, service: 'bp' }, startsAt: new Date(T0).toISOString() })) });

describe('backpressure', () => {
  describe('per-token rate limit', () => {
    let s: TestServer;
    beforeAll(async () => {
      s = await startTestServer('sqlite', { SIGHTLINE_INGEST_RATE_LIMIT: '2', SIGHTLINE_INGEST_RATE_BURST: '2' });
    });
    afterAll(async () => s?.close());

    it('allows the burst, then answers 429 with Retry-After until tokens refill; other tokens are not affected', async () => {
      s.clock.set(T0);
      expect((await s.request('POST', '/api/v1/alerts', { token: s.tokens.ingest, json: batch(1, 'a') })).status).toBe(200);
      expect((await s.request('POST', '/api/v2/alerts', { token: s.tokens.ingest, json: [] })).status).toBe(200);
      const limited = await s.request('POST', '/api/v1/alerts', { token: s.tokens.ingest, json: batch(1, 'b') });
      expect(limited.status).toBe(429);
      expect(limited.headers.get('retry-after')).toBe('1');
      expect(((await limited.json()) as any).error).toMatchObject({ code: 'RATE_LIMITED', details: { reason: 'rate' } });
      expect((await s.request('POST', '/api/v1/alerts', { token: s.tokens.admin, json: batch(1, 'c') })).status).toBe(200);
      s.clock.advance(500);
      expect((await s.request('POST', '/api/v1/alerts', { token: s.tokens.ingest, json: batch(1, 'd') })).status).toBe(200);
      const pd = await s.request('POST', '/v2/enqueue', { token: null, json: { routing_key: s.tokens.ingest, event_action: 'trigger', payload: { summary: 's', source: 'h', severity: 'info' } } });
      expect(pd.status).toBe(429);
      expect(pd.headers.get('retry-after')).toEqual(expect.stringMatching(/^\d+$/));
    });
  });

  describe('correlation backlog', () => {
    let s: TestServer;
    beforeAll(async () => {
      s = await startTestServer('sqlite', { SIGHTLINE_INGEST_MAX_BACKLOG: '5' });
    });
    afterAll(async () => s?.close());

    it('refuses new batches while too many stored events wait for the correlator, and accepts again once it caught up', async () => {
      s.clock.set(T0);
      expect((await s.request('POST', '/api/v1/alerts', { token: s.tokens.ingest, json: batch(8, 'x') })).status).toBe(200);
      const refused = await s.request('POST', '/api/v1/alerts', { token: s.tokens.ingest, json: batch(1, 'y') });
      expect(refused.status).toBe(429);
      expect(refused.headers.get('retry-after')).toBe('5');
      expect(((await refused.json()) as any).error.details.reason).toBe('backlog');
      await s.settle();
      expect(s.runtime.admission.backlog()).toBe(0);
      expect((await s.request('POST', '/api/v1/alerts', { token: s.tokens.ingest, json: batch(1, 'z') })).status).toBe(200);
    });
  });
});
