import { describe, expect, it } from 'vitest';
import { hostOf, severityOf, titleOf } from '../../server/src/domain/alert.js';
import { parseDuration } from '../../server/src/domain/duration.js';
import {
  allowedActions,
  impactOfTier,
  INCIDENT_STATUSES,
  nextStatus,
  priorityOf,
  urgencyOf,
  type IncidentAction,
  type IncidentStatus,
  type Level,
} from '../../server/src/domain/incident.js';

describe('incident lifecycle', () => {
  const table: [IncidentStatus, IncidentAction, IncidentStatus | null][] = [
    ['open', 'acknowledge', 'acknowledged'],
    ['open', 'hold', 'on_hold'],
    ['open', 'resolve', 'resolved'],
    ['open', 'cancel', 'cancelled'],
    ['open', 'close', null],
    ['open', 'reopen', null],
    ['acknowledged', 'acknowledge', null],
    ['acknowledged', 'hold', 'on_hold'],
    ['acknowledged', 'resolve', 'resolved'],
    ['on_hold', 'resume', 'open'],
    ['on_hold', 'resolve', 'resolved'],
    ['on_hold', 'acknowledge', null],
    ['resolved', 'close', 'closed'],
    ['resolved', 'reopen', 'open'],
    ['resolved', 'acknowledge', null],
    ['closed', 'reopen', null],
    ['closed', 'resolve', null],
    ['cancelled', 'reopen', null],
  ];
  it.each(table)('%s --%s--> %s', (from, action, to) => {
    expect(nextStatus(from, action)).toBe(to);
  });

  it('resumes an incident that had been acknowledged into acknowledged', () => {
    expect(nextStatus('on_hold', 'resume', true)).toBe('acknowledged');
  });

  it('makes closed and cancelled terminal', () => {
    expect(allowedActions('closed')).toEqual([]);
    expect(allowedActions('cancelled')).toEqual([]);
    for (const status of INCIDENT_STATUSES) expect(Array.isArray(allowedActions(status))).toBe(true);
  });
});

describe('priority: ITIL impact × urgency', () => {
  const matrix: [Level, Level, string][] = [
    ['high', 'high', 'P1'],
    ['high', 'medium', 'P2'],
    ['high', 'low', 'P3'],
    ['medium', 'high', 'P2'],
    ['medium', 'medium', 'P3'],
    ['medium', 'low', 'P4'],
    ['low', 'high', 'P3'],
    ['low', 'medium', 'P4'],
    ['low', 'low', 'P5'],
  ];
  it.each(matrix)('impact %s × urgency %s = %s', (impact, urgency, priority) => {
    expect(priorityOf(impact, urgency)).toBe(priority);
  });

  it('derives urgency from severity', () => {
    expect(urgencyOf('critical')).toBe('high');
    expect(urgencyOf('error')).toBe('medium');
    expect(urgencyOf('warning')).toBe('medium');
    expect(urgencyOf('info')).toBe('low');
    expect(urgencyOf('unknown')).toBe('medium');
  });

  it('derives impact from the service tier, medium when unknown', () => {
    expect([impactOfTier(1), impactOfTier(2), impactOfTier(3), impactOfTier(null)]).toEqual(['high', 'medium', 'low', 'medium']);
  });
});

describe('alert fields', () => {
  it('normalises severities', () => {
    expect(severityOf({ severity: 'CRITICAL' })).toBe('critical');
    expect(severityOf({ severity: 'warn' })).toBe('warning');
    expect(severityOf({})).toBe('unknown');
  });

  it('finds the host', () => {
    expect(hostOf({ instance: 'db-1:9100' })).toBe('db-1');
    expect(hostOf({ instance: '[::1]:9100' })).toBe('::1');
    expect(hostOf({ instance: 'fe80::1' })).toBe('fe80::1');
    expect(hostOf({ host: 'h', instance: 'x:1' })).toBe('h');
    expect(hostOf({})).toBeNull();
  });

  it('titles an alert by alertname and summary', () => {
    expect(titleOf({ alertname: 'A' }, { summary: ' disk full ' })).toBe('A: disk full');
    expect(titleOf({ alertname: 'A' }, {})).toBe('A');
  });
});

describe('durations', () => {
  it.each([
    ['30s', 30_000],
    ['10m', 600_000],
    ['1h30m', 5_400_000],
    ['7d', 604_800_000],
    ['250ms', 250],
    ['0', 0],
  ])('%s = %d ms', (text, ms) => expect(parseDuration(text)).toBe(ms));

  it.each(['', '10', 'm', '1.5h', '10 minutes', '-5m'])('rejects %j', (text) => expect(parseDuration(text)).toBeNull());

  it('rejects a duration too long to count exactly in milliseconds', () => {
    expect(parseDuration('99999999d')).toBe(99_999_999 * 86_400_000);
    expect(parseDuration('999999999d')).toBeNull();
    expect(parseDuration(`${'9'.repeat(400)}d`)).toBeNull();
  });
});
