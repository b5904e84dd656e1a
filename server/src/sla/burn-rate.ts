/**
 * @module Burn rates and multiwindow, multi-burn-rate alerts (Google SRE Workbook,
 * "Alerting on SLOs", table 5-8 / sla-vectors V8).
 *
 * The burn rate over a window is the window's error ratio divided by the allowed error
 * ratio (1 − objective): 1 spends exactly the budget by the end of the period. Windows are
 * [now − w, now), independent of period boundaries; the denominator is the window's
 * in-service time minus maintenance, as for the SLI. A window with no in-service time
 * burns 0.
 *
 * Each rule fires when both its long and its short window burn strictly faster than its
 * threshold. The threshold is the budget fraction the rule guards, spent within the long
 * window: threshold = fraction × period / long window. For a 30-day period this gives the
 * Workbook's 14.4 (2 % in 1 h), 6 (5 % in 6 h), 3 (10 % in 1 d) and 1 (10 % in 3 d); other
 * periods keep the fractions and windows and scale the threshold with their length (a
 * 7-day period: 3.36, 1.4, 0.7, 0.233…). Comparisons are exact, in BigInt.
 */
import { PPM, type BusinessCalendar, type TimeInterval } from '../domain/sla.js';
import { workingIntervals } from './calendar.js';
import { intersectIntervals, subtractIntervals, totalMs } from './intervals.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
export const BURN_WINDOWS = { '5m': 5 * MIN, '30m': 30 * MIN, '1h': HOUR, '2h': 2 * HOUR, '6h': 6 * HOUR, '1d': 24 * HOUR, '3d': 72 * HOUR } as const;
export type BurnWindow = keyof typeof BURN_WINDOWS;

export interface BurnRateRule {
  long: BurnWindow;
  short: BurnWindow;
  /** Share of the period's budget, in ppm, that spent within the long window fires the rule. */
  budgetFractionPpm: number;
  severity: 'page' | 'ticket';
}

export const BURN_RATE_RULES: readonly BurnRateRule[] = [
  { long: '1h', short: '5m', budgetFractionPpm: 20_000, severity: 'page' },
  { long: '6h', short: '30m', budgetFractionPpm: 50_000, severity: 'page' },
  { long: '1d', short: '2h', budgetFractionPpm: 100_000, severity: 'ticket' },
  { long: '3d', short: '6h', budgetFractionPpm: 100_000, severity: 'ticket' },
];

/** Threshold of `rule` for a period of `periodMs`: fraction × period / long window. */
export function burnRateThreshold(rule: BurnRateRule, periodMs: number): number {
  return (rule.budgetFractionPpm * periodMs) / (PPM * BURN_WINDOWS[rule.long]);
}

/** Downtime and in-service time inside one window. */
export interface WindowMeasure {
  downMs: number;
  scheduledMs: number;
}

export interface BurnRateInput {
  objectivePpm: number;
  /** Length of the SLA period the thresholds are scaled to (30 days gives 14.4 / 6 / 3 / 1). */
  periodMs: number;
  /** The service's effective downtime; must reach back at least 3 days before `now`. */
  outages: readonly TimeInterval[];
  serviceCalendar: BusinessCalendar | null;
  maintenance: readonly TimeInterval[];
  now: number;
}

export function measureWindow(input: Omit<BurnRateInput, 'objectivePpm' | 'periodMs'>, windowMs: number): WindowMeasure {
  const from = input.now - windowMs;
  const inService = input.serviceCalendar ? workingIntervals(input.serviceCalendar, from, input.now) : [{ start: from, end: input.now }];
  const scheduled = subtractIntervals(inService, input.maintenance);
  return { downMs: totalMs(intersectIntervals(input.outages, scheduled)), scheduledMs: totalMs(scheduled) };
}

/** Error ratio / allowed error ratio; 0 for a window without in-service time. */
export function burnRateOf(measure: WindowMeasure, objectivePpm: number): number {
  return measure.scheduledMs === 0 ? 0 : (measure.downMs * PPM) / (measure.scheduledMs * (PPM - objectivePpm));
}

/** burn > fraction × period / long, i.e. down × 1e6 × 1e6 × long > fraction × period × scheduled × (1e6 − objective). */
function burnsFaster(measure: WindowMeasure, objectivePpm: number, rule: BurnRateRule, periodMs: number): boolean {
  if (measure.scheduledMs === 0) return false;
  const big = BigInt;
  return (
    big(measure.downMs) * big(PPM) * big(PPM) * big(BURN_WINDOWS[rule.long]) >
    big(rule.budgetFractionPpm) * big(periodMs) * big(measure.scheduledMs) * (big(PPM) - big(objectivePpm))
  );
}

export interface BurnRateAlert {
  rule: BurnRateRule;
  threshold: number;
  longBurnRate: number;
  shortBurnRate: number;
  firing: boolean;
}

export interface BurnRateEvaluation {
  burnRates: Record<BurnWindow, number>;
  alerts: BurnRateAlert[];
}

export function evaluateBurnRates(input: BurnRateInput, rules: readonly BurnRateRule[] = BURN_RATE_RULES): BurnRateEvaluation {
  const measures = Object.fromEntries(Object.entries(BURN_WINDOWS).map(([w, ms]) => [w, measureWindow(input, ms)])) as Record<BurnWindow, WindowMeasure>;
  const burnRates = Object.fromEntries(Object.entries(measures).map(([w, m]) => [w, burnRateOf(m, input.objectivePpm)])) as Record<BurnWindow, number>;
  const alerts = rules.map((rule) => ({
    rule,
    threshold: burnRateThreshold(rule, input.periodMs),
    longBurnRate: burnRates[rule.long],
    shortBurnRate: burnRates[rule.short],
    firing: burnsFaster(measures[rule.long], input.objectivePpm, rule, input.periodMs) && burnsFaster(measures[rule.short], input.objectivePpm, rule, input.periodMs),
  }));
  return { burnRates, alerts };
}

/**
 * How long the error budget left lasts at `burnRate` (1 = spending it evenly over the period):
 * remaining downtime / (burn rate × allowed downtime share). 0 when nothing is left, null when
 * nothing burns.
 */
export function budgetExhaustionMs(remainingDowntimeMs: number, burnRate: number, objectivePpm: number): number | null {
  if (remainingDowntimeMs <= 0) return 0;
  const share = (1_000_000 - objectivePpm) / 1_000_000;
  if (!(burnRate > 0) || share <= 0) return null;
  return remainingDowntimeMs / (burnRate * share);
}
