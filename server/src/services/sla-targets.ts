/**
 * @module Response and resolution targets of incidents. The targets of an incident are
 * those of its primary service's SLA policy for its current priority, else the global ones
 * (`sla.targets` in the configuration). Response runs from opening (the first alert's
 * event time) to acknowledge, resolution to resolve; both pause while the incident is on
 * hold (from its timeline) and run on the target's business calendar.
 */
import type { Priority } from '../domain/incident.js';
import { fail, ok, type Result } from '../domain/result.js';
import type { ResponseResolutionTarget } from '../domain/sla.js';
import { findTargetIncident, lifecycleActions, type TargetIncident } from '../db/sla-repo.js';
import type { DatabaseHandle } from '../db/connection.js';
import { evaluateIncidentTargets } from '../sla/evaluate.js';
import { holdPeriods } from '../sla/holds.js';
import type { TargetEvaluation } from '../sla/targets.js';
import type { Catalogue } from './catalogue.js';
import type { Clock } from './clock.js';

export type TargetsByPriority = Partial<Record<Priority, ResponseResolutionTarget>>;

export interface SlaTargetDeps {
  handle: DatabaseHandle;
  clock: Clock;
  catalogue: Pick<Catalogue, 'list'>;
  /** Targets for incidents whose service has none of its own. */
  globalTargets: TargetsByPriority;
}

export interface IncidentSla {
  incident: TargetIncident;
  /** Where the targets come from: the service's policy or the global configuration. */
  source: 'service' | 'global';
  target: ResponseResolutionTarget;
  holds: { start: number; end: number | null }[];
  response: TargetEvaluation | null;
  resolution: TargetEvaluation | null;
}

/** Each incident's targets at `clock.now()`; incidents without any agreed target, and cancelled ones, are left out. */
export async function evaluateIncidentSlas(deps: SlaTargetDeps, incidents: readonly TargetIncident[]): Promise<IncidentSla[]> {
  if (incidents.length === 0) return [];
  const services = new Map((await deps.catalogue.list()).map((s) => [s.name, s]));
  const chosen = incidents.flatMap((incident) => {
    // A cancelled incident was no incident: nothing was owed.
    if (incident.status === 'cancelled') return [];
    const own = incident.service ? services.get(incident.service)?.sla?.targets[incident.priority] : undefined;
    const target = own ?? deps.globalTargets[incident.priority];
    return target ? [{ incident, target, source: own ? ('service' as const) : ('global' as const) }] : [];
  });
  if (chosen.length === 0) return [];
  const actions = await lifecycleActions(deps.handle.db, chosen.map((c) => c.incident.id));
  const now = deps.clock.now();
  return chosen.map(({ incident, target, source }) => {
    const holds = holdPeriods(actions.get(incident.id) ?? []);
    const evaluated = evaluateIncidentTargets(
      { targets: { [incident.priority]: target } },
      { priority: incident.priority, openedAt: incident.openedAt, acknowledgedAt: incident.acknowledgedAt, resolvedAt: incident.resolvedAt, holds },
      now,
    );
    return { incident, source, target, holds, ...evaluated };
  });
}

/** One incident's targets; null when none is agreed for it. */
export async function getIncidentSla(deps: SlaTargetDeps, id: number): Promise<Result<IncidentSla | null>> {
  const incident = await findTargetIncident(deps.handle.db, id);
  if (!incident) return fail('NOT_FOUND', `incident ${id} not found`);
  const [sla] = await evaluateIncidentSlas(deps, [incident]);
  return ok(sla ?? null);
}
