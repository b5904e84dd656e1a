import { describe, expect, it } from 'vitest';
import { chooseIncident, groupKeyOf, type CandidateIncident } from '../../server/src/correlate/grouping.js';

const MIN = 60_000;
const config = { groupBy: null, joinWindowMs: 10 * MIN, maxIncidentSpanMs: 24 * 60 * MIN };
const incident = (o: Partial<CandidateIncident>): CandidateIncident => ({
  id: 1,
  status: 'open',
  openedAt: 0,
  lastActivityAt: 0,
  resolveAfter: null,
  resolution: null,
  ...o,
});

describe('groupKeyOf', () => {
  it('uses the service label first', () => {
    expect(groupKeyOf({ alertname: 'A', service: 'payments', instance: 'db-1:9100' }, null)).toBe('service=payments');
  });
  it('falls back to alertname and host', () => {
    expect(groupKeyOf({ alertname: 'A', instance: 'db-1:9100' }, null)).toBe('alertname=A,host=db-1');
  });
  it('honours a configured group_by', () => {
    expect(groupKeyOf({ alertname: 'A', cluster: 'eu' }, ['cluster', 'team'])).toBe('cluster=eu,team=');
  });
});

describe('chooseIncident', () => {
  it('joins an incident whose last activity is inside the join window', () => {
    expect(chooseIncident(9 * MIN, [incident({ lastActivityAt: 0 })], config)).toEqual({ incidentId: 1, gapMs: 9 * MIN, reopens: false });
  });
  it('opens a new incident outside the window', () => {
    expect(chooseIncident(11 * MIN, [incident({})], config)).toBeNull();
  });
  it('lets a late arrival that started before the incident join it', () => {
    expect(chooseIncident(-5 * MIN, [incident({})], config)?.incidentId).toBe(1);
  });
  it('never lets an incident span more than the maximum', () => {
    const long = incident({ openedAt: 0, lastActivityAt: 24 * 60 * MIN - MIN });
    expect(chooseIncident(24 * 60 * MIN + MIN, [long], config)).toBeNull();
  });
  it('lets an alert re-fire into its own incident past the maximum span (the same fault), within the join window', () => {
    const long = incident({ id: 4, openedAt: 0, lastActivityAt: 3 * 24 * 60 * MIN });
    expect(chooseIncident(3 * 24 * 60 * MIN + MIN, [long], config, 4)).toEqual({ incidentId: 4, gapMs: MIN, reopens: false });
    expect(chooseIncident(3 * 24 * 60 * MIN + MIN, [long], config, 5)).toBeNull();
    expect(chooseIncident(3 * 24 * 60 * MIN + 11 * MIN, [long], config, 4)).toBeNull();
  });
  it('skips resolved-by-hand, closed and cancelled incidents', () => {
    for (const status of ['closed', 'cancelled'] as const) expect(chooseIncident(0, [incident({ status })], config)).toBeNull();
    expect(chooseIncident(0, [incident({ status: 'resolved', resolution: 'manual', resolveAfter: 10 * MIN })], config)).toBeNull();
  });
  it('reopens an auto-resolved incident only for a re-fire inside its hold-down', () => {
    const resolved = incident({ status: 'resolved', resolution: 'auto', lastActivityAt: 2 * MIN, resolveAfter: 7 * MIN });
    expect(chooseIncident(6 * MIN, [resolved], config)).toEqual({ incidentId: 1, gapMs: 4 * MIN, reopens: true });
    expect(chooseIncident(7 * MIN, [resolved], config)).toBeNull();
  });
  it('prefers the closest incident and breaks ties by the lowest id, whatever the input order', () => {
    const a = incident({ id: 7, lastActivityAt: 0 });
    const b = incident({ id: 3, lastActivityAt: 5 * MIN });
    const c = incident({ id: 2, lastActivityAt: 5 * MIN });
    expect(chooseIncident(6 * MIN, [a, b, c], config)?.incidentId).toBe(2);
    expect(chooseIncident(6 * MIN, [c, a, b], config)?.incidentId).toBe(2);
  });
});
