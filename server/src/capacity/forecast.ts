/**
 * @module Capacity forecasts for a utilisation series (0–1): a robust trend (Theil–Sen),
 * the days until it reaches 1, p95 utilisation and headroom. Pure: time is an argument.
 *
 * The trend is fitted to daily peaks (the highest point of each 24 h before `now`): what
 * fills a disk is its peak, and a sawtooth from daily log rotation has flat peaks while
 * every tooth climbs. Theil–Sen takes the median of pairwise slopes, so outliers and noise
 * barely move it; pairs closer than half the observed span are left out, so that slower
 * teeth (weekly rotation) are compared tooth with tooth instead of read as a trend. For a
 * linear fill every pair gives the same slope, so nothing is lost.
 */
import { DAY_MS, percentile } from './rollup.js';

export interface SeriesPoint {
  at: number;
  value: number;
}

export interface TrendForecast {
  windowDays: number;
  /** Change of the daily peak per day (robust). Null with fewer than 3 days of data. */
  slopePerDay: number | null;
  /** Fitted peak utilisation at `now`. */
  level: number | null;
  /** Days from `now` until the fitted trend reaches 1; null when flat or falling. */
  daysUntilFull: number | null;
  /** Daily peaks the trend was fitted to. */
  points: number;
}

export interface CapacityForecast {
  /** The sooner of the two windows' estimates (capacity planning errs on the safe side). */
  daysUntilFull: number | null;
  trends: TrendForecast[];
  p95: number | null;
  /** 1 − p95: room left at the 95th percentile over 30 days. */
  headroom: number | null;
  latest: number | null;
}

/** Below this a trend counts as flat: 0.01 % of capacity per day, full in ≥ 27 years. */
const FLAT_PER_DAY = 1e-4;
const MIN_SPAN_MS = DAY_MS;

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
  slopes.sort((x, y) => x - y);
  const mid = slopes.length >> 1;
  return slopes.length % 2 ? (slopes[mid] as number) : ((slopes[mid - 1] as number) + (slopes[mid] as number)) / 2;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

export function forecastTrend(series: SeriesPoint[], now: number, windowDays: number): TrendForecast {
  const inWindow = series.filter((p) => p.at > now - windowDays * DAY_MS && p.at <= now);
  const peaks = new Map<number, SeriesPoint>();
  for (const p of inWindow) {
    const day = Math.floor((now - p.at) / DAY_MS);
    const best = peaks.get(day);
    if (!best || p.value > best.value || (p.value === best.value && p.at > best.at)) peaks.set(day, p);
  }
  const points = [...peaks.values()].sort((a, b) => a.at - b.at);
  const empty = { windowDays, slopePerDay: null, level: null, daysUntilFull: null, points: points.length };
  if (points.length < 3) return empty;
  const span = (points.at(-1) as SeriesPoint).at - (points[0] as SeriesPoint).at;
  if (span < MIN_SPAN_MS) return empty;
  const slope = theilSenSlope(points, span / 2);
  if (slope === null) return empty;
  // Intercept as Theil–Sen's: the median of residuals, evaluated at `now`.
  const level = median(points.map((p) => p.value - slope * (p.at - now)));
  const slopePerDay = slope * DAY_MS;
  let daysUntilFull: number | null = null;
  if (level >= 1) daysUntilFull = 0;
  else if (slopePerDay > FLAT_PER_DAY) daysUntilFull = (1 - level) / slopePerDay;
  return { windowDays, slopePerDay, level, daysUntilFull, points: points.length };
}

/** Forecast over the last 7 and 30 days of a (typically hourly) series. */
export function forecastCapacity(series: SeriesPoint[], now: number): CapacityForecast {
  const trends = [forecastTrend(series, now, 7), forecastTrend(series, now, 30)];
  const known = trends.map((t) => t.daysUntilFull).filter((d): d is number => d !== null);
  const month = series.filter((p) => p.at >= now - 30 * DAY_MS && p.at <= now);
  const p95 = percentile(month.map((p) => p.value), 0.95);
  const latest = month.length ? (month.reduce((a, b) => (b.at > a.at ? b : a)) as SeriesPoint).value : null;
  return { daysUntilFull: known.length ? Math.min(...known) : null, trends, p95, headroom: p95 === null ? null : Math.max(0, 1 - p95), latest };
}
