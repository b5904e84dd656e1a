/**
 * On-call over HTTP on both databases: people and schedules round trip, shifts that hand over
 * at local time across a DST change, an override, who is on call at a time, 400s naming the
 * field, 404 for an unknown schedule and scopes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects, startTestServer, type TestServer } from '../helpers/runtime.js';

type ErrorBody = { error: { code: string; message: string; details?: unknown } };
type Shift = { user: string; from: string; to: string; layer: string };

const PRIMARY = {
  description: 'Payments, first line',
  layers: [{ name: 'primary', users: ['alice', 'bob'], start: '2027-03-26T09:00', timeZone: 'Europe/Berlin', handOff: 'daily' }],
};

describe.each(dialects())('on-call API on %s', (dialect) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer(dialect);
  });
  afterAll(async () => s?.close());

  it('stores people and lists them back', async () => {
    for (const [name, body] of [
      ['alice', { email: 'alice@example.com', timeZone: 'Europe/Berlin' }],
      ['bob', { slack: '@bob' }],
      ['carol', {}],
    ] as const) {
      const res = await s.request('PUT', `/api/v1/users/${name}`, { token: s.tokens.write, json: body });
      expect(res.status, name).toBe(200);
    }
    const list = (await (await s.request('GET', '/api/v1/users', { token: s.tokens.read })).json()) as { items: unknown[] };
    expect(list.items).toEqual([
      { name: 'alice', email: 'alice@example.com', slack: null, teams: null, timeZone: 'Europe/Berlin' },
      { name: 'bob', email: null, slack: '@bob', teams: null, timeZone: 'UTC' },
      { name: 'carol', email: null, slack: null, teams: null, timeZone: 'UTC' },
    ]);
  });

  it('stores a schedule and gives it back as written', async () => {
    const put = await s.request('PUT', '/api/v1/schedules/payments', { token: s.tokens.write, json: PRIMARY });
    expect(put.status).toBe(200);
    const list = (await (await s.request('GET', '/api/v1/schedules', { token: s.tokens.read })).json()) as { items: unknown[] };
    expect(list.items).toEqual([{ name: 'payments', description: 'Payments, first line', layers: [{ ...PRIMARY.layers[0], hours: null }], overrides: [] }]);
  });

  it('hands over at 09:00 Berlin time on both sides of the DST change', async () => {
    const res = await s.request('GET', '/api/v1/schedules/payments?from=2027-03-26T08:00:00Z&to=2027-03-30T07:00:00Z', { token: s.tokens.read });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { shifts: Shift[] };
    expect(body.shifts).toEqual([
      { user: 'alice', from: '2027-03-26T08:00:00.000Z', to: '2027-03-27T08:00:00.000Z', layer: 'primary' },
      { user: 'bob', from: '2027-03-27T08:00:00.000Z', to: '2027-03-28T07:00:00.000Z', layer: 'primary' },
      { user: 'alice', from: '2027-03-28T07:00:00.000Z', to: '2027-03-29T07:00:00.000Z', layer: 'primary' },
      { user: 'bob', from: '2027-03-29T07:00:00.000Z', to: '2027-03-30T07:00:00.000Z', layer: 'primary' },
    ]);
  });

  it('lets an override cover the rotation, and answers who is on call at a time', async () => {
    const res = await s.request('POST', '/api/v1/schedules/payments/overrides', { token: s.tokens.write, json: { user: 'carol', from: '2027-03-27T12:00:00Z', to: '2027-03-27T14:00:00Z' } });
    expect(res.status).toBe(201);
    const { id } = (await res.json()) as { id: number };
    const shifts = ((await (await s.request('GET', '/api/v1/schedules/payments?from=2027-03-27T08:00:00Z&to=2027-03-28T07:00:00Z', { token: s.tokens.read })).json()) as { shifts: Shift[] }).shifts;
    expect(shifts).toEqual([
      { user: 'bob', from: '2027-03-27T08:00:00.000Z', to: '2027-03-27T12:00:00.000Z', layer: 'primary' },
      { user: 'carol', from: '2027-03-27T12:00:00.000Z', to: '2027-03-27T14:00:00.000Z', layer: 'override' },
      { user: 'bob', from: '2027-03-27T14:00:00.000Z', to: '2027-03-28T07:00:00.000Z', layer: 'primary' },
    ]);
    const during = (await (await s.request('GET', '/api/v1/oncall?at=2027-03-27T13:00:00Z', { token: s.tokens.read })).json()) as { at: string; items: unknown[] };
    expect(during).toEqual({ at: '2027-03-27T13:00:00.000Z', items: [{ schedule: 'payments', user: 'carol', from: '2027-03-27T12:00:00.000Z', to: '2027-03-27T14:00:00.000Z', layer: 'override' }] });
    const after = (await (await s.request('GET', '/api/v1/oncall?at=2027-03-28T10:00:00Z', { token: s.tokens.read })).json()) as { items: unknown[] };
    expect(after.items).toEqual([{ schedule: 'payments', user: 'alice', from: '2027-03-28T07:00:00.000Z', to: '2027-03-29T07:00:00.000Z', layer: 'primary' }]);
    expect((await s.request('DELETE', `/api/v1/schedules/payments/overrides/${id}`, { token: s.tokens.write })).status).toBe(204);
    const back = (await (await s.request('GET', '/api/v1/oncall?at=2027-03-27T13:00:00Z', { token: s.tokens.read })).json()) as { items: { user: string }[] };
    expect(back.items.map((i) => i.user)).toEqual(['bob']);
    expect((await s.request('DELETE', `/api/v1/schedules/payments/overrides/${id}`, { token: s.tokens.write })).status).toBe(404);
  });

  it('answers 400 naming the field for bad input', async () => {
    const cases: [string, string, unknown, RegExp][] = [
      ['PUT', '/api/v1/users/dave', { timeZone: 'Mars/Olympus' }, /timeZone: must be an IANA time zone/],
      ['PUT', '/api/v1/users/-dave', {}, /name "-dave" must start with a letter or digit/],
      ['PUT', '/api/v1/schedules/bad', { layers: [{ ...PRIMARY.layers[0], timeZone: 'Nowhere/Land' }] }, /layers\.0\.timeZone: must be an IANA time zone/],
      ['PUT', '/api/v1/schedules/bad', { layers: [{ ...PRIMARY.layers[0], users: ['alice', 'mallory'] }] }, /layers\.0\.users\.1: unknown user mallory/],
      ['PUT', '/api/v1/schedules/bad', { layers: [{ ...PRIMARY.layers[0], handOff: 'hourly' }] }, /layers\.0\.handOff: must be daily, weekly or a duration/],
      ['POST', '/api/v1/schedules/payments/overrides', { user: 'carol', from: '2027-03-27T14:00:00Z', to: '2027-03-27T12:00:00Z' }, /to: must be after from/],
      ['POST', '/api/v1/schedules/payments/overrides', { user: 'carol', from: 'yesterday', to: '2027-03-27T12:00:00Z' }, /override: from: /],
      ['POST', '/api/v1/schedules/payments/overrides', { user: 'mallory', from: '2027-03-27T12:00:00Z', to: '2027-03-27T14:00:00Z' }, /user: unknown user mallory/],
      ['GET', '/api/v1/schedules/payments?from=2027-03-27T12:00:00Z&to=2027-03-27T11:00:00Z', undefined, /to must be after from/],
      ['GET', '/api/v1/oncall?at=soon', undefined, /query: at: /],
    ];
    for (const [method, path, json, message] of cases) {
      const res = await s.request(method, path, { token: s.tokens.write, json });
      const body = (await res.json()) as ErrorBody;
      expect(res.status, `${method} ${path}`).toBe(400);
      expect(body.error.code).toBe('VALIDATION');
      expect(body.error.message, `${method} ${path}`).toMatch(message);
    }
    expect((await s.request('GET', '/api/v1/schedules', { token: s.tokens.read })).status).toBe(200);
    expect(((await (await s.request('GET', '/api/v1/schedules', { token: s.tokens.read })).json()) as { items: { name: string }[] }).items.map((i) => i.name)).toEqual(['payments']);
  });

  it('answers 404 for an unknown schedule', async () => {
    for (const [method, path, json] of [
      ['GET', '/api/v1/schedules/nothing', undefined],
      ['DELETE', '/api/v1/schedules/nothing', undefined],
      ['POST', '/api/v1/schedules/nothing/overrides', { user: 'carol', from: '2027-03-27T12:00:00Z', to: '2027-03-27T14:00:00Z' }],
    ] as const) {
      const res = await s.request(method, path, { token: s.tokens.write, json });
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(((await res.json()) as ErrorBody).error.message).toContain('schedule nothing not found');
    }
  });

  it('needs a token, read to look and write to change', async () => {
    expect((await s.request('GET', '/api/v1/oncall', { token: null })).status).toBe(401);
    expect((await s.request('GET', '/api/v1/schedules/payments', { token: null })).status).toBe(401);
    expect((await s.request('GET', '/api/v1/oncall', { token: s.tokens.ingest })).status).toBe(403);
    expect((await s.request('PUT', '/api/v1/users/erin', { token: s.tokens.read, json: {} })).status).toBe(403);
    expect((await s.request('PUT', '/api/v1/schedules/payments', { token: s.tokens.read, json: PRIMARY })).status).toBe(403);
    expect((await s.request('POST', '/api/v1/schedules/payments/overrides', { token: s.tokens.read, json: {} })).status).toBe(403);
    expect((await s.request('DELETE', '/api/v1/schedules/payments', { token: s.tokens.read })).status).toBe(403);
    expect((await s.request('GET', '/api/v1/oncall', { token: s.tokens.read })).status).toBe(200);
  });

  it('deletes a schedule with its overrides', async () => {
    expect((await s.request('PUT', '/api/v1/schedules/scratch', { token: s.tokens.write, json: PRIMARY })).status).toBe(200);
    expect((await s.request('POST', '/api/v1/schedules/scratch/overrides', { token: s.tokens.write, json: { user: 'carol', from: '2027-03-27T12:00:00Z', to: '2027-03-27T14:00:00Z' } })).status).toBe(201);
    expect((await s.request('DELETE', '/api/v1/schedules/scratch', { token: s.tokens.write })).status).toBe(204);
    expect((await s.request('GET', '/api/v1/schedules/scratch', { token: s.tokens.read })).status).toBe(404);
  });
});
