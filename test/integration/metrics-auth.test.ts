import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/runtime.js';

describe('/metrics behind a token when configured', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer('sqlite', { SIGHTLINE_METRICS_REQUIRE_TOKEN: 'true' });
  });
  afterAll(async () => s?.close());

  it('asks for a read token, and health stays open', async () => {
    expect((await s.request('GET', '/metrics', { token: null })).status).toBe(401);
    expect((await s.request('GET', '/metrics', { token: s.tokens.ingest })).status).toBe(403);
    const ok = await s.request('GET', '/metrics', { token: s.tokens.read });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toContain('text/plain');
    expect(await ok.text()).toContain('sightline_build_info');
    expect((await s.request('GET', '/healthz', { token: null })).status).toBe(200);
    expect((await s.request('GET', '/readyz', { token: null })).status).toBe(200);
  });
});
