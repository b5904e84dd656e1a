/**
 * @module Capacity forecasts for a utilisation series (0–1): when the seasonal peak reaches 1,
 * with a prediction interval, p95 utilisation and headroom, and a backtest of the same method
 * on the series' own history. Pure: time is an argument.
 *
 * The model is a straight trend plus a seasonal profile: value(t) = trend(t) + profile(phase(t)),
 * phase being the hour of the day, or the hour of the week when the series has a weekly
 * pattern. The trend is the seasonal Sen slope (Hirsch, Slack & Smith 1982): the median of the
 * slopes between points *at the same phase* only, so a daily cycle, a weekend backup or a
 * log-rotation sawtooth cancel out of every slope instead of being read as a fill; its
 * confidence interval comes from the seasonal Kendall statistic's variance (Sen 1968). The
 * profile is the median, per phase, of what is left when the trend is taken out. What fills a
 * disk is its peak, so "full" is the first hour at which trend plus that hour's profile reaches
 * 1; the interval takes the slope's 90 % bounds and the 5th/95th percentile of the residuals.
 *
 * A one-off drop (a clean-up) starts the series afresh: the trend before it says nothing about
 * the disk after it. Drops that recur (log rotation) are part of the seasonal pattern and stay.
 */
import { DAY_MS, HOUR_MS, percentile } from './rollup.js';

export interface SeriesPoint {
  at: number;
  value: number;
}

export type Seasonality = 'none' | 'daily' | 'weekly';

export interface TrendForecast {
  windowDays: number;
  /** Trend of the deseasonalised series per day (seasonal Sen slope). Null with too little data. */
  slopePerDay: number | null;
  /** 90 % confidence bounds of the slope. */
  slopeLowPerDay: number | null;
  slopeHighPerDay: number | null;
  /** Deseasonalised level at `now` (the median of the profile). */
  level: number | null;
  /** Highest point of the seasonal profile at `now`: the level the peaks are at. */
  peak: number | null;
  /** Days from `now` until the seasonal peak reaches 1; null when flat or falling. */
  daysUntilFull: number | null;
  /** Prediction interval of `daysUntilFull`: soonest and latest (null: not within any horizon). */
  fullLow: number | null;
  fullHigh: number | null;
  /** Hourly points the model was fitted to. */
  points: number;
}

export interface CapacityBacktest {
  /** The forecast was made this many days before `now`, from the data it had then. */
  madeDaysAgo: number;
  /** What it said then: full in so many days (from then). */
  daysUntilFullThen: number | null;
  /** Peak of the last 24 h as forecast then, and as it happened. */
  predictedPeak: number;
  observedPeak: number;
  /** How far ahead of that forecast the series is, in days at today's trend (+: fills sooner than it said). */
  errorDays: number | null;
  /** `errorDays` relative to the days until full it forecast then. */
  errorRatio: number | null;
}

export interface CapacityForecast {
  /** The sooner of the windows' estimates (capacity planning errs on the safe side). */
  daysUntilFull: number | null;
  /** Prediction interval around `daysUntilFull` (`high` null: the slow end is not filling). */
  fullBetween: { low: number; high: number | null } | null;
  seasonality: Seasonality;
  /** Start of the data the forecast uses: after the last one-off drop (a clean-up), or null. */
  levelShiftAt: number | null;
  trends: TrendForecast[];
  backtest: CapacityBacktest | null;
  p95: number | null;
  /** 1 − p95: room left at the 95th percentile over 30 days. */
  headroom: number | null;
  latest: number | null;
}

/** Below this a trend counts as flat: 0.01 % of capacity per day, full in ≥ 27 years. */
const FLAT_PER_DAY = 1e-4;
const DAILY = 24;
const WEEKLY = 7 * 24;
/** Spans a profile needs: two cycles. */
const MIN_DAILY_SPAN_MS = 2 * DAY_MS;
const MIN_WEEKLY_SPAN_MS = 14 * DAY_MS;
/** z of a two-sided 90 % interval. */
const Z90 = 1.6449;
/** Weekly pattern: the hour-of-week profile leaves less than this share of the hour-of-day profile's residual variance. */
const WEEKLY_VARIANCE_RATIO = 0.5;
/** A drop between consecutive hours counts as a clean-up past max(this, 8 robust sigmas of the hourly changes). */
const MIN_DROP = 0.05;
/** Backtests: the forecast of this many days ago, if it had at least `BACKTEST_MIN_HISTORY_MS` of data. */
const BACKTEST_DAYS = [7, 3];
const BACKTEST_MIN_HISTORY_MS = 3 * DAY_MS;

/** Median-based Theil–Sen slope over every pair at least `minSeparationMs` apart (per ms). */
export function theilSenSlope(points: SeriesPoint[], minSeparationMs = 0): number | null {
  const slopes: number[] = [];
  for (let i = 0; i < points.length; i++) {
    const a = points[i] as SeriesPoint;
    for (let j = i + 1; j < points.length; j++) {
      const b = points[j] as SeriesPoint;
      const dt = b.at - a.at;
      if (dt > 0 && dt >= minSeparationMs) slopes.push((b.value - a.value) / dt);
    }
  }
  if (slopes.length === 0) return null;
  return median(slopes);
}

/**
 * The k-th smallest value (0-based) of `a`, which it partly reorders (quickselect, median
 * of three pivots): linear time, where the forecasts would otherwise sort every slope.
 */
function select(a: Float64Array, k: number): number {
  let lo = 0;
  let hi = a.length - 1;
  while (hi > lo) {
    const mid = (lo + hi) >> 1;
    const x = a[lo] as number;
    const y = a[mid] as number;
    const z = a[hi] as number;
    const pivot = x < y ? (y < z ? y : x < z ? z : x) : x < z ? x : y < z ? z : y;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while ((a[i] as number) < pivot) i++;
      while ((a[j] as number) > pivot) j--;
      if (i <= j) {
        const t = a[i] as number;
        a[i] = a[j] as number;
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k] as number;
  }
  return a[k] as number;
}

function median(values: ArrayLike<number>): number {
  const s = Float64Array.from(values);
  const mid = s.length >> 1;
  return s.length % 2 ? select(s, mid) : (select(s, mid - 1) + select(s, mid)) / 2;
}

const phaseOf = (at: number, period: number) => (((Math.floor(at / HOUR_MS) % period) + period) % period);

export interface SeasonalFit {
  period: number;
  /** Per ms. */
  slope: number;
  slopeLow: number;
  slopeHigh: number;
  /** Value at `now` of each phase's deseasonalised-free level (NaN for a phase without data). */
  profile: Float64Array;
  residualLow: number;
  residualHigh: number;
  /** Mean squared residual around the profile. */
  residualVariance: number;
  points: number;
}

/** Seasonal Sen slope, its 90 % bounds and the profile per phase, all relative to `now`. */
export function fitSeasonal(points: SeriesPoint[], now: number, period: number): SeasonalFit | null {
  const byPhase: SeriesPoint[][] = Array.from({ length: period }, () => []);
  for (const p of points) (byPhase[phaseOf(p.at, period)] as SeriesPoint[]).push(p);
  let pairs = 0;
  let varianceS = 0;
  for (const g of byPhase) {
    const n = g.length;
    pairs += (n * (n - 1)) / 2;
    varianceS += (n * (n - 1) * (2 * n + 5)) / 18;
  }
  if (pairs === 0) return null;
  const slopes = new Float64Array(pairs);
  let k = 0;
  for (const g of byPhase) {
    g.sort((a, b) => a.at - b.at);
    for (let i = 0; i < g.length; i++) {
      const a = g[i] as SeriesPoint;
      for (let j = i + 1; j < g.length; j++) {
        const b = g[j] as SeriesPoint;
        slopes[k++] = b.at > a.at ? (b.value - a.value) / (b.at - a.at) : 0;
      }
    }
  }
  const mid = pairs >> 1;
  const slope = pairs % 2 ? select(slopes, mid) : (select(slopes, mid - 1) + select(slopes, mid)) / 2;
  // Sen's interval: ranks (N ∓ z·√Var S) / 2 of the ordered slopes.
  // The phases are not independent (one busy day moves all its hours), so the variance is
  // taken as if they were fully dependent: the sum of standard deviations, squared.
  const c = Z90 * Math.sqrt(varianceS * period);
  const rank = (r: number) => select(slopes, Math.min(pairs - 1, Math.max(0, Math.round(r) - 1)));
  const slopeLow = rank((pairs - c) / 2);
  const slopeHigh = rank((pairs + c) / 2 + 1);
  // The profile's shape comes from the whole window, its level from the last cycle: a fill
  // whose pace varies from day to day is wherever it got to, not where the line through
  // the window's middle says.
  const profile = new Float64Array(period).fill(Number.NaN);
  const detrended: number[][] = byPhase.map((g) => g.map((p) => p.value - slope * (p.at - now)));
  detrended.forEach((d, i) => {
    if (d.length) profile[i] = median(d);
  });
  {
    const lastCycle: number[] = [];
    const cycleStart = (points.reduce((m, p) => Math.max(m, p.at), Number.NEGATIVE_INFINITY)) - period * HOUR_MS;
    byPhase.forEach((g, i) => {
      for (const p of g) if (p.at > cycleStart) lastCycle.push(p.value - slope * (p.at - now) - (profile[i] as number));
    });
    if (lastCycle.length) {
      const shift = median(lastCycle);
      for (let i = 0; i < period; i++) profile[i] = (profile[i] as number) + shift;
    }
  }
  const residuals: number[] = [];
  detrended.forEach((d, i) => {
    for (const v of d) residuals.push(v - (profile[i] as number));
  });
  const residualVariance = residuals.reduce((s, r) => s + r * r, 0) / residuals.length;
  return {
    period,
    slope,
    slopeLow,
    slopeHigh,
    profile,
    residualLow: percentile(residuals, 0.05) as number,
    residualHigh: percentile(residuals, 0.95) as number,
    residualVariance,
    points: points.length,
  };
}

/**
 * Days from `now` until `profile(phase) + slope·(t − now) + offset` first reaches 1 at some
 * hour's middle; null when the slope is flat or falling and no phase is there yet.
 */
export function daysUntilProfileFull(fit: Pick<SeasonalFit, 'period' | 'profile'>, slopePerMs: number, offset: number, now: number): number | null {
  const period = fit.period;
  const h0 = Math.floor(now / HOUR_MS);
  const filling = slopePerMs * DAY_MS > FLAT_PER_DAY;
  let best: number | null = null;
  for (let p = 0; p < period; p++) {
    const level = (fit.profile[p] as number) + offset;
    if (Number.isNaN(level)) continue;
    const first = (((p - (h0 % period)) % period) + period) % period;
    let j = first;
    if (level < 1) {
      if (!filling) continue;
      const needHours = ((1 - level) / slopePerMs + now) / HOUR_MS - h0 - 0.5;
      if (needHours > first) j = first + period * Math.ceil((needHours - first) / period);
    }
    const days = Math.max(0, ((h0 + j + 0.5) * HOUR_MS - now) / DAY_MS);
    if (best === null || days < best) best = days;
  }
  return best;
}

/** Start of the data after the last one-off drop (a clean-up): null when there is none or drops recur. */
export function findLevelShift(series: SeriesPoint[]): number | null {
  if (series.length < 3) return null;
  const diffs: number[] = [];
  for (let i = 1; i < series.length; i++) diffs.push((series[i] as SeriesPoint).value - (series[i - 1] as SeriesPoint).value);
  const mid = median(diffs);
  const sigma = 1.4826 * median(diffs.map((d) => Math.abs(d - mid)));
  const threshold = Math.max(MIN_DROP, 8 * sigma);
  const drops = diffs.map((d, i) => ({ d, i })).filter((x) => x.d < -threshold);
  if (drops.length !== 1) return null;
  // Recurring drops (rotation) are the pattern; a single one is a new start. A smaller drop
  // of half its size or more also counts as a recurrence.
  const only = drops[0] as { d: number; i: number };
  if (diffs.some((d, i) => i !== only.i && d < only.d / 2)) return null;
  // A clean-up leaves the disk below where it was in the days before; the end of a burst
  // (a weekend backup removed again) only goes back to where it was.
  const after = series[only.i + 1] as SeriesPoint;
  const before = series.filter((p) => p.at < after.at && p.at >= after.at - 3 * DAY_MS).map((p) => p.value);
  if (after.value > Math.min(...before) - threshold / 2) return null;
  return after.at;
}

/** Hour of the day, or of the week when a weekly pattern explains the series much better. */
export function detectSeasonality(points: SeriesPoint[], now: number, fits = new Map<number, SeasonalFit | null>()): { seasonality: Seasonality; period: number } {
  if (points.length === 0) return { seasonality: 'none', period: DAILY };
  const span = (points.at(-1) as SeriesPoint).at - (points[0] as SeriesPoint).at;
  const fit = (period: number) => {
    if (!fits.has(period)) fits.set(period, fitSeasonal(points, now, period));
    return fits.get(period) ?? null;
  };
  const daily = span >= MIN_DAILY_SPAN_MS ? fit(DAILY) : null;
  if (!daily) return { seasonality: 'none', period: DAILY };
  if (span >= MIN_WEEKLY_SPAN_MS) {
    const weekly = fit(WEEKLY);
    if (weekly && weekly.residualVariance < WEEKLY_VARIANCE_RATIO * daily.residualVariance && daily.residualVariance > 1e-6) return { seasonality: 'weekly', period: WEEKLY };
  }
  const known = [...daily.profile].filter((v) => !Number.isNaN(v));
  const amplitude = Math.max(...known) - Math.min(...known);
  const noise = Math.sqrt(daily.residualVariance);
  return { seasonality: amplitude > 0.005 && amplitude > 4 * noise ? 'daily' : 'none', period: DAILY };
}

const emptyTrend = (windowDays: number, points: number): TrendForecast => ({
  windowDays,
  slopePerDay: null,
  slopeLowPerDay: null,
  slopeHighPerDay: null,
  level: null,
  peak: null,
  daysUntilFull: null,
  fullLow: null,
  fullHigh: null,
  points,
});

/** The model fitted to the last `windowDays` before `now` (and after `from`), at the given period. */
export function forecastTrend(series: SeriesPoint[], now: number, windowDays: number, period = DAILY, known?: SeasonalFit | null): TrendForecast {
  const inWindow = series.filter((p) => p.at > now - windowDays * DAY_MS && p.at <= now);
  // A fit of the whole series is the window's when the series is no longer than it.
  const whole = series.length > 0 && inWindow.length === series.length && known !== undefined;
  const fit = whole ? (known && spanOf(inWindow) >= minSpan(period) ? known : null) : fitTrend(inWindow, now, period);
  if (!fit) return emptyTrend(windowDays, inWindow.length);
  const levels = [...fit.profile].filter((v) => !Number.isNaN(v));
  const filling = fit.slope * DAY_MS > FLAT_PER_DAY;
  const daysUntilFull = daysUntilProfileFull(fit, fit.slope, 0, now);
  return {
    windowDays,
    slopePerDay: fit.slope * DAY_MS,
    slopeLowPerDay: fit.slopeLow * DAY_MS,
    slopeHighPerDay: fit.slopeHigh * DAY_MS,
    level: median(levels),
    peak: Math.max(...levels),
    daysUntilFull,
    fullLow: daysUntilFull === null ? null : daysUntilProfileFull(fit, Math.max(fit.slopeHigh, fit.slope), Math.max(0, fit.residualHigh), now),
    fullHigh: daysUntilFull === null || !filling ? null : daysUntilProfileFull(fit, Math.min(fit.slopeLow, fit.slope), Math.min(0, fit.residualLow), now),
    points: inWindow.length,
  };
}

const spanOf = (points: SeriesPoint[]) => (points.length < 3 ? -1 : (points.at(-1) as SeriesPoint).at - (points[0] as SeriesPoint).at);
const minSpan = (period: number) => (period === WEEKLY ? MIN_WEEKLY_SPAN_MS : MIN_DAILY_SPAN_MS);

function fitTrend(points: SeriesPoint[], now: number, period: number): SeasonalFit | null {
  if (spanOf(points) < minSpan(period)) return null;
  return fitSeasonal(points, now, period);
}

interface ForecastOptions {
  /** Also backtest the method on the series' own history (default true). */
  backtest?: boolean;
}

/** Forecast over the last 7 (14 for a weekly pattern) and 30 days of an hourly series. */
export function forecastCapacity(series: SeriesPoint[], now: number, options: ForecastOptions = {}): CapacityForecast {
  const month = series.filter((p) => p.at > now - 30 * DAY_MS && p.at <= now).sort((a, b) => a.at - b.at);
  const p95 = percentile(
    month.map((p) => p.value),
    0.95,
  );
  const latest = month.length ? (month.at(-1) as SeriesPoint).value : null;
  const levelShiftAt = findLevelShift(month);
  const usable = levelShiftAt === null ? month : month.filter((p) => p.at >= levelShiftAt);
  const fits = new Map<number, SeasonalFit | null>();
  const { seasonality, period } = detectSeasonality(usable, now, fits);
  const trends = [forecastTrend(usable, now, period === WEEKLY ? 21 : 7, period, fits.get(period)), forecastTrend(usable, now, 30, period, fits.get(period))];
  let chosen: TrendForecast | null = null;
  for (const t of trends) if (t.daysUntilFull !== null && (chosen === null || t.daysUntilFull < (chosen.daysUntilFull as number))) chosen = t;
  let daysUntilFull = chosen?.daysUntilFull ?? null;
  if (latest !== null && latest >= 1) daysUntilFull = 0;
  const fullBetween = chosen && daysUntilFull !== null ? { low: Math.min(daysUntilFull, chosen.fullLow ?? daysUntilFull), high: chosen.fullHigh === null ? null : Math.max(daysUntilFull, chosen.fullHigh) } : null;
  return {
    daysUntilFull,
    fullBetween,
    seasonality,
    levelShiftAt,
    trends,
    backtest: options.backtest === false ? null : backtestForecast(month, now, chosen ?? trends[1] ?? null),
    p95,
    headroom: p95 === null ? null : Math.max(0, 1 - p95),
    latest,
  };
}

/**
 * The forecast as it was made k days ago (7, or 3 with less history), from the data it had,
 * against what happened: its peak for the last 24 h beside the observed one.
 */
export function backtestForecast(month: SeriesPoint[], now: number, current: TrendForecast | null): CapacityBacktest | null {
  const first = month[0];
  if (!first) return null;
  const days = BACKTEST_DAYS.find((d) => now - d * DAY_MS - first.at >= BACKTEST_MIN_HISTORY_MS);
  if (days === undefined) return null;
  const then = now - days * DAY_MS;
  const past = month.filter((p) => p.at <= then);
  const lastDay = month.filter((p) => p.at > now - DAY_MS);
  if (lastDay.length === 0) return null;
  const shift = findLevelShift(past);
  const usable = shift === null ? past : past.filter((p) => p.at >= shift);
  const fits = new Map<number, SeasonalFit | null>();
  const { period } = detectSeasonality(usable, then, fits);
  const windows = [period === WEEKLY ? 21 : 7, 30];
  let best: { fit: SeasonalFit; days: number | null } | null = null;
  for (const w of windows) {
    const inWindow = usable.filter((p) => p.at > then - w * DAY_MS);
    const fit = inWindow.length === usable.length && fits.has(period) && spanOf(inWindow) >= minSpan(period) ? (fits.get(period) ?? null) : fitTrend(inWindow, then, period);
    if (!fit) continue;
    const d = daysUntilProfileFull(fit, fit.slope, 0, then);
    if (best === null || (d !== null && (best.days === null || d < best.days))) best = { fit, days: d };
  }
  if (!best) return null;
  const { fit } = best;
  const predictedPeak = Math.max(...lastDay.map((p) => (fit.profile[phaseOf(p.at, fit.period)] as number) + fit.slope * (p.at - then)).filter((v) => !Number.isNaN(v)));
  const observedPeak = Math.max(...lastDay.map((p) => p.value));
  if (!Number.isFinite(predictedPeak)) return null;
  const slopePerDay = current?.slopePerDay ?? null;
  const errorDays = slopePerDay !== null && slopePerDay > FLAT_PER_DAY ? (observedPeak - predictedPeak) / slopePerDay : null;
  return {
    madeDaysAgo: days,
    daysUntilFullThen: best.days,
    predictedPeak,
    observedPeak,
    errorDays,
    errorRatio: errorDays !== null && best.days !== null && best.days > 0 ? errorDays / best.days : null,
  };
}
