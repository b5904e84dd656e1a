/**
 * Token security on both databases: tokens expire (a duration or a time, from the API and
 * the service), an expired token gets 401 on every kind of route, expiry is validated, and
 * only digests are stored.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthenticator, hashToken, resolveTokenExpiry, sameTokenHash } from '../../server/src/services/tokens.js';
import { makeNativeAlert } from '../helpers/fixtures.js';
import { dialects, startTestServer, T0, type TestServer } from '../helpers/runtime.js';

const DAY = 86_400_000;

describe('token expiry and comparison (pure parts)', () => {
  it('reads durations and ISO times, and refuses the past, nonsense and absurd lifetimes', () => {
    expect(resolveTokenExpiry('30d', T0)).toEqual({ ok: true, value: T0 + 30 * DAY });
    expect(resolveTokenExpiry('2027-01-01T00:00:00Z', T0)).toEqual({ ok: true, value: Date.parse('2027-01-01T00:00:00Z') });
    for (const bad of ['0', '2020-01-01T00:00:00Z', 'soon', '-1d', '99999999999999999999d', '20y', "1d'; drop table api_tokens; --"]) {
      expect(resolveTokenExpiry(bad, T0).ok, bad).toBe(false);
    }
  });

  it('compares digests only when both are whole SHA-256 digests', () => {
    const h = hashToken('sl_abc');
    expect(sameTokenHash(h, hashToken('sl_abc'))).toBe(true);
    expect(sameTokenHash(h, hashToken('sl_abd'))).toBe(false);
    expect(sameTokenHash(h, h.slice(0, 62))).toBe(false);
    expect(sameTokenHash('', '')).toBe(false);
  });
});

describe.each(dialects())('tokens on %s', (dialect) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer(dialect);
  });
  afterAll(async () => s?.close());

  const create = async (body: Record<string, unknown>) => s.request('POST', '/api/v1/tokens', { json: body });

  it('creates a token that expires after a duration; once expired it gets 401 everywhere (an invalid routing key for PagerDuty)', async () => {
    const res = await create({ name: 'short-lived', scopes: ['ingest', 'read', 'write'], expiresIn: '30d' });
    expect(res.status).toBe(201);
    const created = (await res.json()) as { token: string; expiresAt: string };
    expect(Date.parse(created.expiresAt)).toBe(s.clock.now() + 30 * DAY);

    expect((await s.request('GET', '/api/v1/incidents', { token: created.token })).status).toBe(200);
    expect((await s.request('POST', '/api/v1/alerts', { token: created.token, json: { alerts: [makeNativeAlert()] } })).status).toBe(200);

    s.clock.advance(30 * DAY - 1);
    expect((await s.request('GET', '/api/v1/incidents', { token: created.token })).status).toBe(200);
    s.clock.advance(1);
    for (const [method, path, json] of [
      ['GET', '/api/v1/incidents', undefined],
      ['POST', '/api/v1/alerts', { alerts: [makeNativeAlert()] }],
      ['POST', '/api/v1/incidents/1/acknowledge', {}],
    ] as const) {
      const denied = await s.request(method, path, { token: created.token, json });
      expect(denied.status, `${method} ${path}`).toBe(401);
      expect(denied.headers.get('www-authenticate')).toContain('invalid_token');
      expect(((await denied.json()) as any).error.message).toBe('invalid, expired or revoked token');
    }
    // PagerDuty's routing key is a token too; an expired one is an invalid routing key (400, as PagerDuty answers).
    const pd = await s.request('POST', '/v2/enqueue', { token: null, json: { routing_key: created.token, event_action: 'trigger', payload: { summary: 's', source: 'h', severity: 'info' } } });
    expect(pd.status).toBe(400);
    expect(((await pd.json()) as { status: string }).status).toBe('invalid event');

    const listed = ((await (await s.request('GET', '/api/v1/tokens')).json()) as any).items.find((t: any) => t.name === 'short-lived');
    expect(listed.expiresAt).toBe(created.expiresAt);
  });

  it('takes an absolute expiresAt and refuses expiries in the past, both forms at once, or nonsense', async () => {
    const at = new Date(s.clock.now() + 2 * DAY).toISOString();
    const ok = await create({ name: 'until-time', scopes: ['read'], expiresAt: at });
    expect(ok.status).toBe(201);
    expect(((await ok.json()) as any).expiresAt).toBe(at);

    const past = await create({ name: 'past', scopes: ['read'], expiresAt: new Date(s.clock.now() - 1000).toISOString() });
    expect(past.status).toBe(400);
    expect(((await past.json()) as any).error.message).toContain('future');
    expect((await create({ name: 'both', scopes: ['read'], expiresAt: at, expiresIn: '1d' })).status).toBe(400);
    expect((await create({ name: 'nonsense', scopes: ['read'], expiresIn: 'tomorrow' })).status).toBe(400);
    expect((await create({ name: 'huge', scopes: ['read'], expiresIn: '99999999999999999999d' })).status).toBe(400);
    const names = ((await (await s.request('GET', '/api/v1/tokens')).json()) as any).items.map((t: any) => t.name);
    expect(names).not.toContain('past');
    expect(names).not.toContain('huge');
  });

  it('authenticates by digest: a stored digest that differs by one character does not match', async () => {
    const res = await create({ name: 'digest-check', scopes: ['read'] });
    const { token } = (await res.json()) as { token: string };
    const auth = createAuthenticator(s.runtime.handle.db, s.clock, null);
    expect(await auth.authenticate(token)).toMatchObject({ name: 'digest-check', scopes: ['read'] });
    expect(await auth.authenticate(`${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`)).toBeNull();
    expect(await auth.authenticate(hashToken(token))).toBeNull();
    const rows = await s.runtime.handle.db.selectFrom('api_tokens').select(['name', 'token_hash']).execute();
    expect(rows.find((r) => r.name === 'digest-check')?.token_hash).toBe(hashToken(token));
    expect(JSON.stringify(rows)).not.toContain(token);
  });
});
