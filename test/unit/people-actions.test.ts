import { describe, expect, it } from 'vitest';
import { applyPersonAction } from '../../server/src/correlate/people.js';
import type { IncidentRecord } from '../../server/src/domain/incident.js';
import type { PersonAction } from '../../server/src/domain/incident-action.js';
import { unrecordedActions } from '../../server/src/rebuild.js';

const T = Date.parse('2026-11-21T04:00:00Z');

function makeIncident(overrides: Partial<IncidentRecord> = {}): IncidentRecord {
  return {
    id: 7,
    title: 'DiskFull on db-1',
    status: 'open',
    priority: 'P3',
    priorityOverridden: false,
    impact: 'medium',
    urgency: 'medium',
    service: 'db',
    host: 'db-1',
    groupKey: 'service=db',
    openedAt: T - 600_000,
    lastActivityAt: T - 600_000,
    createdAt: T - 600_000,
    updatedAt: T - 600_000,
    acknowledgedAt: null,
    resolvedAt: null,
    closedAt: null,
    resolveAfter: null,
    resolution: null,
    wasAcknowledged: false,
    alertCount: 1,
    firingCount: 1,
    assignee: null,
    rootCauseService: 'db',
    maskedTitle: ['diskfull', 'on', 'db-1'],
    ...overrides,
  };
}

describe('applyPersonAction', () => {
  const rows: { name: string; before: Partial<IncidentRecord>; action: PersonAction; after: Partial<IncidentRecord> | 'CONFLICT'; entry?: { kind: string; message: string } | null }[] = [
    {
      name: 'acknowledge an open incident',
      before: {},
      action: { kind: 'transition', action: 'acknowledge', note: null },
      after: { status: 'acknowledged', acknowledgedAt: T, wasAcknowledged: true, updatedAt: T },
      entry: { kind: 'acknowledged', message: 'Acknowledged by alice' },
    },
    {
      name: 'resolve by hand, with a note',
      before: { status: 'acknowledged' },
      action: { kind: 'transition', action: 'resolve', note: 'fixed' },
      after: { status: 'resolved', resolvedAt: T, resolution: 'manual', updatedAt: T },
      entry: { kind: 'resolved', message: 'Resolved by alice: fixed' },
    },
    {
      name: 'resume after a hold returns to acknowledged when it had been',
      before: { status: 'on_hold', wasAcknowledged: true },
      action: { kind: 'transition', action: 'resume', note: null },
      after: { status: 'acknowledged', updatedAt: T },
      entry: { kind: 'acknowledged', message: 'Resumed by alice' },
    },
    { name: 'acknowledge a resolved incident', before: { status: 'resolved' }, action: { kind: 'transition', action: 'acknowledge', note: null }, after: 'CONFLICT' },
    {
      name: 'override the priority and assign',
      before: {},
      action: { kind: 'update', patch: { priority: 'P1', assignee: 'bob' } },
      after: { priority: 'P1', priorityOverridden: true, assignee: 'bob', updatedAt: T },
      entry: { kind: 'updated', message: 'priority P3 → P1; assigned to bob by alice' },
    },
    {
      name: 'back to the matrix',
      before: { priority: 'P1', priorityOverridden: true },
      action: { kind: 'update', patch: { priority: null } },
      after: { priority: 'P3', priorityOverridden: false, updatedAt: T },
      entry: { kind: 'updated', message: 'priority P1 → P3 (matrix) by alice' },
    },
    { name: 'an edit that changes nothing writes no entry', before: {}, action: { kind: 'update', patch: {} }, after: { updatedAt: T }, entry: null },
    { name: 'a note', before: {}, action: { kind: 'note', text: 'looking' }, after: { updatedAt: T - 600_000 }, entry: { kind: 'note', message: 'looking' } },
  ];

  it.each(rows)('$name', ({ before, action, after, entry }) => {
    const incident = makeIncident(before);
    const original = { ...incident };
    const result = applyPersonAction(incident, action, 'alice', T);
    if (after === 'CONFLICT') {
      expect(result.ok).toBe(false);
      expect(incident).toEqual(original);
      return;
    }
    if (!result.ok) throw new Error(result.error.message);
    expect(incident).toEqual({ ...original, ...after });
    if (entry === null) expect(result.value.entry).toBeNull();
    else expect(result.value.entry).toMatchObject({ incidentId: 7, at: T, actor: 'alice', ...entry });
  });
});

describe('unrecordedActions', () => {
  it('counts merges and splits once each, and people entries beyond the log of actions', () => {
    const entries = [
      { kind: 'merged', data: '{"into":2}' },
      { kind: 'merged', data: '{"from":1}' },
      { kind: 'split', data: '{"into":9,"alerts":[4]}' },
      { kind: 'opened', data: '{"from":3,"method":"split"}' },
      { kind: 'acknowledged', data: '{"action":"acknowledge"}' },
      { kind: 'note', data: null },
      { kind: 'updated', data: '{"assignee":"bob"}' },
    ];
    expect(unrecordedActions(entries, 3)).toEqual({ merges: 1, splits: 1, older: 0 });
    expect(unrecordedActions(entries, 1)).toEqual({ merges: 1, splits: 1, older: 2 });
  });
});
