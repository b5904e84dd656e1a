/** Occurrences of recurring silences in their time zone, across the clock changes of Europe/Berlin. */
import { describe, expect, it } from 'vitest';
import { nextOccurrences, occurrencesBetween, scheduleProblem, timeZoneProblem, type RecurringSilence } from '../../server/src/domain/recurring-silence.js';

const H = 3_600_000;
const at = (text: string) => Date.parse(text);
const iso = (ms: number) => new Date(ms).toISOString();

function recurring(overrides: Partial<RecurringSilence> = {}): RecurringSilence {
  return {
    id: 'r1',
    name: 'sunday-maintenance',
    kind: 'maintenance',
    matchers: [{ name: 'service', value: 'checkout', isRegex: false, isEqual: true }],
    schedule: '0 2 * * SUN',
    timeZone: 'Europe/Berlin',
    durationMs: 2 * H,
    startsAt: at('2026-01-01T00:00:00Z'),
    endsAt: null,
    origin: 'api',
    createdBy: 'alice',
    comment: 'weekly patching',
    createdAt: at('2026-01-01T00:00:00Z'),
    ...overrides,
  };
}

const windows = (r: RecurringSilence, from: string, to: string) => occurrencesBetween(r, at(from), at(to)).map((s) => [iso(s.startsAt), iso(s.endsAt)]);

describe('occurrencesBetween', () => {
  it.each([
    // [from, to, windows]: 02:00 local is 01:00 UTC in winter (CET) and 00:00 UTC in summer (CEST).
    ['winter', '2026-03-15T00:00:00Z', '2026-03-23T00:00:00Z', [['2026-03-15T01:00:00.000Z', '2026-03-15T03:00:00.000Z'], ['2026-03-22T01:00:00.000Z', '2026-03-22T03:00:00.000Z']]],
    // 29 March 2026: 02:00 does not exist (02:00 CET → 03:00 CEST); the start moves to 03:00 CEST = 01:00 UTC.
    ['the March change', '2026-03-28T00:00:00Z', '2026-04-06T00:00:00Z', [['2026-03-29T01:00:00.000Z', '2026-03-29T03:00:00.000Z'], ['2026-04-05T00:00:00.000Z', '2026-04-05T02:00:00.000Z']]],
    // 25 October 2026: 02:00 happens twice (CEST, then CET); the window starts once, the first time.
    ['the October change', '2026-10-18T00:00:00Z', '2026-11-02T00:00:00Z', [['2026-10-18T00:00:00.000Z', '2026-10-18T02:00:00.000Z'], ['2026-10-25T00:00:00.000Z', '2026-10-25T02:00:00.000Z'], ['2026-11-01T01:00:00.000Z', '2026-11-01T03:00:00.000Z']]],
  ])('keeps 02:00 local time in %s', (_name, from, to, expected) => {
    expect(windows(recurring(), from, to)).toEqual(expected);
  });

  it('includes an occurrence under way at `from`, and none starting at `to`', () => {
    expect(windows(recurring(), '2026-03-22T02:00:00Z', '2026-03-29T01:00:00Z')).toEqual([['2026-03-22T01:00:00.000Z', '2026-03-22T03:00:00.000Z']]);
  });

  it('cuts occurrences to the recurring silence’s own start and end', () => {
    const r = recurring({ startsAt: at('2026-03-22T02:00:00Z'), endsAt: at('2026-03-29T02:00:00Z') });
    expect(windows(r, '2026-03-01T00:00:00Z', '2026-05-01T00:00:00Z')).toEqual([
      ['2026-03-22T02:00:00.000Z', '2026-03-22T03:00:00.000Z'],
      ['2026-03-29T01:00:00.000Z', '2026-03-29T02:00:00.000Z'],
    ]);
  });

  it('gives each occurrence a stable id and the recurring silence’s matchers, kind and comment', () => {
    const [first] = occurrencesBetween(recurring(), at('2026-03-15T00:00:00Z'), at('2026-03-16T00:00:00Z'));
    expect(first).toEqual({ id: `recurring:r1:${at('2026-03-15T01:00:00Z')}`, kind: 'maintenance', matchers: recurring().matchers, startsAt: at('2026-03-15T01:00:00Z'), endsAt: at('2026-03-15T03:00:00Z'), createdBy: 'alice', comment: 'weekly patching', createdAt: at('2026-01-01T00:00:00Z') });
  });

  it('expands the most frequent schedule allowed, every half hour, over a week', () => {
    const r = recurring({ schedule: '*/30 * * * *', durationMs: 10 * 60_000 });
    // 29 March has 23 hours in Berlin: 46 starts instead of 48.
    expect(occurrencesBetween(r, at('2026-03-22T23:00:00Z'), at('2026-03-29T22:00:00Z'))).toHaveLength(6 * 48 + 46);
  });

  it('reads the first Sunday of the month (SUN#1) and the last day of the month (L)', () => {
    expect(windows(recurring({ schedule: '0 2 * * SUN#1' }), '2026-03-01T00:00:00Z', '2026-05-01T00:00:00Z').map(([start]) => start)).toEqual(['2026-03-01T01:00:00.000Z', '2026-04-05T00:00:00.000Z']);
    expect(windows(recurring({ schedule: '30 23 L * *', timeZone: 'UTC', durationMs: 10 * 60_000 }), '2026-02-01T00:00:00Z', '2026-04-01T00:00:00Z').map(([start]) => start)).toEqual(['2026-02-28T23:30:00.000Z', '2026-03-31T23:30:00.000Z']);
  });

  it('runs a day matching either day field when both are restricted, as crontab does', () => {
    // The 1st of the month or any Sunday.
    expect(windows(recurring({ schedule: '0 2 1 * SUN', timeZone: 'UTC' }), '2026-03-01T00:00:00Z', '2026-03-16T00:00:00Z').map(([start]) => start)).toEqual(['2026-03-01T02:00:00.000Z', '2026-03-08T02:00:00.000Z', '2026-03-15T02:00:00.000Z']);
  });

  it('takes a start every half hour through the repeated hour of October once', () => {
    const starts = occurrencesBetween(recurring({ schedule: '*/30 2 * * *', durationMs: 60_000 }), at('2026-10-24T22:00:00Z'), at('2026-10-25T03:00:00Z')).map((s) => iso(s.startsAt));
    expect(starts).toEqual(['2026-10-25T00:00:00.000Z', '2026-10-25T00:30:00.000Z']);
  });

  it('lists the next occurrences from now', () => {
    expect(nextOccurrences(recurring(), at('2026-03-29T00:00:00Z'), 2).map((o) => iso(o.startsAt))).toEqual(['2026-03-29T01:00:00.000Z', '2026-04-05T00:00:00.000Z']);
  });
});

describe('validation', () => {
  it.each([
    ['0 2 * * SUN', null],
    ['*/15 9-17 * * MON-FRI', null],
    ['0 2 * *', 'expected five fields (minute hour day-of-month month day-of-week), got 4'],
    ['* * * * *', 'it starts 1440 times a day; at most 48'],
    ['0 2 * * 5L', 'L in the day-of-week field is not supported (use # for the nth weekday, e.g. SUN#1)'],
  ])('schedule %j', (schedule, problem) => {
    expect(scheduleProblem(schedule)).toBe(problem);
  });

  it('refuses a schedule cron-parser refuses, with its reason', () => {
    expect(scheduleProblem('61 2 * * SUN')).toMatch(/61/);
  });

  it('names a time zone that is not an IANA zone', () => {
    expect(timeZoneProblem('Europe/Berlin')).toBeNull();
    expect(timeZoneProblem('CEST+2')).toBe('"CEST+2": must be an IANA time zone such as Europe/Berlin');
  });
});
