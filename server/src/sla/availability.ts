/**
 * @module Availability of a service over one SLA period: SLI and error budget.
 *
 * Time-based: the denominator is the period's in-service time (inside the service
 * calendar, when there is one) minus maintenance windows; downtime is the merged outages
 * inside that same time, so maintenance is removed from both. Budget arithmetic is exact:
 * the objective is integer ppm and products are taken in BigInt, so 99.9 % of 30 days
 * allows exactly 2,592,000 ms (a float `1 - 99.9/100` would give 2591 s).
 */
import { PPM, type BusinessCalendar, type TimeInterval } from '../domain/sla.js';
import { workingIntervals } from './calendar.js';
import { clipIntervals, intersectIntervals, mergeIntervals, subtractIntervals, totalMs } from './intervals.js';

const BIG_PPM = BigInt(PPM);

/** floor(scheduledMs × (1e6 − objectivePpm) / 1e6), exactly. */
export function allowedDowntimeMs(scheduledMs: number, objectivePpm: number): number {
  return Number((BigInt(scheduledMs) * (BIG_PPM - BigInt(objectivePpm))) / BIG_PPM);
}

/** floor(good × 1e6 / total), exactly; 1e6 when total is 0. */
export function ratioPpm(good: number, total: number): number {
  return total <= 0 ? PPM : Number((BigInt(good) * BIG_PPM) / BigInt(total));
}

/** True when `downtimeMs` exceeds the exact (unfloored) budget of `scheduledMs`. */
export function exceedsBudget(downtimeMs: number, scheduledMs: number, objectivePpm: number): boolean {
  return BigInt(downtimeMs) * BIG_PPM > BigInt(scheduledMs) * (BIG_PPM - BigInt(objectivePpm));
}

export interface AvailabilityInput {
  period: TimeInterval;
  objectivePpm: number;
  /** Only time inside this calendar is in service; null = always. */
  serviceCalendar: BusinessCalendar | null;
  /** The service's effective downtime (any range, overlaps allowed); clipped here. */
  outages: readonly TimeInterval[];
  /** Maintenance windows to exclude; pass [] when the policy does not exclude them. */
  maintenance: readonly TimeInterval[];
  /** Evaluation instant: only [period.start, min(asOf, period.end)) has been measured. */
  asOf: number;
}

export interface AvailabilityReport {
  start: number;
  end: number;
  objectivePpm: number;
  /** In-service time of the whole period, maintenance removed: the budget's base. */
  scheduledMs: number;
  /** In-service time of the whole period that maintenance removed. */
  excludedMs: number;
  /** In-service time measured so far (up to asOf), maintenance removed: the SLI's denominator. */
  measuredMs: number;
  downtimeMs: number;
  /** The counted outages: merged, clipped to the measured in-service time. */
  outages: TimeInterval[];
  /** (measured − downtime) / measured; 1 when nothing has been measured. */
  sli: number;
  sliPpm: number;
  allowedDowntimeMs: number;
  budgetRemainingMs: number;
  /** remaining / allowed (negative once overspent); with no budget at all, 1 without downtime and 0 with. */
  budgetRemainingRatio: number;
  /** Error ratio so far divided by the allowed error ratio (1 spends exactly the budget over the period). */
  periodBurnRate: number;
  /** The downtime exceeds the whole period's budget: the objective can no longer be met. */
  breached: boolean;
}

export function computeAvailability(input: AvailabilityInput): AvailabilityReport {
  const { period, objectivePpm } = input;
  const inService = input.serviceCalendar ? workingIntervals(input.serviceCalendar, period.start, period.end) : [{ start: period.start, end: period.end }];
  const maintenance = intersectIntervals(inService, input.maintenance);
  const scheduled = subtractIntervals(inService, maintenance);
  const measured = clipIntervals(scheduled, period.start, Math.min(input.asOf, period.end));
  const outages = intersectIntervals(mergeIntervals(input.outages), measured);

  const scheduledMs = totalMs(scheduled);
  const measuredMs = totalMs(measured);
  const downtimeMs = totalMs(outages);
  const allowed = allowedDowntimeMs(scheduledMs, objectivePpm);
  const remaining = allowed - downtimeMs;
  return {
    start: period.start,
    end: period.end,
    objectivePpm,
    scheduledMs,
    excludedMs: totalMs(maintenance),
    measuredMs,
    downtimeMs,
    outages,
    sli: measuredMs === 0 ? 1 : (measuredMs - downtimeMs) / measuredMs,
    sliPpm: ratioPpm(measuredMs - downtimeMs, measuredMs),
    allowedDowntimeMs: allowed,
    budgetRemainingMs: remaining,
    budgetRemainingRatio: allowed === 0 ? (downtimeMs === 0 ? 1 : 0) : remaining / allowed,
    periodBurnRate: measuredMs === 0 ? 0 : (downtimeMs * PPM) / (measuredMs * (PPM - objectivePpm)),
    breached: exceedsBudget(downtimeMs, scheduledMs, objectivePpm),
  };
}

export interface Reliability {
  failures: number;
  /** Mean length of the merged outages; null without outages. */
  meanTimeToRestoreMs: number | null;
  /** Up time divided by the number of failures; null without outages. */
  meanTimeBetweenFailuresMs: number | null;
}

/** MTTR and MTBF over `spanMs` of in-service time containing `outages`. */
export function computeReliability(outages: readonly TimeInterval[], spanMs: number): Reliability {
  const merged = mergeIntervals(outages);
  const down = totalMs(merged);
  const failures = merged.length;
  return {
    failures,
    meanTimeToRestoreMs: failures === 0 ? null : down / failures,
    meanTimeBetweenFailuresMs: failures === 0 ? null : (spanMs - down) / failures,
  };
}
