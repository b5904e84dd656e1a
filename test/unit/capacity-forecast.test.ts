import { describe, expect, it } from 'vitest';
import { forecastCapacity, forecastTrend, theilSenSlope, type SeriesPoint } from '../../server/src/capacity/forecast.js';
import { DAY_MS, HOUR_MS } from '../../server/src/capacity/rollup.js';
import { mulberry32 as seededRandom } from '../../server/src/problems/seeded-random.js';

const NOW = Date.parse('2026-11-21T00:00:00Z');

/** Hourly points over the last `days` days ending at NOW, value from hours-before-now. */
function hourly(days: number, f: (hoursAgo: number) => number): SeriesPoint[] {
  const out: SeriesPoint[] = [];
  for (let h = days * 24; h >= 0; h--) out.push({ at: NOW - h * HOUR_MS, value: f(h) });
  return out;
}

describe('capacity forecast', () => {
  it('linear fill: days until full is exact', () => {
    // 50 % now, +2 %/day → full in 25 days.
    const f = forecastCapacity(hourly(30, (h) => 0.5 - (0.02 * h) / 24), NOW);
    expect(f.daysUntilFull).toBeCloseTo(25, 6);
    for (const t of f.trends) expect(t.slopePerDay).toBeCloseTo(0.02, 9);
    expect(f.p95).toBeCloseTo(0.5 - (0.02 * Math.floor(0.05 * 721)) / 24, 2);
    expect(f.headroom).toBeCloseTo(1 - (f.p95 as number), 12);
  });

  it('noisy fill with outliers: within 5 % of the truth', () => {
    const rnd = seededRandom(7);
    const series = hourly(30, (h) => 0.6 - (0.01 * h) / 24 + (rnd() - 0.5) * 0.03).map((p, i) => (i % 97 === 0 ? { ...p, value: 0.05 } : p));
    const f = forecastCapacity(series, NOW);
    expect(f.daysUntilFull).not.toBeNull();
    // Truth for the daily peak: the mean line reaches full in 40 days, and the peak of 24
    // uniform ±1.5 % draws sits about 1.5 % × 23/25 above it.
    const truth = (0.4 - 0.015 * (23 / 25)) / 0.01;
    expect(Math.abs((f.daysUntilFull as number) - truth) / truth).toBeLessThan(0.05);
  });

  it('sawtooth from daily log rotation: no prediction of full', () => {
    // Logs grow 30 → 70 % over each day and are rotated away at midnight.
    const f = forecastCapacity(hourly(30, (h) => 0.3 + 0.4 * (1 - ((h % 24) + 1) / 24)), NOW);
    expect(f.p95).toBeGreaterThan(0.6);
    for (const t of f.trends) expect(Math.abs(t.slopePerDay as number)).toBeLessThan(0.002);
    expect(f.daysUntilFull === null || f.daysUntilFull > 365).toBe(true);
    // The plain estimator on every point would read a tooth's climb as a trend.
    expect(theilSenSlope(hourly(7, (h) => 0.3 + 0.4 * (1 - ((h % 24) + 1) / 24)))! * DAY_MS).toBeGreaterThan(0.01);
  });

  it('sawtooth on a rising baseline: the baseline trend, not the teeth', () => {
    // +1 %/day underneath a weekly rotation of 20 %: full in about (1 - level)/0.01 days.
    const f = forecastTrend(hourly(30, (h) => 0.5 - (0.01 * h) / 24 + 0.2 * (1 - ((h % 168) + 1) / 168)), NOW, 30);
    expect(f.slopePerDay).toBeGreaterThan(0.005);
    expect(f.slopePerDay).toBeLessThan(0.015);
  });

  it('no trend and falling: null', () => {
    const rnd = seededRandom(3);
    expect(forecastCapacity(hourly(30, () => 0.4 + (rnd() - 0.5) * 0.02), NOW).daysUntilFull).toBeNull();
    expect(forecastCapacity(hourly(30, (h) => 0.2 + (0.01 * h) / 24), NOW).daysUntilFull).toBeNull();
  });

  it('too little data: no trend; already full: zero days', () => {
    expect(forecastTrend(hourly(1.5, () => 0.5), NOW, 7).slopePerDay).toBeNull();
    expect(forecastCapacity([], NOW)).toMatchObject({ daysUntilFull: null, p95: null, headroom: null, latest: null });
    expect(forecastCapacity(hourly(3, (h) => 1 - h / 1000), NOW).daysUntilFull).toBe(0);
  });
});
