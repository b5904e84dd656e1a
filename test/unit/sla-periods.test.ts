import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import type { SlaPeriod } from '../../server/src/domain/sla.js';
import { periodContaining, periodsBetween } from '../../server/src/sla/periods.js';

const H = 3_600_000;
const D = 24 * H;
const at = (iso: string, zone = 'UTC') => DateTime.fromISO(iso, { zone }).toMillis();
const month = (timeZone: string): SlaPeriod => ({ kind: 'calendar', unit: 'month', timeZone });

describe('calendar periods in an IANA time zone', () => {
  it.each([
    ['Europe/Berlin', '2025-03-15T12:00:00Z', '2025-02-28T23:00:00Z', '2025-03-31T22:00:00Z', 31 * 24 - 1],
    ['Europe/Berlin', '2025-10-15T12:00:00Z', '2025-09-30T22:00:00Z', '2025-10-31T23:00:00Z', 31 * 24 + 1],
    ['America/New_York', '2025-03-15T12:00:00Z', '2025-03-01T05:00:00Z', '2025-04-01T04:00:00Z', 31 * 24 - 1],
    ['America/New_York', '2025-11-15T12:00:00Z', '2025-11-01T04:00:00Z', '2025-12-01T05:00:00Z', 30 * 24 + 1],
    ['UTC', '2024-02-10T00:00:00Z', '2024-02-01T00:00:00Z', '2024-03-01T00:00:00Z', 29 * 24],
  ])('a month in %s around %s runs from local midnight to local midnight', (zone, instant, start, end, hours) => {
    const p = periodContaining(month(zone), at(instant));
    expect(p).toEqual({ start: at(start), end: at(end) });
    expect((p.end - p.start) / H).toBe(hours);
  });

  it('is half-open: the instant of local midnight belongs to the new month', () => {
    const boundary = at('2025-04-01T00:00', 'Europe/Berlin');
    expect(periodContaining(month('Europe/Berlin'), boundary).start).toBe(boundary);
    expect(periodContaining(month('Europe/Berlin'), boundary - 1).end).toBe(boundary);
  });

  it.each([
    ['2025-02-14T12:00:00Z', '2024-12-31T23:00:00Z', '2025-03-31T22:00:00Z', 90 * 24 - 1],
    ['2025-05-01T00:00:00Z', '2025-03-31T22:00:00Z', '2025-06-30T22:00:00Z', 91 * 24],
    ['2025-12-31T22:59:59.999Z', '2025-09-30T22:00:00Z', '2025-12-31T23:00:00Z', 92 * 24 + 1],
    ['2025-12-31T23:00:00Z', '2025-12-31T23:00:00Z', '2026-03-31T22:00:00Z', 90 * 24 - 1],
  ])('the Europe/Berlin quarter containing %s', (instant, start, end, hours) => {
    const p = periodContaining({ kind: 'calendar', unit: 'quarter', timeZone: 'Europe/Berlin' }, at(instant));
    expect(p).toEqual({ start: at(start), end: at(end) });
    expect((p.end - p.start) / H).toBe(hours);
  });

  it('starts weeks on Monday and counts the spring-forward week as 167 hours', () => {
    const p = periodContaining({ kind: 'calendar', unit: 'week', timeZone: 'Europe/Berlin' }, at('2025-03-30T12:00:00Z'));
    expect(p).toEqual({ start: at('2025-03-24T00:00', 'Europe/Berlin'), end: at('2025-03-31T00:00', 'Europe/Berlin') });
    expect((p.end - p.start) / H).toBe(167);
  });
});

describe('rolling periods', () => {
  it('are exactly 30 × 24 h before now, across DST changes', () => {
    const now = at('2025-04-10T08:00:00Z');
    expect(periodContaining({ kind: 'rolling', days: 30 }, now)).toEqual({ start: now - 30 * D, end: now });
  });

  it('are laid back to back, ending at the end of the range', () => {
    const to = at('2025-04-10T00:00:00Z');
    expect(periodsBetween({ kind: 'rolling', days: 30 }, to - 45 * D, to)).toEqual([
      { start: to - 60 * D, end: to - 30 * D },
      { start: to - 30 * D, end: to },
    ]);
  });
});

describe('periodsBetween', () => {
  it('lists the whole months overlapping the range', () => {
    const months = periodsBetween(month('Europe/Berlin'), at('2025-01-15T00:00:00Z'), at('2025-04-01T00:00', 'Europe/Berlin'));
    expect(months.map((p) => DateTime.fromMillis(p.start, { zone: 'Europe/Berlin' }).toISODate())).toEqual(['2025-01-01', '2025-02-01', '2025-03-01']);
    for (let i = 1; i < months.length; i++) expect(months[i]!.start).toBe(months[i - 1]!.end);
  });

  it('returns nothing for an empty range', () => {
    expect(periodsBetween(month('UTC'), 10, 10)).toEqual([]);
  });
});
