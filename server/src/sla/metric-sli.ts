/**
 * @module Ratio SLIs from counters (good events / all events) over an SLA period, as Sightline
 * measures them from Prometheus: the period is cut into slices of the policy's step, each
 * slice's increase is queried at its end (`sum(increase(q[step]))` evaluated at
 * start + k × step), and the slices are summed. Slices tile the period without overlap, so an
 * event is counted once; the slice still running at `now` is left for the next reading.
 */
import { PPM, type TimeInterval } from '../domain/sla.js';

/** Prometheus answers at most 11,000 points a series per range query; stay under it. */
export const MAX_POINTS_PER_QUERY = 10_000;

/** A range query: evaluation times start, start + step, …, end (inclusive), in ms. */
export interface RangeQueryWindow {
  start: number;
  end: number;
}

/**
 * The range queries that read every whole slice of `period` that has ended by `now`: slice k
 * is (period.start + (k − 1) × step, period.start + k × step]. Empty when none has ended.
 */
export function sliceQueries(period: TimeInterval, now: number, stepMs: number): { windows: RangeQueryWindow[]; measuredUntil: number } {
  const until = Math.min(period.end, now);
  const slices = Math.floor((until - period.start) / stepMs);
  const windows: RangeQueryWindow[] = [];
  for (let first = 1; first <= slices; first += MAX_POINTS_PER_QUERY) {
    const last = Math.min(slices, first + MAX_POINTS_PER_QUERY - 1);
    windows.push({ start: period.start + first * stepMs, end: period.start + last * stepMs });
  }
  return { windows, measuredUntil: period.start + Math.max(0, slices) * stepMs };
}

export interface RatioSli {
  good: number;
  total: number;
  /** good / total; null without events. */
  sli: number | null;
  /** Bad events the objective allows among `total`. */
  allowedBad: number;
  bad: number;
  /** 1 − bad / allowed; null without events. */
  budgetRemainingRatio: number | null;
  breached: boolean;
}

/** The SLI and error budget of `good` among `total` events at an objective in ppm. */
export function computeRatioSli(good: number, total: number, objectivePpm: number): RatioSli {
  // Counters read by increase() are extrapolated: clamp so rounding never shows good > total.
  const goodEvents = Math.min(Math.max(good, 0), Math.max(total, 0));
  const bad = Math.max(total, 0) - goodEvents;
  const allowedBad = (Math.max(total, 0) * (PPM - objectivePpm)) / PPM;
  if (total <= 0) return { good: goodEvents, total: Math.max(total, 0), sli: null, allowedBad: 0, bad: 0, budgetRemainingRatio: null, breached: false };
  return { good: goodEvents, total, sli: goodEvents / total, allowedBad, bad, budgetRemainingRatio: 1 - bad / allowedBad, breached: bad > allowedBad };
}
