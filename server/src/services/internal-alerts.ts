/**
 * @module Sightline's own alerts (SLA burn rates, capacity forecasts, …) enter through the
 * same durable event log as everyone else's, with source `sightline`, so they are
 * correlated, silenced, inhibited and notified exactly like alerts from a sender.
 *
 * A producer describes, on every evaluation, the complete set of alerts of its family that
 * should fire now; `reconcileInternalAlerts` appends a firing event for each new one and a
 * resolved event for each that no longer fires. Re-running with the same set does nothing.
 *
 * An alert that fires on with other labels (a capacity forecast escalating from warning to
 * critical) is re-raised under the same fingerprint: resolved and firing again at the same
 * instant. The correlator puts the new episode in the alert's own incident, whose priority
 * follows the new severity, so one fault stays one incident. Annotations alone (a forecast
 * moving a little) re-raise nothing.
 */
import type { AlertEvent, Labels } from '../domain/alert.js';
import { appendAlertEvents } from '../db/alert-events-repo.js';
import type { DatabaseHandle } from '../db/connection.js';
import { latestInternalEvents } from '../db/internal-alerts-repo.js';
import type { Clock } from './clock.js';
import type { Correlator } from './correlator.js';

export interface DesiredAlert {
  /** Unique within the family; becomes the fingerprint `<family>:<key>`. */
  key: string;
  labels: Labels;
  annotations: Labels;
}

export interface InternalAlertDeps {
  handle: DatabaseHandle;
  clock: Clock;
  correlator: Pick<Correlator, 'kick'>;
}

export interface ReconcileResult {
  raised: number;
  resolved: number;
}

function sameLabels(a: Labels, b: Labels): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && a[k] === b[k]);
}

/** Re-raised alerts (labels changed) count as raised, not resolved: they go on firing. */
export async function reconcileInternalAlerts(deps: InternalAlertDeps, family: string, desired: readonly DesiredAlert[]): Promise<ReconcileResult> {
  if (!/^[a-z][a-z0-9-]*$/.test(family)) throw new Error(`invalid internal alert family ${JSON.stringify(family)}`);
  const now = deps.clock.now();
  const wanted = new Map(desired.map((d) => [`${family}:${d.key}`, d]));
  const events: AlertEvent[] = [];
  const outcome = await deps.handle.db.transaction().execute(async (trx) => {
    const latest = new Map((await latestInternalEvents(trx, family)).map((e) => [e.fingerprint, e]));
    let raised = 0;
    let resolved = 0;
    for (const [fingerprint, d] of wanted) {
      const current = latest.get(fingerprint);
      if (current?.status === 'firing') {
        if (sameLabels(current.labels, d.labels)) continue;
        events.push({ source: 'sightline', fingerprint, status: 'resolved', labels: current.labels, annotations: current.annotations, startsAt: current.startsAt, endsAt: now, generatorUrl: null });
      }
      events.push({ source: 'sightline', fingerprint, status: 'firing', labels: d.labels, annotations: d.annotations, startsAt: now, endsAt: null, generatorUrl: null });
      raised++;
    }
    for (const [fingerprint, e] of latest) {
      if (e.status !== 'firing' || wanted.has(fingerprint)) continue;
      events.push({ source: 'sightline', fingerprint, status: 'resolved', labels: e.labels, annotations: e.annotations, startsAt: e.startsAt, endsAt: now, generatorUrl: null });
      resolved++;
    }
    await appendAlertEvents(trx, events, now);
    return { raised, resolved };
  });
  if (events.length > 0) deps.correlator.kick();
  return outcome;
}
