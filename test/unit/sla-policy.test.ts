import { describe, expect, it } from 'vitest';
import { formatObjectivePpm, formatSlaPolicy, parseObjectivePpm, SlaPolicyEntry } from '../../server/src/domain/sla.js';

describe('parseObjectivePpm', () => {
  it.each([
    ['99.9', 999_000],
    ['99.95', 999_500],
    ['99.99', 999_900],
    ['99.9999', 999_999],
    ['99', 990_000],
    [' 99.9 % ', 999_000],
    ['0.0001', 1],
    ['99.99999', null],
    ['100', null],
    ['0', null],
    ['99.', null],
    ['-1', null],
    ['1e2', null],
    ['abc', null],
  ])('%j → %j', (text, ppm) => {
    expect(parseObjectivePpm(text)).toBe(ppm);
  });

  it('formats back without trailing zeros', () => {
    expect([999_000, 999_500, 990_000, 999_999, 1].map(formatObjectivePpm)).toEqual(['99.9', '99.95', '99', '99.9999', '0.0001']);
  });
});

describe('SlaPolicyEntry', () => {
  it('fills the defaults: monthly in UTC, P1/P2 incidents, checks and AgentDown, maintenance excluded', () => {
    expect(SlaPolicyEntry.parse({ objective: '99.9' })).toEqual({
      objectivePpm: 999_000,
      period: { kind: 'calendar', unit: 'month', timeZone: 'UTC' },
      serviceCalendar: null,
      downtime: { incidentPriorities: ['P1', 'P2'], availabilityChecks: true, agentDown: true },
      dependencies: 'none',
      excludeMaintenance: true,
      targets: {},
      pageOnFastBurn: false,
    });
  });

  it('takes a YAML number as its shortest decimal text, exactly', () => {
    expect(SlaPolicyEntry.parse({ objective: 99.9 }).objectivePpm).toBe(999_000);
    expect(SlaPolicyEntry.parse({ objective: 99.95 }).objectivePpm).toBe(999_500);
  });

  it('reads periods, calendars and targets', () => {
    const policy = SlaPolicyEntry.parse({
      objective: '99.95',
      period: 'quarter',
      timeZone: 'Europe/Berlin',
      calendar: { timeZone: 'Europe/Berlin', hours: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '08:00', end: '18:00' }] },
      dependencies: 'all',
      targets: {
        P1: { respond: '15m', resolve: '4h' },
        P3: { resolve: '3d', calendar: { timeZone: 'Europe/Berlin', hours: [{ days: ['mon'], start: '09:00', end: '24:00' }], holidays: ['2025-12-25'] } },
      },
    });
    expect(policy.period).toEqual({ kind: 'calendar', unit: 'quarter', timeZone: 'Europe/Berlin' });
    expect(policy.serviceCalendar?.weeklyHours).toHaveLength(1);
    expect(policy.targets.P1).toEqual({ respondMs: 15 * 60_000, resolveMs: 4 * 3_600_000, calendar: { timeZone: 'UTC', weeklyHours: null, holidays: [] } });
    expect(policy.targets.P3).toMatchObject({ respondMs: null, resolveMs: 3 * 86_400_000, calendar: { holidays: ['2025-12-25'] } });
    expect(SlaPolicyEntry.parse({ objective: '99', period: '30d' }).period).toEqual({ kind: 'rolling', days: 30 });
  });

  it.each([
    [{ objective: '100' }, 'objective'],
    [{ objective: '99.9', period: 'year' }, 'period'],
    [{ objective: '99.9', timeZone: 'Mars/Olympus' }, 'timeZone'],
    [{ objective: '99.9', calendar: { hours: [{ days: ['mon'], start: '18:00', end: '08:00' }] } }, 'calendar'],
    [{ objective: '99.9', calendar: { holidays: ['25.12.2025'] } }, 'calendar'],
    [{ objective: '99.9', targets: { P1: { respond: 'soon' } } }, 'targets'],
    [{ objective: '99.9', targets: { P9: { respond: '1h' } } }, 'targets'],
    [{ objective: '99.9', dependencies: 'some' }, 'dependencies'],
  ])('rejects %j at %s', (entry, field) => {
    const result = SlaPolicyEntry.safeParse(entry);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path[0]).toBe(field);
  });
});

describe('formatSlaPolicy: the stored and shown form', () => {
  it.each([
    [{ objective: '99.9' }],
    [{ objective: 99.95, period: '30d', dependencies: 'all', excludeMaintenance: false, downtime: { incidentPriorities: ['P1'], agentDown: false } }],
    [{ objective: '99.5', period: 'quarter', timeZone: 'Europe/Berlin', calendar: { timeZone: 'Europe/Berlin', hours: [{ days: ['mon', 'fri'], start: '08:00', end: '18:00' }], holidays: ['2026-12-25'] } }],
    [{ objective: '99.9', targets: { P1: { respond: '15m', resolve: '4h30m' }, P3: { resolve: '3d', calendar: { timeZone: 'America/New_York', hours: [{ days: ['tue'], start: '09:00', end: '17:00' }] } } } }],
  ])('parses back to the same policy: %j', (entry) => {
    const policy = SlaPolicyEntry.parse(entry);
    const shown = formatSlaPolicy(policy);
    expect(SlaPolicyEntry.parse(JSON.parse(JSON.stringify(shown)))).toEqual(policy);
  });

  it('spells out every default and writes durations shortest first', () => {
    expect(formatSlaPolicy(SlaPolicyEntry.parse({ objective: '99.9', targets: { P2: { respond: '90m' } } }))).toEqual({
      objective: '99.9',
      period: 'month',
      timeZone: 'UTC',
      calendar: null,
      downtime: { incidentPriorities: ['P1', 'P2'], availabilityChecks: true, agentDown: true },
      dependencies: 'none',
      excludeMaintenance: true,
      targets: { P2: { respond: '1h30m', calendar: '24x7' } },
      pageOnFastBurn: false,
    });
  });
});
