import { describe, expect, it } from 'vitest';
import type { TimeInterval } from '../../server/src/domain/sla.js';
import { computeAvailability, type AvailabilityInput } from '../../server/src/sla/availability.js';
import { effectiveDowntime, incidentOutageIntervals, propagateDependencies, serviceOwnDowntime, type IncidentSpan } from '../../server/src/sla/outages.js';

const MIN = 60_000;
const H = 60 * MIN;
const D = 24 * H;
const T0 = Date.UTC(2025, 5, 1);
const iv = (fromMin: number, toMin: number): TimeInterval => ({ start: T0 + fromMin * MIN, end: T0 + toMin * MIN });
const month = (o: Partial<AvailabilityInput> = {}): AvailabilityInput => ({
  period: { start: T0, end: T0 + 30 * D },
  objectivePpm: 999_000,
  serviceCalendar: null,
  outages: [],
  maintenance: [],
  asOf: T0 + 30 * D,
  ...o,
});

describe('maintenance windows', () => {
  it('are removed from both the outage and the denominator', () => {
    const r = computeAvailability(month({ outages: [iv(600, 660)], maintenance: [iv(630, 720)] }));
    expect(r.downtimeMs).toBe(30 * MIN);
    expect(r.excludedMs).toBe(90 * MIN);
    expect(r.scheduledMs).toBe(30 * D - 90 * MIN);
    expect(r.allowedDowntimeMs).toBe(Math.floor((30 * D - 90 * MIN) / 1000)); // 0.1 %, exact here
    expect(r.outages).toEqual([iv(600, 630)]);
  });

  it('that cover an outage entirely leave no downtime', () => {
    expect(computeAvailability(month({ outages: [iv(600, 620), iv(610, 650)], maintenance: [iv(590, 660)] })).downtimeMs).toBe(0);
  });

  it('outside the service calendar exclude nothing', () => {
    const calendar = { timeZone: 'UTC', weeklyHours: [{ days: ['mon' as const], start: '09:00', end: '17:00' }], holidays: [] };
    // 2025-06-01 is a Sunday: maintenance on Sunday lies outside Monday's hours.
    const r = computeAvailability(month({ serviceCalendar: calendar, maintenance: [iv(0, 24 * 60)] }));
    expect(r.excludedMs).toBe(0);
    expect(r.scheduledMs).toBe(5 * 8 * H); // five Mondays in June 2025 up to the 30th
  });
});

describe('availability of a period in progress', () => {
  it('measures the SLI over the elapsed part and the budget over the whole period', () => {
    const r = computeAvailability(month({ outages: [iv(0, 30)], asOf: T0 + 15 * D }));
    expect(r.measuredMs).toBe(15 * D);
    expect(r.sli).toBeCloseTo(1 - (30 * MIN) / (15 * D), 12);
    expect(r.allowedDowntimeMs).toBe(2_592_000);
    expect(r.budgetRemainingMs).toBe(2_592_000 - 30 * MIN);
    expect(r.breached).toBe(false);
  });

  it('ignores outages after asOf and outside the period', () => {
    const r = computeAvailability(month({ outages: [iv(-60, 10), iv(15 * 24 * 60, 15 * 24 * 60 + 10)], asOf: T0 + 15 * D }));
    expect(r.downtimeMs).toBe(10 * MIN);
  });

  it('reports an SLI of 1 before anything is measured', () => {
    expect(computeAvailability(month({ asOf: T0 })).sli).toBe(1);
  });

  it('is breached exactly when the downtime exceeds the budget', () => {
    expect(computeAvailability(month({ outages: [{ start: T0, end: T0 + 2_592_000 }] })).breached).toBe(false);
    expect(computeAvailability(month({ outages: [{ start: T0, end: T0 + 2_592_001 }] })).breached).toBe(true);
  });
});

describe('outage intervals of an incident', () => {
  const now = T0 + 10 * H;
  it('are the union of the member alerts, gaps between them not counted', () => {
    expect(
      incidentOutageIntervals(
        [
          { startsAt: T0, endsAt: T0 + 10 * MIN },
          { startsAt: T0 + 5 * MIN, endsAt: T0 + 15 * MIN },
          { startsAt: T0 + 30 * MIN, endsAt: T0 + 40 * MIN },
        ],
        now,
      ),
    ).toEqual([iv(0, 15), iv(30, 40)]);
  });

  it('run until now for an open-ended alert, until an expired lease, and never past now', () => {
    expect(incidentOutageIntervals([{ startsAt: T0, endsAt: null }], now)).toEqual([{ start: T0, end: now }]);
    expect(incidentOutageIntervals([{ startsAt: T0, endsAt: T0 + H }], now)).toEqual([{ start: T0, end: T0 + H }]);
    expect(incidentOutageIntervals([{ startsAt: T0, endsAt: now + H }], now)).toEqual([{ start: T0, end: now }]);
  });

  it('count for the priorities of the policy only, and never for cancelled incidents', () => {
    const incident = (priority: IncidentSpan['priority'], status: IncidentSpan['status'], from: number, to: number): IncidentSpan => ({
      priority,
      status,
      alerts: [{ startsAt: T0 + from * MIN, endsAt: T0 + to * MIN }],
    });
    const sources = {
      incidents: [incident('P1', 'resolved', 0, 10), incident('P3', 'open', 20, 30), incident('P2', 'cancelled', 40, 50)],
      failedChecks: [iv(60, 70)],
      agentDown: [iv(80, 90)],
    };
    expect(serviceOwnDowntime(sources, { incidentPriorities: ['P1', 'P2'], availabilityChecks: true, agentDown: true }, now)).toEqual([iv(0, 10), iv(60, 70), iv(80, 90)]);
    expect(serviceOwnDowntime(sources, { incidentPriorities: ['P1', 'P2', 'P3'], availabilityChecks: false, agentDown: false }, now)).toEqual([iv(0, 10), iv(20, 30)]);
  });
});

describe('dependency propagation with three dependencies', () => {
  const a = [iv(600, 630)];
  const b = [iv(610, 640)];
  const c = [iv(620, 650)];
  const own = [iv(700, 705)];

  it.each([
    ['any', [a, b, c], [iv(600, 650), iv(700, 705)]],
    ['all', [a, b, c], [iv(620, 630), iv(700, 705)]],
    ['all', [a, b, []], [iv(700, 705)]],
    ['none', [a, b, c], [iv(700, 705)]],
  ] as const)('down if %s', (mode, deps, expected) => {
    expect(propagateDependencies(own, deps, mode)).toEqual(expected);
  });

  it('propagates transitively through the catalogue and survives a cycle', () => {
    const down = effectiveDowntime([
      { name: 'web', dependsOn: ['api'], propagation: 'any', own: [] },
      { name: 'api', dependsOn: ['db', 'cache', 'queue'], propagation: 'all', own: [iv(0, 5)] },
      { name: 'db', dependsOn: ['web', 'unknown'], propagation: 'any', own: a },
      { name: 'cache', dependsOn: [], propagation: 'none', own: b },
      { name: 'queue', dependsOn: [], propagation: 'none', own: c },
    ]);
    expect(down.get('api')).toEqual([iv(0, 5), iv(620, 630)]);
    expect(down.get('web')).toEqual([iv(0, 5), iv(620, 630)]);
    // db depends on web, which depends on api, which depends back on db: db's own downtime closes the cycle.
    expect(down.get('db')).toEqual([iv(0, 5), iv(600, 630)]);
  });
});
