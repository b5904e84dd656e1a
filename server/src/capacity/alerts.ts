/**
 * @module Capacity alerts: which forecasts should fire now. A resource forecast to be full
 * within the critical horizon (default 24 h) is critical, within the warning horizon
 * (default 7 days) a warning; only the more severe of the two fires. Both are one alert per
 * resource (one fingerprint) whose `severity` label changes: an escalation re-raises it, so
 * the warning's incident goes on and its priority rises; one fault stays one incident.
 *
 * Forecasts move a little with every pass, more so on seasonal series: an alert already
 * firing stays until its forecast is half again its horizon away (or gone: not filling), so
 * a forecast hovering at the edge or breathing with the week does not flap. The alert is
 * raised on the forecast itself, not on the soonest end of its interval: while a weekly
 * pattern is not yet established (two weeks of data) the interval is wide, and an alert on
 * its soonest end would fire and clear again once the pattern is known. Pure: the caller
 * says what fires now.
 */
import type { Labels } from '../domain/alert.js';
import type { CapacityAlertPolicy } from '../domain/capacity-config.js';
import type { CapacityResource } from '../domain/capacity.js';

export interface ForecastInput {
  host: string;
  resource: CapacityResource;
  mountpoint: string;
  daysUntilFull: number | null;
  /** Prediction interval of `daysUntilFull` (soonest, latest; latest null when unbounded). */
  fullBetween?: { low: number; high: number | null } | null;
  latest: number | null;
}

export interface CapacityAlert {
  /** Unique per host, resource and mount point: the alert's identity whatever its severity. */
  key: string;
  labels: Labels;
  annotations: Labels;
}

export type CapacitySeverity = 'warning' | 'critical';

const DAY_MS = 86_400_000;
/** How far past its horizon a firing alert's forecast must move before it resolves. */
export const CLEAR_MARGIN = 1.5;

export const capacityAlertKey = (f: { host: string; resource: string; mountpoint: string }) => `${f.host}:${f.resource}:${f.mountpoint || '-'}`;

/** What fires now, as the caller passes it: an alert per resource and the severity it fires at. */
export const firingCapacityAlert = (f: { host: string; resource: string; mountpoint: string }, severity: CapacitySeverity) => `${capacityAlertKey(f)}:${severity}`;

function describeDays(days: number): string {
  if (days <= 0) return 'is full now';
  if (days < 1) return `is forecast to be full in ${(days * 24).toFixed(1)} hours`;
  return `is forecast to be full in ${days.toFixed(1)} days`;
}

function describeInterval(f: ForecastInput): string {
  if (!f.fullBetween) return '';
  const { low, high } = f.fullBetween;
  const d = (x: number) => (x < 1 ? `${(x * 24).toFixed(1)} hours` : `${x.toFixed(1)} days`);
  if (high === null) return `; at the soonest in ${d(low)}`;
  return d(low) === d(high) ? '' : `; between ${d(low)} and ${d(high)}`;
}

function describeHorizon(ms: number): string {
  return ms % DAY_MS === 0 ? `${ms / DAY_MS} day${ms === DAY_MS ? '' : 's'}` : `${+(ms / 3_600_000).toFixed(2)} hours`;
}

/**
 * The complete set of capacity alerts that should fire, given the forecasts and what fires
 * now (`firingCapacityAlert` of each firing alert: resource and severity).
 */
export function decideCapacityAlerts(forecasts: readonly ForecastInput[], policy: CapacityAlertPolicy, firing: ReadonlySet<string>): CapacityAlert[] {
  if (!policy.enabled) return [];
  const out: CapacityAlert[] = [];
  const horizons: [CapacitySeverity, number][] = [
    ['critical', policy.critical / DAY_MS],
    ['warning', policy.warning / DAY_MS],
  ];
  for (const f of forecasts) {
    if (!(policy.resources as readonly string[]).includes(f.resource) || f.daysUntilFull === null) continue;
    const days = f.daysUntilFull;
    const severity = horizons.find(([s, h]) => days <= h || (firing.has(firingCapacityAlert(f, s)) && days <= h * CLEAR_MARGIN))?.[0];
    if (!severity) continue;
    const horizon = severity === 'critical' ? policy.critical : policy.warning;
    const what = f.resource === 'filesystem' ? `Filesystem ${f.mountpoint} on ${f.host}` : `Memory on ${f.host}`;
    const used = f.latest === null ? '' : ` (${(f.latest * 100).toFixed(1)} % used now${describeInterval(f)})`;
    out.push({
      key: capacityAlertKey(f),
      labels: {
        alertname: f.resource === 'filesystem' ? 'SightlineFilesystemFullSoon' : 'SightlineMemoryFullSoon',
        host: f.host,
        resource: f.resource,
        ...(f.resource === 'filesystem' ? { mountpoint: f.mountpoint } : {}),
        severity,
      },
      annotations: {
        summary: `${what} is forecast to be full within ${describeHorizon(horizon)}`,
        description: `${what} ${describeDays(days)}${used}, from the seasonal trend of its peaks over the last 30 days.`,
      },
    });
  }
  return out.sort((a, b) => a.key.localeCompare(b.key));
}
