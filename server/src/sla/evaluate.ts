/**
 * @module One service's SLA under its policy: the current period (availability, error
 * budget, burn-rate alerts), a report over past periods, and an incident's response and
 * resolution targets. These compose the other sla/ modules; the caller supplies the
 * service's effective downtime (see outages.ts) and its maintenance windows.
 */
import type { Priority } from '../domain/incident.js';
import type { SlaPolicy, TimeInterval } from '../domain/sla.js';
import { computeAvailability, type AvailabilityReport } from './availability.js';
import { evaluateBurnRates, type BurnRateEvaluation } from './burn-rate.js';
import { periodContaining, periodsBetween } from './periods.js';
import { evaluateTarget, type TargetEvaluation } from './targets.js';

export interface ServiceSlaInput {
  policy: SlaPolicy;
  /** Effective downtime of the service, reaching back to the earliest period asked for and at least 3 days before `now`. */
  outages: readonly TimeInterval[];
  /** Maintenance windows of the service; ignored when the policy does not exclude them. */
  maintenance: readonly TimeInterval[];
  now: number;
}

export interface CurrentSla {
  availability: AvailabilityReport;
  burn: BurnRateEvaluation;
}

function availabilityOf(input: ServiceSlaInput, period: TimeInterval): AvailabilityReport {
  return computeAvailability({
    period,
    objectivePpm: input.policy.objectivePpm,
    serviceCalendar: input.policy.serviceCalendar,
    outages: input.outages,
    maintenance: input.policy.excludeMaintenance ? input.maintenance : [],
    asOf: input.now,
  });
}

/** The period containing `now`, measured up to `now`; burn thresholds scale with that period's length. */
export function evaluateCurrentSla(input: ServiceSlaInput): CurrentSla {
  const period = periodContaining(input.policy.period, input.now);
  const burn = evaluateBurnRates({
    objectivePpm: input.policy.objectivePpm,
    periodMs: period.end - period.start,
    outages: input.outages,
    serviceCalendar: input.policy.serviceCalendar,
    maintenance: input.policy.excludeMaintenance ? input.maintenance : [],
    now: input.now,
  });
  return { availability: availabilityOf(input, period), burn };
}

/** Every period overlapping [from, to), oldest first; a period still running is measured up to `now`. */
export function reportSlaPeriods(input: ServiceSlaInput, from: number, to: number): AvailabilityReport[] {
  return periodsBetween(input.policy.period, from, to).map((period) => availabilityOf(input, period));
}

export interface IncidentClock {
  priority: Priority;
  openedAt: number;
  acknowledgedAt: number | null;
  resolvedAt: number | null;
  /** Hold periods; `end: null` while still on hold. */
  holds: readonly { start: number; end: number | null }[];
}

export interface IncidentTargets {
  /** Null when the policy agrees no response target for this priority. */
  response: TargetEvaluation | null;
  resolution: TargetEvaluation | null;
}

/**
 * Response runs from opening to acknowledge (or to resolve, when resolved without an
 * acknowledge); resolution from opening to resolve. Both pause while on hold.
 */
export function evaluateIncidentTargets(policy: Pick<SlaPolicy, 'targets'>, incident: IncidentClock, now: number): IncidentTargets {
  const target = policy.targets[incident.priority];
  if (!target) return { response: null, resolution: null };
  const clock = (targetMs: number | null, stoppedAt: number | null) =>
    targetMs === null ? null : evaluateTarget({ calendar: target.calendar, startedAt: incident.openedAt, targetMs, stoppedAt, holds: incident.holds }, now);
  const responded = incident.acknowledgedAt ?? incident.resolvedAt;
  return { response: clock(target.respondMs, responded), resolution: clock(target.resolveMs, incident.resolvedAt) };
}
