/**
 * Downtime sources and incident clocks derived from stored facts: failed availability
 * checks from their reported states, past episodes of re-fired alerts from the event log,
 * holds from the timeline, and which response/resolution warnings an incident has earned.
 */
import { describe, expect, it } from 'vitest';
import { ALWAYS } from '../../server/src/domain/sla.js';
import { failedCheckIntervals, STALE_INTERVALS, type CheckState } from '../../server/src/sla/check-outages.js';
import { episodesFromEvents } from '../../server/src/sla/episodes.js';
import { evaluateIncidentTargets } from '../../server/src/sla/evaluate.js';
import { holdPeriods } from '../../server/src/sla/holds.js';
import { newTargetNotices } from '../../server/src/sla/target-notices.js';

const MIN = 60_000;
const H = 60 * MIN;
const state = (check: string, since: number, success: boolean, lastReportedAt = since, intervalMs = MIN): CheckState => ({ check, since, success, lastReportedAt, intervalMs });

describe('failed availability checks as outages', () => {
  it.each([
    ['a failure ended by a pass', [state('c', 10 * MIN, false), state('c', 25 * MIN, true)], 60 * MIN, [{ start: 10 * MIN, end: 25 * MIN }]],
    ['consecutive failures (an agent restart) are one outage', [state('c', 10 * MIN, false), state('c', 12 * MIN, false), state('c', 20 * MIN, true)], 60 * MIN, [{ start: 10 * MIN, end: 20 * MIN }]],
    ['a failure still reported runs until now', [state('c', 10 * MIN, false, 29 * MIN)], 30 * MIN, [{ start: 10 * MIN, end: 30 * MIN }]],
    [
      'a failure no longer reported stops STALE_INTERVALS heartbeats after its last report',
      [state('c', 10 * MIN, false, 20 * MIN)],
      90 * MIN,
      [{ start: 10 * MIN, end: 20 * MIN + STALE_INTERVALS * MIN }],
    ],
    ['passing checks are no outage', [state('c', 10 * MIN, true, 50 * MIN)], 60 * MIN, []],
    [
      'two checks failing at overlapping times are merged',
      [state('a', 10 * MIN, false), state('a', 20 * MIN, true), state('b', 15 * MIN, false), state('b', 30 * MIN, true)],
      60 * MIN,
      [{ start: 10 * MIN, end: 30 * MIN }],
    ],
  ])('%s', (_name, states, now, expected) => {
    expect(failedCheckIntervals(states, now)).toEqual(expected);
    // The order states arrive in does not matter (queued heartbeats arrive late).
    expect(failedCheckIntervals([...states].reverse(), now)).toEqual(expected);
  });
});

describe('past episodes from the event log', () => {
  it('takes the resolve, else the lease, else the next start as the end', () => {
    const events = [
      { status: 'firing' as const, startsAt: 100, endsAt: null },
      { status: 'resolved' as const, startsAt: 100, endsAt: 150 },
      { status: 'firing' as const, startsAt: 200, endsAt: 260 },
      { status: 'firing' as const, startsAt: 300, endsAt: null },
    ];
    expect(episodesFromEvents(events, 400)).toEqual([
      { startsAt: 100, endsAt: 150 },
      { startsAt: 200, endsAt: 260 },
      { startsAt: 300, endsAt: 400 },
    ]);
  });

  it('never runs an episode past the start of the next', () => {
    expect(episodesFromEvents([{ status: 'resolved', startsAt: 100, endsAt: 500 }], 300)).toEqual([{ startsAt: 100, endsAt: 300 }]);
    expect(episodesFromEvents([{ status: 'firing', startsAt: 100, endsAt: null }], null)).toEqual([{ startsAt: 100, endsAt: null }]);
  });
});

describe('holds from the timeline', () => {
  it('runs from hold to the next resume, resolve or cancel; an open hold has no end', () => {
    expect(
      holdPeriods([
        { at: 10, action: 'acknowledge' },
        { at: 20, action: 'hold' },
        { at: 30, action: 'resume' },
        { at: 40, action: 'hold' },
        { at: 50, action: 'resolve' },
        { at: 60, action: 'reopen' },
        { at: 70, action: 'hold' },
      ]),
    ).toEqual([
      { start: 20, end: 30 },
      { start: 40, end: 50 },
      { start: 70, end: null },
    ]);
  });
});

describe('response and resolution warnings', () => {
  const policy = { targets: { P1: { respondMs: 20 * MIN, resolveMs: 4 * H, calendar: ALWAYS } } };
  const clock = (acknowledgedAt: number | null = null, resolvedAt: number | null = null) => ({ priority: 'P1' as const, openedAt: 0, acknowledgedAt, resolvedAt, holds: [] });

  it('earns 75 % at 15 of 20 minutes, then 90 % at 18, then the breach', () => {
    expect(newTargetNotices(evaluateIncidentTargets(policy, clock(), 14 * MIN), new Set(), 14 * MIN)).toEqual([]);
    expect(newTargetNotices(evaluateIncidentTargets(policy, clock(), 15 * MIN), new Set(), 15 * MIN)).toEqual([{ target: 'response', level: '75', at: 15 * MIN, announce: true }]);
    const at19 = newTargetNotices(evaluateIncidentTargets(policy, clock(), 19 * MIN), new Set(['response:75']), 19 * MIN);
    expect(at19).toEqual([{ target: 'response', level: '90', at: 18 * MIN, announce: true }]);
    const at21 = newTargetNotices(evaluateIncidentTargets(policy, clock(), 21 * MIN), new Set(['response:75', 'response:90']), 21 * MIN);
    expect(at21).toEqual([{ target: 'response', level: 'breached', at: 20 * MIN, announce: true }]);
  });

  it('announces only the highest of several new levels, and nothing already written', () => {
    const notices = newTargetNotices(evaluateIncidentTargets(policy, clock(), 3.7 * H), new Set(['response:75']), 3.7 * H);
    expect(notices.filter((n) => n.target === 'response')).toEqual([
      { target: 'response', level: '90', at: 18 * MIN, announce: false },
      { target: 'response', level: 'breached', at: 20 * MIN, announce: true },
    ]);
    expect(notices.filter((n) => n.target === 'resolution')).toEqual([
      { target: 'resolution', level: '75', at: 3 * H, announce: false },
      { target: 'resolution', level: '90', at: 3.6 * H, announce: true },
    ]);
  });

  it('gives a clock stopped in time nothing, and one stopped late only its breach', () => {
    expect(newTargetNotices(evaluateIncidentTargets(policy, clock(16 * MIN), H), new Set(), H).filter((n) => n.target === 'response')).toEqual([]);
    expect(newTargetNotices(evaluateIncidentTargets(policy, clock(25 * MIN), H), new Set(), H).filter((n) => n.target === 'response')).toEqual([
      { target: 'response', level: 'breached', at: 20 * MIN, announce: true },
    ]);
  });
});
