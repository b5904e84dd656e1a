/**
 * Silence durations and times are checked at the edge (400 naming the field, nothing stored),
 * and a row stored out of range before that check existed no longer breaks the listing.
 * `"duration":"99999999d"` used to answer 500 yet be stored, and every listing failed after.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects, startTestServer, T0, type TestServer } from '../helpers/runtime.js';

const matchers = [{ name: 'service', value: 'billing' }];
const DAY = 86_400_000;

describe.each(dialects())('silence time ranges on %s', (dialect) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer(dialect);
  });
  afterAll(async () => s?.close());

  const stored = async () => Number((await s.runtime.handle.db.selectFrom('silences').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
  const create = (json: Record<string, unknown>) => s.request('POST', '/api/v1/silences', { json: { matchers, comment: 'probe', ...json } });

  it.each([
    ['a duration past year 9999', { duration: '99999999d' }, 'duration', 'duration is too long'],
    ['a duration too long to count', { duration: `${'9'.repeat(400)}d` }, 'duration', 'duration'],
    ['a start near year 9999 plus a duration past it', { startsAt: '9999-12-31T23:00:00Z', duration: '2h' }, 'duration', 'duration is too long'],
    ['a start before 1970', { startsAt: '1900-01-01T00:00:00Z', duration: '2h' }, 'startsAt', 'is more than 365d before the server\'s time'],
    ['a start more than a year back', { startsAt: '2025-11-01T00:00:00Z', duration: '2h' }, 'startsAt', 'is more than 365d before the server\'s time'],
    ['a start without an offset', { startsAt: '2026-11-21T05:00:00', duration: '2h' }, 'startsAt', 'has no UTC offset'],
    ['an end before the start', { startsAt: '2026-11-21T05:00:00Z', endsAt: '2026-11-21T04:30:00Z' }, 'endsAt', 'endsAt must be after startsAt'],
  ])('refuses %s with 400 naming the field, and stores nothing', async (_name, json, field, message) => {
    const before = await stored();
    const res = await create(json);
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string; message: string; details?: { field?: string; issues?: { path: string }[] } } };
    expect(body.error.code).toBe('VALIDATION');
    expect(body.error.message).toContain(message);
    expect(body.error.details?.field ?? body.error.details?.issues?.[0]?.path).toBe(field);
    expect(await stored()).toBe(before);
    expect((await s.request('GET', '/api/v1/silences')).status).toBe(200);
  });

  it('accepts the longest silence there is: one ending at 9999-12-31T23:59:59.999Z', async () => {
    const res = await create({ endsAt: '9999-12-31T23:59:59.999Z' });
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ state: 'active', endsAt: '9999-12-31T23:59:59.999Z' });
  });

  it('lists and expires a silence already stored out of range instead of failing for everyone', async () => {
    // What "99999999d" stored before the check: an end no Date can hold.
    await s.runtime.handle.db
      .insertInto('silences')
      .values({ id: 'out-of-range', kind: 'silence', matchers: JSON.stringify(matchers), starts_at: T0, ends_at: T0 + 99_999_999 * DAY, created_by: 'old', comment: 'stored before the check', created_at: T0 })
      .execute();
    const res = await s.request('GET', '/api/v1/silences');
    expect(res.status).toBe(200);
    const item = ((await res.json()) as { items: { id: string; state: string; endsAt: string }[] }).items.find((i) => i.id === 'out-of-range');
    expect(item).toMatchObject({ state: 'active', endsAt: '9999-12-31T23:59:59.999Z' });
    expect((await s.request('GET', '/api/v1/silences?state=active')).status).toBe(200);

    const expired = await s.request('DELETE', '/api/v1/silences/out-of-range');
    expect(expired.status).toBe(200);
    expect(await expired.json()).toMatchObject({ state: 'expired', endsAt: new Date(s.clock.now()).toISOString() });
  });
});
