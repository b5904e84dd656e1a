/** The periods a report selects: current and previous, calendar and rolling. */
import { describe, expect, it } from 'vitest';
import type { SlaPeriod } from '../../server/src/domain/sla.js';
import { periodBefore, periodContaining, periodsBetween } from '../../server/src/sla/periods.js';

const D = 86_400_000;
const at = (iso: string) => Date.parse(iso);

describe('current and previous periods', () => {
  const now = at('2026-11-21T13:00:00Z');
  it.each<[string, SlaPeriod, [string, string], [string, string]]>([
    ['a month in UTC', { kind: 'calendar', unit: 'month', timeZone: 'UTC' }, ['2026-11-01T00:00:00Z', '2026-12-01T00:00:00Z'], ['2026-10-01T00:00:00Z', '2026-11-01T00:00:00Z']],
    // October in Berlin has the fall-back night: 745 hours.
    ['a month in Berlin', { kind: 'calendar', unit: 'month', timeZone: 'Europe/Berlin' }, ['2026-10-31T23:00:00Z', '2026-11-30T23:00:00Z'], ['2026-09-30T22:00:00Z', '2026-10-31T23:00:00Z']],
    ['an ISO week', { kind: 'calendar', unit: 'week', timeZone: 'UTC' }, ['2026-11-16T00:00:00Z', '2026-11-23T00:00:00Z'], ['2026-11-09T00:00:00Z', '2026-11-16T00:00:00Z']],
  ])('%s', (_name, period, current, previous) => {
    expect(periodContaining(period, now)).toEqual({ start: at(current[0]), end: at(current[1]) });
    expect(periodBefore(period, now)).toEqual({ start: at(previous[0]), end: at(previous[1]) });
    // Its own bounds select exactly that period.
    const p = periodBefore(period, now);
    expect(periodsBetween(period, p.start, p.end)).toEqual([p]);
  });

  it('rolls back N days for a rolling period, and its bounds select exactly it', () => {
    const period: SlaPeriod = { kind: 'rolling', days: 30 };
    expect(periodContaining(period, now)).toEqual({ start: now - 30 * D, end: now });
    const previous = periodBefore(period, now);
    expect(previous).toEqual({ start: now - 60 * D, end: now - 30 * D });
    expect(periodsBetween(period, previous.start, previous.end)).toEqual([previous]);
  });
});
