/**
 * @module Capacity alerts as incidents: on every pass the forecasts of every host are turned
 * into the set of capacity alerts that should fire, and `reconcileInternalAlerts` raises the
 * new ones, re-raises those whose severity changed (same fingerprint, same incident) and
 * resolves the rest (source `sightline`, family `capacity`).
 */
import { decideCapacityAlerts, firingCapacityAlert, type CapacitySeverity, type ForecastInput } from '../capacity/alerts.js';
import { latestInternalEvents } from '../db/internal-alerts-repo.js';
import type { CapacityAlertPolicy } from '../domain/capacity-config.js';
import { evaluateCapacity } from './capacity.js';
import { reconcileInternalAlerts, type InternalAlertDeps, type ReconcileResult } from './internal-alerts.js';

export const CAPACITY_ALERT_FAMILY = 'capacity';

export async function raiseCapacityAlerts(deps: InternalAlertDeps, policy: CapacityAlertPolicy): Promise<ReconcileResult & { firing: number }> {
  const forecasts: ForecastInput[] = (await evaluateCapacity(deps, { backtest: false })).flatMap((h) =>
    h.resources.map((r) => ({ host: r.host, resource: r.resource, mountpoint: r.mountpoint, daysUntilFull: r.forecast?.daysUntilFull ?? null, fullBetween: r.forecast?.fullBetween ?? null, latest: r.forecast?.latest ?? null })),
  );
  // Read from the labels, not the fingerprint: alerts raised when each severity had a
  // fingerprint of its own keep their hysteresis too (and are resolved by the reconcile).
  const firing = new Set(
    (await latestInternalEvents(deps.handle.db, CAPACITY_ALERT_FAMILY))
      .filter((e) => e.status === 'firing')
      .map((e) => firingCapacityAlert({ host: e.labels.host ?? '', resource: e.labels.resource ?? '', mountpoint: e.labels.mountpoint ?? '' }, e.labels.severity as CapacitySeverity)),
  );
  const desired = decideCapacityAlerts(forecasts, policy, firing);
  const outcome = await reconcileInternalAlerts(deps, CAPACITY_ALERT_FAMILY, desired);
  return { ...outcome, firing: desired.length };
}
