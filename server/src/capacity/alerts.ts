/**
 * @module Capacity alerts: which forecasts should fire now. A resource forecast to be full
 * within the critical horizon (default 24 h) is critical, within the warning horizon
 * (default 7 days) a warning; only the more severe of the two fires, so an escalation
 * resolves the warning and raises the critical alert (a fingerprint of its own: days after
 * the warning it opens a new incident of higher priority, as any alert past the join window).
 *
 * Forecasts move a little with every pass. An alert already firing stays until its
 * forecast is 10 % beyond its horizon (or gone), so a forecast hovering at the edge does
 * not flap. Pure: the caller says what fires now.
 */
import type { Labels } from '../domain/alert.js';
import type { CapacityAlertPolicy } from '../domain/capacity-config.js';
import type { CapacityResource } from '../domain/capacity.js';

export interface ForecastInput {
  host: string;
  resource: CapacityResource;
  mountpoint: string;
  daysUntilFull: number | null;
  latest: number | null;
}

export interface CapacityAlert {
  /** Unique per host, resource, mount point and severity. */
  key: string;
  labels: Labels;
  annotations: Labels;
}

export type CapacitySeverity = 'warning' | 'critical';

const DAY_MS = 86_400_000;
/** How far past its horizon a firing alert's forecast must move before it resolves. */
export const CLEAR_MARGIN = 1.1;

export const capacityAlertKey = (f: { host: string; resource: string; mountpoint: string }, severity: CapacitySeverity) =>
  `${f.host}:${f.resource}:${f.mountpoint || '-'}:${severity}`;

function describeDays(days: number): string {
  if (days <= 0) return 'is full now';
  if (days < 1) return `is forecast to be full in ${(days * 24).toFixed(1)} hours`;
  return `is forecast to be full in ${days.toFixed(1)} days`;
}

function describeHorizon(ms: number): string {
  return ms % DAY_MS === 0 ? `${ms / DAY_MS} day${ms === DAY_MS ? '' : 's'}` : `${+(ms / 3_600_000).toFixed(2)} hours`;
}

/** The complete set of capacity alerts that should fire, given the forecasts and what fires now. */
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
    const severity = horizons.find(([s, h]) => days <= h || (firing.has(capacityAlertKey(f, s)) && days <= h * CLEAR_MARGIN))?.[0];
    if (!severity) continue;
    const horizon = severity === 'critical' ? policy.critical : policy.warning;
    const what = f.resource === 'filesystem' ? `Filesystem ${f.mountpoint} on ${f.host}` : `Memory on ${f.host}`;
    const used = f.latest === null ? '' : ` (${(f.latest * 100).toFixed(1)} % used now)`;
    out.push({
      key: capacityAlertKey(f, severity),
      labels: {
        alertname: f.resource === 'filesystem' ? 'SightlineFilesystemFullSoon' : 'SightlineMemoryFullSoon',
        host: f.host,
        resource: f.resource,
        ...(f.resource === 'filesystem' ? { mountpoint: f.mountpoint } : {}),
        severity,
      },
      annotations: {
        summary: `${what} is forecast to be full within ${describeHorizon(horizon)}`,
        description: `${what} ${describeDays(days)}${used}, from the trend of its daily peaks over the last 7 and 30 days.`,
      },
    });
  }
  return out.sort((a, b) => a.key.localeCompare(b.key));
}
