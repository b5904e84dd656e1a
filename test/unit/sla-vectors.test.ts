/**
 * Every vector of test/fixtures/sla-vectors.md (a copy of the shared SLA reference
 * numbers) as a table-driven test.
 */
import { readFileSync } from 'node:fs';
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { parseDuration } from '../../server/src/domain/duration.js';
import { parseObjectivePpm, type BusinessCalendar } from '../../server/src/domain/sla.js';
import { allowedDowntimeMs, computeAvailability, computeReliability, ratioPpm } from '../../server/src/sla/availability.js';
import { BURN_RATE_RULES, burnRateThreshold, evaluateBurnRates } from '../../server/src/sla/burn-rate.js';
import { addBusinessMs, businessMsBetween } from '../../server/src/sla/calendar.js';
import { allowedBadEvents, summariseSlices } from '../../server/src/sla/events.js';
import { propagateDependencies } from '../../server/src/sla/outages.js';
import { periodContaining } from '../../server/src/sla/periods.js';

const S = 1000;
const MIN = 60 * S;
const H = 60 * MIN;
const D = 24 * H;
const at = (iso: string, zone = 'UTC') => DateTime.fromISO(iso, { zone }).toMillis();
const ppm = (text: string) => parseObjectivePpm(text) as number;
const officeHours = (timeZone = 'UTC'): BusinessCalendar => ({
  timeZone,
  weeklyHours: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '09:00', end: '17:00' }],
  holidays: [],
});

const tested = new Set<string>();
const vector = (id: string, title: string, fn: () => void) => {
  tested.add(id);
  it(`${id}: ${title}`, fn);
};

describe('SLA reference vectors', () => {
  describe.each([
    ['V1', '99.9', 30 * D, 2_592 * S],
    ['V2', '99.95', 30 * D, 1_296 * S],
    ['V2', '99.95', 31 * D, 1_339_200],
    ['V2', '99.95', 28 * D, 1_209_600],
    ['V3', '99.9', 28 * D, 2_419_200],
    ['V3', '99.99', 30 * D, 259_200],
    ['V3', '99.9', 365 * D, 31_536 * S],
  ] as const)('%s: %s %% over %d ms', (id, objective, periodMs, allowedMs) => {
    vector(id, `allows ${allowedMs} ms`, () => expect(allowedDowntimeMs(periodMs, ppm(objective))).toBe(allowedMs));
  });

  vector('V3', '8h 45m 36s a year at 99.9 %', () => expect(allowedDowntimeMs(365 * D, ppm('99.9'))).toBe(8 * H + 45 * MIN + 36 * S));

  vector('V4', 'integer ppm avoids the float trap', () => {
    expect(Math.floor(2_592_000 * (1 - 99.9 / 100))).toBe(2591); // the trap itself
    expect(ppm('99.9')).toBe(999_000);
    expect(allowedDowntimeMs(2_592_000, ppm('99.9'))).toBe(2592);
  });

  vector('V5', 'overlapping outages are merged before summing', () => {
    const start = at('2025-06-01T00:00:00Z');
    const report = computeAvailability({
      period: { start, end: start + 30 * D },
      objectivePpm: ppm('99.9'),
      serviceCalendar: null,
      outages: [
        { start: at('2025-06-10T10:00:00Z'), end: at('2025-06-10T10:30:00Z') },
        { start: at('2025-06-10T10:15:00Z'), end: at('2025-06-10T10:45:00Z') },
        { start: at('2025-06-10T11:00:00Z'), end: at('2025-06-10T11:05:00Z') },
      ],
      maintenance: [],
      asOf: start + 30 * D,
    });
    expect(report.downtimeMs).toBe(50 * MIN);
    expect(report.outages).toHaveLength(2);
    expect((report.sli * 100).toFixed(6)).toBe('99.884259');
    expect(report.sliPpm).toBe(998_842);
    expect(report.budgetRemainingMs).toBe(-408 * S);
    expect(report.breached).toBe(true);
  });

  vector('V6', 'down if any child is down = union; if all = intersection', () => {
    const a = [{ start: at('2025-06-10T10:00:00Z'), end: at('2025-06-10T10:20:00Z') }];
    const b = [{ start: at('2025-06-10T10:10:00Z'), end: at('2025-06-10T10:40:00Z') }];
    expect(propagateDependencies([], [a, b], 'any')).toEqual([{ start: at('2025-06-10T10:00:00Z'), end: at('2025-06-10T10:40:00Z') }]);
    expect(propagateDependencies([], [a, b], 'all')).toEqual([{ start: at('2025-06-10T10:10:00Z'), end: at('2025-06-10T10:20:00Z') }]);
  });

  vector('V7', 'a service calendar limits both the denominator and the downtime', () => {
    const period = periodContaining({ kind: 'calendar', unit: 'week', timeZone: 'UTC' }, at('2025-06-04T12:00:00Z'));
    expect(period).toEqual({ start: at('2025-06-02T00:00:00Z'), end: at('2025-06-09T00:00:00Z') });
    const report = computeAvailability({
      period,
      objectivePpm: ppm('99'),
      serviceCalendar: officeHours(),
      outages: [
        { start: at('2025-06-07T02:00:00Z'), end: at('2025-06-07T05:00:00Z') }, // Saturday
        { start: at('2025-06-02T08:00:00Z'), end: at('2025-06-02T10:00:00Z') }, // Monday
      ],
      maintenance: [],
      asOf: period.end,
    });
    expect(report.scheduledMs).toBe(144_000 * S);
    expect(report.downtimeMs).toBe(3_600 * S);
    expect(report.sli).toBe(0.975);
    expect(report.allowedDowntimeMs).toBe(1_440 * S);
    expect(report.budgetRemainingMs).toBe(-2_160 * S);
  });

  vector('V8', 'burn-rate thresholds of a 30-day period follow the Workbook table', () => {
    const table = BURN_RATE_RULES.map((r) => [r.long, r.short, r.budgetFractionPpm / 10_000, burnRateThreshold(r, 30 * D)]);
    expect(table).toEqual([
      ['1h', '5m', 2, 14.4],
      ['6h', '30m', 5, 6],
      ['1d', '2h', 10, 3],
      ['3d', '6h', 10, 1],
    ]);
  });

  describe.each([
    [51_840, false],
    [51_841, true],
  ])('V8: at 99.9 %% the fast page needs more than 1.44 %% errors over 1 h and 5 m (%d ms down in the last hour)', (downMs, fires) => {
    vector('V8', `fires: ${fires}`, () => {
      const now = at('2025-06-10T12:00:00Z');
      const result = evaluateBurnRates({ objectivePpm: ppm('99.9'), periodMs: 30 * D, outages: [{ start: now - downMs, end: now }], serviceCalendar: null, maintenance: [], now });
      expect(result.burnRates['1h']).toBeCloseTo((downMs / H) / 0.001, 9);
      expect(result.alerts.map((a) => a.firing)).toEqual([fires, false, false, false]);
    });
  });

  vector('V9', 'an error ratio of 0.04 % burns at 0.4 and leaves 60 % of the budget', () => {
    const start = at('2025-06-01T00:00:00Z');
    const report = computeAvailability({
      period: { start, end: start + 30 * D },
      objectivePpm: ppm('99.9'),
      serviceCalendar: null,
      outages: [{ start: start + D, end: start + D + (30 * D * 4) / 10_000 }],
      maintenance: [],
      asOf: start + 30 * D,
    });
    expect(report.periodBurnRate).toBeCloseTo(0.4, 12);
    expect(report.budgetRemainingRatio).toBeCloseTo(0.6, 12);
    expect(report.breached).toBe(false);
  });

  vector('V10', 'occurrences, mean of slices and good slices differ', () => {
    const summary = summariseSlices(
      [
        { total: 1000, bad: 10 },
        { total: 10, bad: 5 },
      ],
      ppm('95'),
    );
    expect((summary!.occurrences * 100).toFixed(4)).toBe('98.5149');
    expect(summary!.meanOfSlices).toBeCloseTo(0.745, 12);
    expect(summary!.goodSlices).toBe(0.5);
  });

  vector('V11', '1-minute probes over 30 days at 99.9 %', () => {
    const probes = (30 * D) / MIN;
    expect(probes).toBe(43_200);
    expect(allowedBadEvents(probes, ppm('99.9'))).toBe(43);
    expect(ratioPpm(probes - 50, probes)).toBe(998_842);
    expect(50 > allowedBadEvents(probes, ppm('99.9'))).toBe(true);
  });

  describe.each([
    ['2025-06-06T16:30', '2025-06-09T12:30'],
    ['2025-06-06T17:30', '2025-06-09T13:00'],
  ])('V12: 4 business hours from Fri %s', (opened, due) => {
    vector('V12', `due ${due}`, () => {
      const cal = officeHours('Europe/Berlin');
      expect(addBusinessMs(cal, at(opened, 'Europe/Berlin'), 4 * H)).toBe(at(due, 'Europe/Berlin'));
    });
  });

  vector('V13', 'a hold pauses the resolution clock', () => {
    const cal = officeHours('Europe/Berlin');
    const opened = at('2025-06-02T10:00', 'Europe/Berlin');
    expect(addBusinessMs(cal, opened, 8 * H)).toBe(at('2025-06-03T10:00', 'Europe/Berlin'));
    const hold = { start: at('2025-06-02T14:00', 'Europe/Berlin'), end: at('2025-06-03T10:00', 'Europe/Berlin') };
    expect(addBusinessMs(cal, opened, 8 * H, [hold])).toBe(at('2025-06-03T14:00', 'Europe/Berlin'));
  });

  vector('V14', 'a 24×7 clock counts real time across spring forward', () => {
    const opened = at('2025-03-09T00:30', 'America/New_York');
    expect(opened).toBe(at('2025-03-09T05:30:00Z'));
    const cal: BusinessCalendar = { timeZone: 'America/New_York', weeklyHours: null, holidays: [] };
    const due = addBusinessMs(cal, opened, 4 * H) as number;
    expect(due).toBe(at('2025-03-09T09:30:00Z'));
    expect(DateTime.fromMillis(due, { zone: 'America/New_York' }).toFormat('HH:mm ZZZZ')).toBe('05:30 EDT');
  });

  vector('V15', '"1 day" is 24 business hours: three 8-hour business days', () => {
    const cal = officeHours();
    const oneDay = parseDuration('1d') as number;
    const due = addBusinessMs(cal, at('2025-06-02T09:00:00Z'), oneDay);
    expect(due).toBe(at('2025-06-04T17:00:00Z'));
    expect(businessMsBetween(cal, at('2025-06-02T09:00:00Z'), due as number) / (8 * H)).toBe(3);
  });

  vector('V16', 'mean time to restore and between failures', () => {
    const start = at('2025-06-01T00:00:00Z');
    const outages = [
      { start: start + D, end: start + D + 20 * MIN },
      { start: start + 5 * D, end: start + 5 * D + 30 * MIN },
    ];
    expect(computeReliability(outages, 30 * D)).toEqual({ failures: 2, meanTimeToRestoreMs: 25 * MIN, meanTimeBetweenFailuresMs: 1_294_500 * S });
  });

  it('covers every vector of the reference file', () => {
    const listed = readFileSync(new URL('../fixtures/sla-vectors.md', import.meta.url), 'utf8').match(/^\| (V\d+) \|/gm)!.map((row) => row.slice(2, -2));
    expect(listed.length).toBeGreaterThanOrEqual(16);
    expect([...tested].sort()).toEqual([...new Set(listed)].sort());
  });
});
