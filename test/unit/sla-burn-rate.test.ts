import { describe, expect, it } from 'vitest';
import type { TimeInterval } from '../../server/src/domain/sla.js';
import { BURN_RATE_RULES, BURN_WINDOWS, burnRateThreshold, evaluateBurnRates, type BurnRateInput } from '../../server/src/sla/burn-rate.js';

const MIN = 60_000;
const H = 60 * MIN;
const D = 24 * H;
const NOW = Date.UTC(2025, 5, 10, 12); // a Tuesday, 12:00 UTC
const input = (outages: TimeInterval[], o: Partial<BurnRateInput> = {}): BurnRateInput => ({
  objectivePpm: 999_000,
  periodMs: 30 * D,
  outages,
  serviceCalendar: null,
  maintenance: [],
  now: NOW,
  ...o,
});
const firing = (i: BurnRateInput) => evaluateBurnRates(i).alerts.map((a) => a.firing);
const lastMs = (ms: number): TimeInterval => ({ start: NOW - ms, end: NOW });

describe('burn rates', () => {
  it('are reported for 5m, 30m, 1h, 2h, 6h, 1d and 3d', () => {
    const { burnRates } = evaluateBurnRates(input([lastMs(3 * MIN)]));
    expect(Object.keys(burnRates)).toEqual(['5m', '30m', '1h', '2h', '6h', '1d', '3d']);
    expect(burnRates['5m']).toBeCloseTo(600, 9); // 60 % errors / 0.1 % allowed
    expect(burnRates['3d']).toBeCloseTo((3 * MIN) / (3 * D) / 0.001, 9);
  });

  it('are zero without in-service time, and exclude maintenance from the denominator', () => {
    const saturday = { timeZone: 'UTC', weeklyHours: [{ days: ['sat' as const], start: '00:00', end: '24:00' }], holidays: [] };
    expect(evaluateBurnRates(input([lastMs(H)], { serviceCalendar: saturday })).burnRates['1h']).toBe(0);
    const half = evaluateBurnRates(input([lastMs(MIN)], { maintenance: [{ start: NOW - H, end: NOW - 30 * MIN }] }));
    expect(half.burnRates['1h']).toBeCloseTo(MIN / (30 * MIN) / 0.001, 9);
  });
});

describe('multiwindow, multi-burn-rate alerts', () => {
  it('scale thresholds with the period length', () => {
    [3.36, 1.4, 0.7, 0.7 / 3].forEach((t, i) => expect(burnRateThreshold(BURN_RATE_RULES[i]!, 7 * D)).toBeCloseTo(t, 12));
    expect(burnRateThreshold(BURN_RATE_RULES[0]!, 31 * D)).toBeCloseTo(14.88, 12);
  });

  // Each rule with its long window exactly at the threshold (not firing) and one millisecond
  // above (firing); the outage is recent, so the short window burns far faster and only the
  // long window decides.
  it.each([
    [0, '1h', 14.4],
    [1, '6h', 6],
    [2, '1d', 3],
    [3, '3d', 1],
  ] as const)('rule %d fires only above %s × %d of the allowed error ratio', (index, long, threshold) => {
    const atThreshold = (BURN_WINDOWS[long] * threshold) / 1000;
    expect(Number.isInteger(atThreshold)).toBe(true);
    expect(firing(input([lastMs(atThreshold)]))[index]).toBe(false);
    expect(firing(input([lastMs(atThreshold + 1)]))[index]).toBe(true);
  });

  it('need the short window too: the page stops once the last 5 minutes are clean', () => {
    const earlier = { start: NOW - H, end: NOW - 50 * MIN }; // 10 min: 1h burns at 166.7
    expect(firing(input([earlier, lastMs(4_320)]))[0]).toBe(false); // 5m exactly at 1.44 %
    expect(firing(input([earlier, lastMs(4_321)]))[0]).toBe(true);
    expect(firing(input([earlier]))[0]).toBe(false);
  });

  it('need the long window too: a short spike alone does not page', () => {
    const spike = evaluateBurnRates(input([lastMs(50_000)]));
    expect(spike.burnRates['5m']).toBeGreaterThan(14.4);
    expect(spike.burnRates['1h']).toBeLessThan(14.4); // 1.39 % of an hour
    expect(spike.alerts.map((a) => a.firing)).toEqual([false, false, false, false]);
  });

  it('compare against in-service time: maintenance can lift a window over the threshold', () => {
    const maintenance = [{ start: NOW - H, end: NOW - 30 * MIN }];
    expect(firing(input([lastMs(25_921)]))[0]).toBe(false); // 0.72 % of 1 h
    expect(firing(input([lastMs(25_921)], { maintenance }))[0]).toBe(true); // 1.44006 % of 30 min
  });

  it('report the threshold and both burn rates of each rule', () => {
    const [page] = evaluateBurnRates(input([lastMs(2 * H)])).alerts;
    expect(page).toMatchObject({ threshold: 14.4, longBurnRate: 1000, shortBurnRate: 1000, firing: true, rule: { severity: 'page' } });
  });
});
