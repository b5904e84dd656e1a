import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { SlaPolicyEntry } from '../../server/src/domain/sla.js';
import { evaluateCurrentSla, evaluateIncidentTargets, reportSlaPeriods } from '../../server/src/sla/evaluate.js';

const MIN = 60_000;
const H = 60 * MIN;
const at = (iso: string) => DateTime.fromISO(iso, { zone: 'Europe/Berlin' }).toMillis();
const policy = SlaPolicyEntry.parse({
  objective: '99.9',
  period: 'month',
  timeZone: 'Europe/Berlin',
  targets: { P1: { respond: '15m', resolve: '4h' }, P2: { resolve: '1d' } },
});

describe('evaluateCurrentSla', () => {
  it('measures the running month up to now and fires the fast page on a fresh outage', () => {
    const now = at('2025-03-30T12:00');
    const sla = evaluateCurrentSla({ policy, outages: [{ start: now - 10 * MIN, end: now }], maintenance: [], now });
    expect(sla.availability.start).toBe(at('2025-03-01T00:00'));
    expect(sla.availability.scheduledMs).toBe(743 * H);
    expect(sla.availability.allowedDowntimeMs).toBe(2_674_800); // 0.1 % of 743 h
    expect(sla.availability.downtimeMs).toBe(10 * MIN);
    expect(sla.burn.alerts[0]).toMatchObject({ firing: true, threshold: expect.closeTo(14.86, 12) });
  });

  it('ignores maintenance when the policy counts it', () => {
    const now = at('2025-06-10T12:00');
    const input = { outages: [{ start: now - H, end: now }], maintenance: [{ start: now - H, end: now }], now };
    expect(evaluateCurrentSla({ ...input, policy }).availability.downtimeMs).toBe(0);
    expect(evaluateCurrentSla({ ...input, policy: { ...policy, excludeMaintenance: false } }).availability.downtimeMs).toBe(H);
  });
});

describe('reportSlaPeriods', () => {
  it('gives one report per month, the running one measured up to now', () => {
    const now = at('2025-03-15T00:00');
    const reports = reportSlaPeriods({ policy, outages: [{ start: at('2025-02-10T10:00'), end: at('2025-02-10T11:00') }], maintenance: [], now }, at('2025-01-01T00:00'), now);
    expect(reports.map((r) => [r.downtimeMs, r.measuredMs])).toEqual([
      [0, 31 * 24 * H],
      [H, 28 * 24 * H],
      [0, 14 * 24 * H],
    ]);
  });
});

describe('evaluateIncidentTargets', () => {
  const opened = at('2025-06-02T10:00');
  it('stops response at acknowledge and resolution at resolve', () => {
    const t = evaluateIncidentTargets(policy, { priority: 'P1', openedAt: opened, acknowledgedAt: opened + 20 * MIN, resolvedAt: opened + 3 * H, holds: [] }, opened + 5 * H);
    expect(t.response).toMatchObject({ met: false, breached: true });
    expect(t.resolution).toMatchObject({ met: true, breached: false, percentElapsed: 75, state: 'warning-75' });
  });

  it('counts a resolve without acknowledge as the response', () => {
    const t = evaluateIncidentTargets(policy, { priority: 'P1', openedAt: opened, acknowledgedAt: null, resolvedAt: opened + 5 * MIN, holds: [] }, opened + H);
    expect(t.response).toMatchObject({ met: true, elapsedMs: 5 * MIN });
  });

  it('has nothing to say for targets the policy does not set', () => {
    const p2 = evaluateIncidentTargets(policy, { priority: 'P2', openedAt: opened, acknowledgedAt: null, resolvedAt: null, holds: [] }, opened + H);
    expect(p2.response).toBeNull();
    expect(p2.resolution).toMatchObject({ dueAt: opened + 24 * H });
    expect(evaluateIncidentTargets(policy, { priority: 'P4', openedAt: opened, acknowledgedAt: null, resolvedAt: null, holds: [] }, opened)).toEqual({ response: null, resolution: null });
  });
});
