import { describe, expect, it } from 'vitest';
import { daysUntilProfileFull, detectSeasonality, findLevelShift, fitSeasonal, forecastCapacity, forecastTrend, theilSenSlope, type SeriesPoint } from '../../server/src/capacity/forecast.js';
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
    // To the hour: the forecast is read at each hour's middle.
    expect(Math.abs((f.daysUntilFull as number) - 25)).toBeLessThanOrEqual(1 / 24);
    expect(f.seasonality).toBe('none');
    for (const t of f.trends) expect(t.slopePerDay).toBeCloseTo(0.02, 9);
    // A clean line: the interval is the forecast, to the hour.
    expect(f.fullBetween!.low).toBeGreaterThan(24.9);
    expect(f.fullBetween!.high).toBeLessThan(25.1);
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
    const series = hourly(30, (h) => 0.5 - (0.01 * h) / 24 + 0.2 * (1 - ((h % 168) + 1) / 168));
    expect(detectSeasonality(series, NOW).seasonality).toBe('weekly');
    const f = forecastCapacity(series, NOW);
    for (const t of f.trends) expect(t.slopePerDay).toBeCloseTo(0.01, 6);
    // The tooth peaks at 70 % now and climbs 20 % a week: its upper part reaches 1 after
    // 30 days of baseline, in the week after day 28 (about 33.8 days).
    expect(f.daysUntilFull).toBeGreaterThan(30);
    expect(f.daysUntilFull).toBeLessThan(35);
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

  it('daily cycle: the peak of the day is what fills, forecast to its hour', () => {
    // +3 %/day under a ±6 % cycle peaking at 14:00; the mean is 75 % now (midnight).
    const value = (at: number) => 0.75 + (0.03 * (at - NOW)) / DAY_MS + 0.06 * Math.cos((2 * Math.PI * ((at % DAY_MS) / HOUR_MS - 14)) / 24);
    const series = hourly(30, (h) => value(NOW - h * HOUR_MS + HOUR_MS / 2));
    const f = forecastCapacity(series, NOW);
    expect(f.seasonality).toBe('daily');
    // Truth: the first hour (at its middle) whose value reaches 1.
    let truth = 0;
    while (value(Math.floor(NOW / HOUR_MS) * HOUR_MS + truth * HOUR_MS + HOUR_MS / 2) < 1) truth++;
    const truthDays = (truth * HOUR_MS + HOUR_MS / 2 - (NOW % HOUR_MS)) / DAY_MS;
    expect(Math.abs((f.daysUntilFull as number) - truthDays)).toBeLessThanOrEqual(1 / 24 + 1e-9);
    // The mean alone would say 8.3 days; the peak is at 14:00 of day 6.
    expect(f.daysUntilFull).toBeLessThan(7);
    expect(f.fullBetween!.low).toBeLessThanOrEqual(f.daysUntilFull as number);
    expect(f.fullBetween!.high).toBeGreaterThanOrEqual(f.daysUntilFull as number);
  });

  it('weekly cycle: a weekend burst sets the peak; the trend is read across weeks', () => {
    const rnd = seededRandom(11);
    // +1 %/day, +15 % on Saturdays, noise.
    const value = (at: number) => 0.5 + (0.01 * (at - NOW)) / DAY_MS + (new Date(at).getUTCDay() === 6 ? 0.15 : 0);
    const series = hourly(30, (h) => value(NOW - h * HOUR_MS) + (rnd() - 0.5) * 0.004);
    const f = forecastCapacity(series, NOW);
    expect(f.seasonality).toBe('weekly');
    // Saturdays reach 65 % + 1 %/day: full on the first Saturday at least 35 days out (day 35 is one: NOW is a Saturday).
    expect(Math.abs((f.daysUntilFull as number) - 35)).toBeLessThan(0.5);
    for (const t of f.trends) expect(t.slopePerDay).toBeCloseTo(0.01, 3);
    // The peak line of the daily model would miss the burst: full in 50 days.
    expect(forecastTrend(series, NOW, 30, 24).daysUntilFull).toBeGreaterThan(40);
  });

  it('a clean-up starts the series afresh; a recurring drop (rotation) does not', () => {
    // +2 %/day, 30 % freed five days ago.
    const series = hourly(20, (h) => 0.5 - (0.02 * h) / 24 + (h < 5 * 24 ? -0.3 : 0));
    const f = forecastCapacity(series, NOW);
    expect(f.levelShiftAt).toBe(NOW - (5 * 24 - 1) * HOUR_MS);
    // 20 % now (the fill since), 2 %/day: 40 days.
    expect(Math.abs((f.daysUntilFull as number) - 40)).toBeLessThan(0.1);
    expect(findLevelShift(hourly(20, (h) => 0.3 + 0.4 * (1 - ((h % 24) + 1) / 24)))).toBeNull();
    // A weekend burst removed again is not a clean-up either.
    expect(findLevelShift(hourly(10, (h) => 0.5 + (h >= 24 && h < 48 ? 0.2 : 0)))).toBeNull();
  });

  it('backtest: the forecast of 7 days ago against the observed peak', () => {
    const steady = forecastCapacity(hourly(30, (h) => 0.5 - (0.02 * h) / 24), NOW);
    expect(steady.backtest).toMatchObject({ madeDaysAgo: 7 });
    expect(Math.abs(steady.backtest!.errorDays as number)).toBeLessThan(0.01);
    expect(steady.backtest!.daysUntilFullThen! - 32).toBeLessThanOrEqual(1 / 24);
    // The fill doubled five days ago: the old forecast is behind what happened.
    const faster = forecastCapacity(hourly(30, (h) => (h > 120 ? 0.4 - (0.01 * (h - 120)) / 24 : 0.4 + (0.02 * (120 - h)) / 24)), NOW);
    expect(faster.backtest!.observedPeak).toBeGreaterThan(faster.backtest!.predictedPeak);
    expect(faster.backtest!.errorDays).toBeGreaterThan(1);
    expect(faster.backtest!.errorRatio).toBeGreaterThan(0);
    // Less than 3 days of history before the cut: no backtest.
    expect(forecastCapacity(hourly(5, (h) => 0.5 - (0.02 * h) / 24), NOW).backtest).toBeNull();
  });

  it('seasonal Sen slope: every slope at the same phase, the interval around it', () => {
    const fit = fitSeasonal(
      hourly(10, (h) => 0.5 - (0.02 * h) / 24 + 0.1 * Math.sin((2 * Math.PI * h) / 24)),
      NOW,
      24,
    )!;
    expect(fit.slope * DAY_MS).toBeCloseTo(0.02, 9);
    expect(fit.slopeLow).toBeLessThanOrEqual(fit.slope);
    expect(fit.slopeHigh).toBeGreaterThanOrEqual(fit.slope);
    expect(daysUntilProfileFull(fit, 0, 0, NOW)).toBeNull();
    expect(daysUntilProfileFull(fit, fit.slope, 0.5, NOW)).toBeLessThanOrEqual(1 / 24);
  });
});
