/** Ratio SLIs from counters (sla/metric-sli.ts): slicing the period into range queries, and the budget. */
import { describe, expect, it } from 'vitest';
import { computeRatioSli, MAX_POINTS_PER_QUERY, sliceQueries } from '../../server/src/sla/metric-sli.js';

const H = 3_600_000;
const D = 24 * H;

describe('metric SLIs', () => {
  it.each([
    ['a month read at its end', { start: 0, end: 30 * D }, 30 * D, H, [{ start: H, end: 30 * D }], 30 * D],
    ['half-way through an hour: the running slice waits', { start: 0, end: 30 * D }, 5 * H + H / 2, H, [{ start: H, end: 5 * H }], 5 * H],
    ['before the first slice ends: nothing to read', { start: 0, end: 30 * D }, H / 2, H, [], 0],
    ['after the period: up to its end only', { start: 0, end: 2 * H }, 10 * H, H, [{ start: H, end: 2 * H }], 2 * H],
  ])('%s', (_name, period, now, step, windows, measuredUntil) => {
    expect(sliceQueries(period, now, step)).toEqual({ windows, measuredUntil });
  });

  it('splits a long period into range queries of at most 10,000 points, back to back', () => {
    const step = 60_000;
    const { windows } = sliceQueries({ start: 0, end: 90 * D }, 90 * D, step);
    expect(windows).toHaveLength(13); // 129,600 one-minute slices
    expect(windows[0]).toEqual({ start: step, end: MAX_POINTS_PER_QUERY * step });
    expect(windows[1]?.start).toBe((MAX_POINTS_PER_QUERY + 1) * step);
    expect(windows.at(-1)?.end).toBe(90 * D);
    expect(windows.reduce((n, w) => n + (w.end - w.start) / step + 1, 0)).toBe(129_600);
  });

  it('V10: 1,010 requests, 15 bad: 98.5149 % against 99 %', () => {
    const r = computeRatioSli(995, 1010, 990_000);
    expect((r.sli! * 100).toFixed(4)).toBe('98.5149');
    expect(r.bad).toBe(15);
    expect(r.allowedBad).toBeCloseTo(10.1, 9);
    expect(r.breached).toBe(true);
    expect(r.budgetRemainingRatio).toBeCloseTo(1 - 15 / 10.1, 9);
  });

  it('no events: no SLI and no budget spent; extrapolated good above total is clamped', () => {
    expect(computeRatioSli(0, 0, 999_000)).toMatchObject({ sli: null, budgetRemainingRatio: null, breached: false });
    expect(computeRatioSli(100.0000001, 100, 999_000)).toMatchObject({ sli: 1, bad: 0, budgetRemainingRatio: 1 });
  });
});
