import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { ALWAYS, type BusinessCalendar } from '../../server/src/domain/sla.js';
import { addBusinessMs, businessMsBetween, workingIntervals } from '../../server/src/sla/calendar.js';
import { evaluateTarget, type TargetClock } from '../../server/src/sla/targets.js';

const S = 1000;
const MIN = 60 * S;
const H = 60 * MIN;
const BERLIN = 'Europe/Berlin';
const at = (iso: string, zone = BERLIN) => DateTime.fromISO(iso, { zone }).toMillis();
const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri'] as const;
const office = (o: Partial<BusinessCalendar> = {}): BusinessCalendar => ({
  timeZone: BERLIN,
  weeklyHours: [{ days: [...WEEKDAYS], start: '09:00', end: '17:00' }],
  holidays: [],
  ...o,
});

describe('business calendars', () => {
  it('have no working time over a weekend', () => {
    expect(workingIntervals(office(), at('2025-06-06T12:00'), at('2025-06-09T10:00'))).toEqual([
      { start: at('2025-06-06T12:00'), end: at('2025-06-06T17:00') },
      { start: at('2025-06-09T09:00'), end: at('2025-06-09T10:00') },
    ]);
  });

  it('skip whole local holidays (Christmas on Thursday and Friday)', () => {
    const cal = office({ holidays: ['2025-12-25', '2025-12-26'] });
    expect(addBusinessMs(cal, at('2025-12-24T16:00'), 4 * H)).toBe(at('2025-12-29T12:00'));
    expect(businessMsBetween(cal, at('2025-12-24T16:00'), at('2025-12-29T12:00'))).toBe(4 * H);
    expect(addBusinessMs(office(), at('2025-12-24T16:00'), 4 * H)).toBe(at('2025-12-25T12:00'));
  });

  it('handle split hours (a lunch break)', () => {
    const cal = office({ weeklyHours: [{ days: [...WEEKDAYS], start: '09:00', end: '12:00' }, { days: [...WEEKDAYS], start: '13:00', end: '17:00' }] });
    expect(addBusinessMs(cal, at('2025-06-02T11:00'), 2 * H)).toBe(at('2025-06-02T14:00'));
  });

  it('put a due time at the end of working hours rather than at the next opening', () => {
    expect(addBusinessMs(office(), at('2025-06-06T16:00'), H)).toBe(at('2025-06-06T17:00'));
  });

  it('keep "Mon 09:00" local across the spring-forward weekend', () => {
    const due = addBusinessMs(office(), at('2025-03-28T16:00'), 2 * H);
    expect(due).toBe(at('2025-03-31T10:00'));
    expect(due).toBe(at('2025-03-31T08:00:00Z', 'UTC')); // CEST; a fixed +01:00 would give 09:00Z
  });

  it('keep local hours across the fall-back weekend in New York', () => {
    const ny = office({ timeZone: 'America/New_York' });
    expect(addBusinessMs(ny, at('2025-10-31T16:00', 'America/New_York'), 2 * H)).toBe(at('2025-11-03T15:00:00Z', 'UTC'));
  });

  it('count real elapsed time 24×7 across fall back (the mirror of V14)', () => {
    const ny: BusinessCalendar = { timeZone: 'America/New_York', weeklyHours: null, holidays: [] };
    const opened = at('2025-11-02T00:30', 'America/New_York');
    const due = addBusinessMs(ny, opened, 4 * H) as number;
    expect(due - opened).toBe(4 * H);
    expect(DateTime.fromMillis(due, { zone: 'America/New_York' }).toFormat('HH:mm ZZZZ')).toBe('03:30 EST');
  });

  it('count a 24×7 holiday as a whole local day, 23 hours on the spring-forward Sunday', () => {
    const cal: BusinessCalendar = { timeZone: BERLIN, weeklyHours: null, holidays: ['2025-03-30'] };
    expect(businessMsBetween(cal, at('2025-03-29T00:00'), at('2025-03-31T00:00'))).toBe(24 * H);
    expect(businessMsBetween({ ...cal, holidays: [] }, at('2025-03-29T00:00'), at('2025-03-31T00:00'))).toBe(47 * H);
  });

  it('pause for holds and never come due during an open-ended hold', () => {
    const opened = at('2025-06-02T10:00');
    const hold = { start: at('2025-06-02T12:00'), end: Number.POSITIVE_INFINITY };
    expect(addBusinessMs(office(), opened, 8 * H, [hold])).toBeNull();
    expect(addBusinessMs(office(), opened, 2 * H, [hold])).toBe(at('2025-06-02T12:00'));
    expect(businessMsBetween(office(), opened, at('2025-06-03T12:00'), [hold])).toBe(2 * H);
  });

  it('wait for the next opening of a sparse calendar, and give up on one that never opens', () => {
    const saturdays = office({ weeklyHours: [{ days: ['sat'], start: '09:00', end: '10:00' }] });
    expect(addBusinessMs(saturdays, at('2025-06-02T10:00'), H)).toBe(at('2025-06-07T10:00'));
    expect(addBusinessMs(office({ weeklyHours: [] }), at('2025-06-02T10:00'), H)).toBeNull();
    expect(addBusinessMs(ALWAYS, 0, 0)).toBe(0);
  });
});

describe('response and resolution targets', () => {
  const opened = at('2025-06-02T10:00:00Z', 'UTC');
  const p1Respond = (o: Partial<TargetClock> = {}): TargetClock => ({ calendar: ALWAYS, startedAt: opened, targetMs: 15 * MIN, stoppedAt: null, holds: [], ...o });

  it.each([
    [11 * MIN + 15 * S - 1, 'ok', false],
    [11 * MIN + 15 * S, 'warning-75', false],
    [13 * MIN + 30 * S - 1, 'warning-75', false],
    [13 * MIN + 30 * S, 'warning-90', false],
    [15 * MIN, 'warning-90', false],
    [15 * MIN + 1, 'breached', true],
  ] as const)('after %d ms of a 15-minute response target: %s', (elapsed, state, breached) => {
    const e = evaluateTarget(p1Respond(), opened + elapsed);
    expect(e.state).toBe(state);
    expect(e.breached).toBe(breached);
    expect(e.met).toBeNull();
    expect(e.percentElapsed).toBeCloseTo((elapsed / (15 * MIN)) * 100, 9);
  });

  it('gives the due time and the instants of the 75 % and 90 % warnings', () => {
    expect(evaluateTarget(p1Respond(), opened)).toMatchObject({ dueAt: opened + 15 * MIN, warningAt: { 75: opened + 11 * MIN + 15 * S, 90: opened + 13 * MIN + 30 * S } });
  });

  it('stops at acknowledge: met when in time, breached when late', () => {
    const inTime = evaluateTarget(p1Respond({ stoppedAt: opened + 10 * MIN }), opened + 2 * H);
    expect(inTime).toMatchObject({ elapsedMs: 10 * MIN, met: true, breached: false, state: 'ok' });
    const late = evaluateTarget(p1Respond({ stoppedAt: opened + 20 * MIN }), opened + 2 * H);
    expect(late).toMatchObject({ elapsedMs: 20 * MIN, met: false, breached: true, state: 'breached' });
  });

  it('pauses on hold: a past hold moves the due time, an open hold stops the clock', () => {
    const resolve = (holds: TargetClock['holds']): TargetClock => ({ calendar: office({ timeZone: 'UTC' }), startedAt: opened, targetMs: 8 * H, stoppedAt: null, holds });
    const past = evaluateTarget(resolve([{ start: at('2025-06-02T14:00:00Z', 'UTC'), end: at('2025-06-03T10:00:00Z', 'UTC') }]), at('2025-06-03T12:00:00Z', 'UTC'));
    expect(past).toMatchObject({ dueAt: at('2025-06-03T14:00:00Z', 'UTC'), elapsedMs: 6 * H, state: 'warning-75', paused: false });
    const open = evaluateTarget(resolve([{ start: at('2025-06-02T14:00:00Z', 'UTC'), end: null }]), at('2025-06-04T12:00:00Z', 'UTC'));
    expect(open).toMatchObject({ dueAt: null, elapsedMs: 4 * H, state: 'ok', paused: true, breached: false });
    expect(open.warningAt).toEqual({ 75: null, 90: null });
  });

  it('counts only business time on a business calendar', () => {
    const e = evaluateTarget({ calendar: office(), startedAt: at('2025-06-06T16:30'), targetMs: 4 * H, stoppedAt: null, holds: [] }, at('2025-06-09T09:30'));
    expect(e).toMatchObject({ elapsedMs: H, dueAt: at('2025-06-09T12:30'), state: 'ok' });
    expect(e.percentElapsed).toBe(25);
  });
});
