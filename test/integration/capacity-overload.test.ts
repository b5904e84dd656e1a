/**
 * `POST /v1/metrics` under load, on both databases: the answers OTLP exporters retry after
 * `Retry-After` — 429 over the token's rate or while correlation is behind (the admission
 * control shared with alert ingest), 503 when every write slot is taken or the store fails —
 * and normal service once the cause is gone.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects, startTestServer, T0, type TestServer } from '../helpers/runtime.js';

const str = (key: string, v: string) => ({ key, value: { stringValue: v } });
const body = (host: string) =>
  JSON.stringify({
    resourceMetrics: [
      {
        resource: { attributes: [str('host.name', host)] },
        scopeMetrics: [{ metrics: [{ name: 'system.memory.utilization', gauge: { dataPoints: [{ timeUnixNano: `${BigInt(T0) * 1_000_000n}`, asDouble: 0.5, attributes: [str('system.memory.state', 'used')] }] } }] }],
      },
    ],
  });

describe.each(dialects())('OTLP metrics under load (%s)', (dialect) => {
  let s: TestServer;
  const push = (init: Partial<RequestInit> & { duplex?: 'half' } = {}) =>
    s.runtime.app.request('/v1/metrics', { method: 'POST', headers: { authorization: `Bearer ${s.tokens.ingest}`, 'content-type': 'application/json' }, body: body('load-1'), ...init } as RequestInit);

  beforeAll(async () => {
    s = await startTestServer(dialect, { SIGHTLINE_INGEST_RATE_LIMIT: '1', SIGHTLINE_INGEST_RATE_BURST: '2' }, 'capacity:\n  maxConcurrentIngests: 1\n');
  });
  afterAll(async () => s?.close());

  it('answers 429 with Retry-After past the token rate, and accepts again once it has refilled', async () => {
    expect((await push()).status).toBe(200);
    expect((await push()).status).toBe(200);
    const refused = await push();
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(((await refused.json()) as any).error).toMatchObject({ code: 'RATE_LIMITED', details: { reason: 'rate', retryAfterSeconds: 1 } });
    s.clock.advance(1_000);
    expect((await push()).status).toBe(200);
  });

  it('answers 429 while correlation is too far behind, as alert ingest does', async () => {
    s.clock.advance(10_000);
    s.runtime.admission.setBacklog(s.runtime.config.ingest.maxBacklog + 1);
    try {
      const refused = await push();
      expect(refused.status).toBe(429);
      expect(refused.headers.get('retry-after')).toBe('5');
      expect(((await refused.json()) as any).error).toMatchObject({ code: 'RATE_LIMITED', details: { reason: 'backlog', retryAfterSeconds: 5 } });
    } finally {
      s.runtime.admission.setBacklog(0);
    }
    expect((await push()).status).toBe(200);
  });

  it('answers 503 with Retry-After when every write slot is taken, and serves again when it frees', async () => {
    s.clock.advance(10_000);
    // A push whose body is still arriving holds the only slot.
    let release!: () => void;
    let reading!: () => void;
    const started = new Promise<void>((resolve) => (reading = resolve));
    const slow = new ReadableStream<Uint8Array>({
      async pull(controller) {
        reading();
        await new Promise<void>((resolve) => (release = resolve));
        controller.enqueue(new TextEncoder().encode(body('slow-2')));
        controller.close();
      },
    });
    const first = push({ body: slow, duplex: 'half' });
    await started;
    const busy = await push();
    release();
    expect(busy.status).toBe(503);
    expect(busy.headers.get('retry-after')).toBe('2');
    expect(((await busy.json()) as any).error).toMatchObject({ code: 'UNAVAILABLE', message: '1 metric pushes are being stored; retry later', details: { retryAfterSeconds: 2 } });
    expect((await first).status).toBe(200);
    s.clock.advance(10_000);
    expect((await push()).status).toBe(200);
  });

  it('answers 503 (retryable) rather than 500 when the store fails, and recovers', async () => {
    s.clock.advance(10_000);
    const db = s.runtime.handle.db;
    await sql`alter table capacity_rollups rename to capacity_rollups_away`.execute(db);
    try {
      const failed = await push();
      expect(failed.status).toBe(503);
      expect(failed.headers.get('retry-after')).toBe('2');
      expect(((await failed.json()) as any).error.message).toBe('metrics could not be stored; retry later');
    } finally {
      await sql`alter table capacity_rollups_away rename to capacity_rollups`.execute(db);
    }
    s.clock.advance(10_000);
    expect((await push()).status).toBe(200);
  });
});
