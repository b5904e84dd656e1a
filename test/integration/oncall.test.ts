/**
 * On-call over HTTP on both databases: people and schedules round trip, shifts that hand over
 * at local time across a DST change, an override, who is on call at a time, 400s naming the
 * field, 404 for an unknown schedule and scopes.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../server/src/config.js';
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

  it('gives back a fixed-span rotation with hours in a form that can be sent again as it is', async () => {
    const body = {
      layers: [
        { name: 'nights', users: ['carol'], start: '2027-03-01T18:00', handOff: 'daily', hours: '24x7' },
        { name: 'days', users: ['alice', 'bob'], start: '2027-03-01T08:00', timeZone: 'Europe/Berlin', handOff: '30h', hours: { timeZone: 'Europe/Berlin', hours: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '08:00', end: '18:00' }], holidays: ['2027-03-03'] } },
      ],
    };
    const first = await s.request('PUT', '/api/v1/schedules/shifts', { token: s.tokens.write, json: body });
    expect(first.status).toBe(200);
    const { name, overrides, ...written } = (await first.json()) as { name: string; overrides: unknown[]; layers: { handOff: string }[] };
    expect([name, overrides]).toEqual(['shifts', []]);
    expect(written.layers.map((l) => l.handOff)).toEqual(['daily', '108000s']);
    const range = '?from=2027-03-01T00:00:00Z&to=2027-03-05T00:00:00Z';
    const before = ((await (await s.request('GET', `/api/v1/schedules/shifts${range}`, { token: s.tokens.read })).json()) as { shifts: Shift[] }).shifts;
    const again = await s.request('PUT', '/api/v1/schedules/shifts', { token: s.tokens.write, json: written });
    expect(again.status).toBe(200);
    const after = ((await (await s.request('GET', `/api/v1/schedules/shifts${range}`, { token: s.tokens.read })).json()) as { shifts: Shift[] }).shifts;
    expect(after).toEqual(before);
    // The day layer covers Berlin office hours (07:00–17:00Z in March) but the holiday, handing over every 30 h of real time.
    expect(before.filter((x) => x.layer === 'days').map((x) => [x.user, x.from.slice(0, 16), x.to.slice(0, 16)])).toEqual([
      ['alice', '2027-03-01T07:00', '2027-03-01T17:00'],
      ['alice', '2027-03-02T07:00', '2027-03-02T13:00'],
      ['bob', '2027-03-02T13:00', '2027-03-02T17:00'],
      ['alice', '2027-03-04T07:00', '2027-03-04T17:00'],
    ]);
    expect(before[0]).toEqual({ user: 'alice', from: '2027-03-01T07:00:00.000Z', to: '2027-03-01T17:00:00.000Z', layer: 'days' });
    expect(before[1]).toEqual({ user: 'carol', from: '2027-03-01T18:00:00.000Z', to: '2027-03-02T07:00:00.000Z', layer: 'nights' });
    expect((await s.request('DELETE', '/api/v1/schedules/shifts', { token: s.tokens.write })).status).toBe(204);
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

const ONCALL_YAML = `
oncall:
  users:
    - { name: alice, email: alice@example.com, timeZone: Europe/Berlin }
    - { name: bob, slack: "@bob" }
  schedules:
    - name: payments
      description: Payments, first line
      layers:
        - { name: primary, users: [alice, bob], start: "2026-11-16T09:00", timeZone: Europe/Berlin, handOff: weekly }
`;

describe.each(dialects())('on-call from the configuration file on %s', (dialect) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer(dialect, {}, ONCALL_YAML);
  });
  afterAll(async () => s?.close());

  it('puts the file’s people and schedules in place at start', async () => {
    const now = (await (await s.request('GET', '/api/v1/oncall', { token: s.tokens.read })).json()) as { items: unknown[] };
    expect(now.items).toEqual([{ schedule: 'payments', user: 'alice', from: '2026-11-16T08:00:00.000Z', to: '2026-11-23T08:00:00.000Z', layer: 'primary' }]);
    const users = (await (await s.request('GET', '/api/v1/users', { token: s.tokens.read })).json()) as { items: { name: string }[] };
    expect(users.items.map((u) => u.name)).toEqual(['alice', 'bob']);
  });

  /** The VEVENTs of a feed, each as its properties (folded lines joined, RFC 5545 3.1). */
  function eventsOf(text: string): Record<string, string>[] {
    const lines = text.replace(/\r\n[ \t]/g, '').split('\r\n');
    expect(lines[0]).toBe('BEGIN:VCALENDAR');
    expect(lines.filter((l) => l !== '').at(-1)).toBe('END:VCALENDAR');
    const events: Record<string, string>[] = [];
    let current: Record<string, string> | null = null;
    for (const line of lines) {
      if (line === 'BEGIN:VEVENT') current = {};
      else if (line === 'END:VEVENT' && current) (events.push(current), (current = null));
      else if (current) {
        const colon = line.indexOf(':');
        current[line.slice(0, colon).split(';')[0] as string] = line.slice(colon + 1);
      }
    }
    return events;
  }

  it('serves a schedule’s next 8 weeks as an iCalendar feed, one event per shift in UTC', async () => {
    const res = await s.request('GET', '/api/v1/schedules/payments/ical', { token: s.tokens.read });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/calendar; charset=utf-8');
    const events = eventsOf(await res.text());
    // From the shift on call now (since Monday 09:00 Berlin) to 8 weeks ahead: 9 weekly shifts, the last cut at the horizon.
    expect(events.map((e) => [e.DTSTART, e.DTEND, e.SUMMARY])).toEqual([
      ['20261116T080000Z', '20261123T080000Z', 'On call: alice (payments)'],
      ['20261123T080000Z', '20261130T080000Z', 'On call: bob (payments)'],
      ['20261130T080000Z', '20261207T080000Z', 'On call: alice (payments)'],
      ['20261207T080000Z', '20261214T080000Z', 'On call: bob (payments)'],
      ['20261214T080000Z', '20261221T080000Z', 'On call: alice (payments)'],
      ['20261221T080000Z', '20261228T080000Z', 'On call: bob (payments)'],
      ['20261228T080000Z', '20270104T080000Z', 'On call: alice (payments)'],
      ['20270104T080000Z', '20270111T080000Z', 'On call: bob (payments)'],
      ['20270111T080000Z', '20270116T040000Z', 'On call: alice (payments)'],
    ]);
    expect(new Set(events.map((e) => e.UID)).size).toBe(events.length);
    // A day later the same shifts keep their UIDs (clients update events instead of adding copies).
    s.clock.advance(86_400_000);
    const later = eventsOf(await (await s.request('GET', '/api/v1/schedules/payments/ical', { token: s.tokens.read })).text());
    s.clock.advance(-86_400_000);
    expect(later.slice(0, 8).map((e) => e.UID)).toEqual(events.slice(0, 8).map((e) => e.UID));
  });

  it('serves a person’s shifts across schedules as a feed, and 404 for unknown names', async () => {
    const res = await s.request('GET', '/api/v1/users/bob/ical', { token: s.tokens.read });
    expect(res.status).toBe(200);
    expect(eventsOf(await res.text()).map((e) => e.DTSTART)).toEqual(['20261123T080000Z', '20261207T080000Z', '20261221T080000Z', '20270104T080000Z']);
    expect((await s.request('GET', '/api/v1/users/nobody/ical', { token: s.tokens.read })).status).toBe(404);
    expect((await s.request('GET', '/api/v1/schedules/nothing/ical', { token: s.tokens.read })).status).toBe(404);
    expect((await s.request('GET', '/api/v1/schedules/payments/ical', { token: s.tokens.ingest })).status).toBe(403);
    expect((await s.request('GET', '/api/v1/users/bob/ical', { token: null })).status).toBe(401);
  });
});

describe('on-call configuration problems', () => {
  const problemsOf = (yaml: string) => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'sightline-oncall-')), 'sightline.yaml');
    writeFileSync(file, yaml);
    const loaded = loadConfig({ file, env: {} });
    return loaded.ok ? [] : loaded.problems;
  };
  it('names the path of each problem', () => {
    expect(problemsOf(ONCALL_YAML)).toEqual([]);
    expect(problemsOf(ONCALL_YAML.replace('timeZone: Europe/Berlin }\n    - { name: bob', 'timeZone: Mars/Olympus }\n    - { name: bob'))).toEqual([
      'oncall.users.0.timeZone: must be an IANA time zone such as Europe/Berlin',
    ]);
    expect(problemsOf(ONCALL_YAML.replace('users: [alice, bob]', 'users: [alice, mallory]'))).toEqual(['oncall.schedules.0.layers.0.users.1: unknown user mallory (list it under oncall.users)']);
    expect(problemsOf(ONCALL_YAML.replace('handOff: weekly', 'handOff: sometimes'))[0]).toMatch(/^oncall\.schedules\.0\.layers\.0\.handOff: must be daily, weekly/);
    expect(problemsOf(ONCALL_YAML.replace('name: bob', 'name: alice'))).toEqual([
      'oncall.users.1.name: user alice is defined twice',
      'oncall.schedules.0.layers.0.users.1: unknown user bob (list it under oncall.users)',
    ]);
  });
});
