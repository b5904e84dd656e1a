/** Who is on call: rotations at local hand-off times across DST, layers, weekly hours and overrides. */
import { describe, expect, it } from 'vitest';
import { scheduleOf, ScheduleEntry, type Schedule, type ScheduleOverride } from '../../server/src/domain/oncall.js';
import { nextOnCall, onCallAt, rotationShifts, shiftsBetween } from '../../server/src/oncall/schedule.js';

const z = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

function schedule(entry: ScheduleEntry, overrides: ScheduleOverride[] = []): Schedule {
  return scheduleOf('test', ScheduleEntry.parse(entry), overrides);
}
const shifts = (s: Schedule, from: string, to: string) => shiftsBetween(s, z(from), z(to)).map((x) => `${x.user} ${iso(x.from)} → ${iso(x.to)} (${x.layer})`);

describe('rotations hand over at local time', () => {
  it.each([
    [
      'daily 09:00 Berlin across the March change: 08:00Z, then 07:00Z',
      { name: 'primary', users: ['ann', 'bob', 'cat'], start: '2026-03-27T09:00', timeZone: 'Europe/Berlin', handOff: 'daily' },
      '2026-03-27T08:00:00Z',
      '2026-03-30T07:00:00Z',
      ['ann 2026-03-27T08:00:00Z → 2026-03-28T08:00:00Z', 'bob 2026-03-28T08:00:00Z → 2026-03-29T07:00:00Z', 'cat 2026-03-29T07:00:00Z → 2026-03-30T07:00:00Z'],
    ],
    [
      'daily 09:00 Berlin across the October change: 07:00Z, then 08:00Z',
      { name: 'primary', users: ['ann', 'bob'], start: '2026-10-23T09:00', timeZone: 'Europe/Berlin', handOff: 'daily' },
      '2026-10-24T00:00:00Z',
      '2026-10-26T00:00:00Z',
      ['ann 2026-10-24T00:00:00Z → 2026-10-24T07:00:00Z', 'bob 2026-10-24T07:00:00Z → 2026-10-25T08:00:00Z', 'ann 2026-10-25T08:00:00Z → 2026-10-26T00:00:00Z'],
    ],
    [
      'weekly on Monday 10:00 New York, many weeks after the start',
      { name: 'week', users: ['ann', 'bob', 'cat'], start: '2026-01-05T10:00', timeZone: 'America/New_York', handOff: 'weekly' },
      '2026-03-09T00:00:00Z',
      '2026-03-16T16:00:00Z',
      // Ten weeks on: cat, then ann from Monday 10:00 EDT (DST began on 8 March), then bob.
      ['cat 2026-03-09T00:00:00Z → 2026-03-09T14:00:00Z', 'ann 2026-03-09T14:00:00Z → 2026-03-16T14:00:00Z', 'bob 2026-03-16T14:00:00Z → 2026-03-16T16:00:00Z'],
    ],
    [
      'every 12h is elapsed time, even across the change',
      { name: 'half', users: ['ann', 'bob'], start: '2026-03-28T20:00', timeZone: 'Europe/Berlin', handOff: '12h' },
      '2026-03-28T19:00:00Z',
      '2026-03-29T20:00:00Z',
      ['ann 2026-03-28T19:00:00Z → 2026-03-29T07:00:00Z', 'bob 2026-03-29T07:00:00Z → 2026-03-29T19:00:00Z', 'ann 2026-03-29T19:00:00Z → 2026-03-29T20:00:00Z'],
    ],
    ['nobody before the rotation starts', { name: 'later', users: ['ann'], start: '2026-05-01T00:00', timeZone: 'UTC', handOff: 'daily' }, '2026-04-30T00:00:00Z', '2026-05-01T12:00:00Z', ['ann 2026-05-01T00:00:00Z → 2026-05-01T12:00:00Z']],
  ])('%s', (_name, layer, from, to, expected) => {
    expect(shifts(schedule({ layers: [layer as never] }), from, to)).toEqual(expected.map((e) => `${e} (${(layer as { name: string }).name})`));
  });

  it('splits nothing at the edges of the range: the rotation alone gives the same shifts for any window', () => {
    const layer = schedule({ layers: [{ name: 'p', users: ['a', 'b', 'c'], start: '2026-01-01T08:30', timeZone: 'Asia/Kolkata', handOff: 'daily' }] }).layers[0]!;
    const whole = rotationShifts(layer, z('2026-02-01T00:00:00Z'), z('2026-02-11T00:00:00Z'));
    const halves = [...rotationShifts(layer, z('2026-02-01T00:00:00Z'), z('2026-02-05T05:00:00Z')), ...rotationShifts(layer, z('2026-02-05T05:00:00Z'), z('2026-02-11T00:00:00Z'))];
    expect(whole.map((s) => s.user)).toEqual(['a', 'b', 'c', 'a', 'b', 'c', 'a', 'b', 'c', 'a', 'b'].slice(0, whole.length));
    // The shift cut at the window's edge continues in the second window with the same person.
    expect(halves.filter((s) => s.from !== z('2026-02-05T05:00:00Z')).map((s) => s.user)).toEqual(whole.map((s) => s.user));
    expect(halves.find((s) => s.from === z('2026-02-05T05:00:00Z'))?.user).toBe(whole.find((s) => s.from <= z('2026-02-05T05:00:00Z') && z('2026-02-05T05:00:00Z') < s.to)?.user);
  });
});

describe('layers, weekly hours and overrides', () => {
  const followTheSun = schedule({
    layers: [
      { name: 'base', users: ['ann', 'bob'], start: '2026-03-02T00:00', timeZone: 'UTC', handOff: 'weekly' },
      // Berlin's office covers its working day on weekdays; a later layer wins where it has someone.
      { name: 'emea-day', users: ['eve'], start: '2026-03-02T00:00', timeZone: 'Europe/Berlin', handOff: 'weekly', hours: { timeZone: 'Europe/Berlin', hours: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '09:00', end: '17:00' }] } },
    ],
  });

  it('a later layer covers an earlier one in its hours only, at local office hours across DST', () => {
    expect(shifts(followTheSun, '2026-03-27T00:00:00Z', '2026-03-31T00:00:00Z')).toEqual([
      'bob 2026-03-27T00:00:00Z → 2026-03-27T08:00:00Z (base)',
      'eve 2026-03-27T08:00:00Z → 2026-03-27T16:00:00Z (emea-day)',
      'bob 2026-03-27T16:00:00Z → 2026-03-30T00:00:00Z (base)',
      'ann 2026-03-30T00:00:00Z → 2026-03-30T07:00:00Z (base)',
      'eve 2026-03-30T07:00:00Z → 2026-03-30T15:00:00Z (emea-day)',
      'ann 2026-03-30T15:00:00Z → 2026-03-31T00:00:00Z (base)',
    ]);
  });

  it('an override covers every layer; a later override an earlier one', () => {
    const withOverrides = schedule(
      { layers: followTheSun.layers.map((l) => ({ name: l.name, users: l.users, start: l.start, timeZone: l.timeZone, handOff: 'weekly', hours: l.hours ? { timeZone: 'Europe/Berlin', hours: l.hours.weeklyHours } : null })) },
      [
        { id: 1, user: 'dan', from: z('2026-03-27T12:00:00Z'), to: z('2026-03-27T20:00:00Z') },
        { id: 2, user: 'fay', from: z('2026-03-27T14:00:00Z'), to: z('2026-03-27T15:00:00Z') },
      ],
    );
    expect(shifts(withOverrides, '2026-03-27T06:00:00Z', '2026-03-27T22:00:00Z')).toEqual([
      'bob 2026-03-27T06:00:00Z → 2026-03-27T08:00:00Z (base)',
      'eve 2026-03-27T08:00:00Z → 2026-03-27T12:00:00Z (emea-day)',
      'dan 2026-03-27T12:00:00Z → 2026-03-27T14:00:00Z (override)',
      'fay 2026-03-27T14:00:00Z → 2026-03-27T15:00:00Z (override)',
      'dan 2026-03-27T15:00:00Z → 2026-03-27T20:00:00Z (override)',
      'bob 2026-03-27T20:00:00Z → 2026-03-27T22:00:00Z (base)',
    ]);
  });

  it('who is on call at an instant: the whole shift, and the next one', () => {
    expect(onCallAt(followTheSun, z('2026-03-28T12:00:00Z'))).toEqual({ user: 'bob', from: z('2026-03-27T16:00:00Z'), to: z('2026-03-30T00:00:00Z'), layer: 'base' });
    expect(nextOnCall(followTheSun, z('2026-03-28T12:00:00Z'))).toEqual({ user: 'ann', from: z('2026-03-30T00:00:00Z'), to: z('2026-03-30T07:00:00Z'), layer: 'base' });
    const gap = schedule({ layers: [{ name: 'day', users: ['ann'], start: '2026-03-02T00:00', timeZone: 'UTC', handOff: 'daily', hours: { timeZone: 'UTC', hours: [{ days: ['mon'], start: '09:00', end: '10:00' }] } }] });
    expect(onCallAt(gap, z('2026-03-03T12:00:00Z'))).toBeNull();
    expect(nextOnCall(gap, z('2026-03-03T12:00:00Z'))).toMatchObject({ user: 'ann', from: z('2026-03-09T09:00:00Z') });
  });
});

describe('schedule definitions', () => {
  it.each([
    [{ layers: [] }, 'layers'],
    [{ layers: [{ name: 'p', users: ['a'], start: '2026-03-02 09:00' }] }, 'layers.0.start'],
    [{ layers: [{ name: 'p', users: ['a'], start: '2026-03-02T09:00', timeZone: 'Mars/Olympus' }] }, 'layers.0.timeZone'],
    [{ layers: [{ name: 'p', users: ['a'], start: '2026-03-02T09:00', handOff: '10m' }] }, 'layers.0.handOff'],
    [{ layers: [{ name: 'p', users: [], start: '2026-03-02T09:00' }] }, 'layers.0.users'],
    [{ layers: [{ name: 'p', users: ['a'], start: '2026-03-02T09:00' }, { name: 'p', users: ['b'], start: '2026-03-02T09:00' }] }, 'layers.1.name'],
  ])('refuses %j naming %s', (entry, path) => {
    const parsed = ScheduleEntry.safeParse(entry);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((i) => i.path.join('.'))).toContain(path);
  });
});
