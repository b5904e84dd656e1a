/**
 * @module What counts as downtime of a service, in event time.
 *
 * An incident's outage is the union of its member alerts' own intervals, each
 * [startsAt, min(endsAt ?? now, now)): the alert's event time as the sender stated it,
 * never the time Sightline received it, so late and backfilled alerts count where they
 * happened. A firing alert whose `endsAt` (Alertmanager lease) has passed without a
 * resolve counts until that `endsAt`, as Alertmanager itself would resolve it then.
 * Gaps between member alerts are not downtime. Incidents count when their priority is in
 * the policy's list and they were not cancelled (a cancelled incident was no outage).
 *
 * A service's own downtime is the union of counting incidents, failed availability checks
 * and `AgentDown` of its hosts (each switchable). With dependency propagation it is also
 * down while any (union) or all (intersection) of its direct dependencies are down, each
 * dependency with its own effective downtime, transitively.
 */
import type { IncidentStatus, Priority } from '../domain/incident.js';
import type { DependencyPropagation, DowntimeDefinition, TimeInterval } from '../domain/sla.js';
import { intersectAll, mergeIntervals, unionIntervals } from './intervals.js';

export interface AlertSpan {
  startsAt: number;
  /** Resolve time, or lease end of a firing alert; null when open-ended. */
  endsAt: number | null;
}

export interface IncidentSpan {
  priority: Priority;
  status: IncidentStatus;
  alerts: readonly AlertSpan[];
}

/** The union of member alerts' [startsAt, min(endsAt ?? now, now)). */
export function incidentOutageIntervals(alerts: readonly AlertSpan[], now: number): TimeInterval[] {
  return mergeIntervals(alerts.map((a) => ({ start: a.startsAt, end: Math.min(a.endsAt ?? now, now) })));
}

export interface DowntimeSources {
  incidents: readonly IncidentSpan[];
  /** Intervals during which an agent's availability check of the service failed. */
  failedChecks: readonly TimeInterval[];
  /** Intervals during which `AgentDown` fired for one of the service's hosts. */
  agentDown: readonly TimeInterval[];
}

/** A service's own downtime according to its policy's definition, merged. */
export function serviceOwnDowntime(sources: DowntimeSources, definition: DowntimeDefinition, now: number): TimeInterval[] {
  const incidents = sources.incidents
    .filter((i) => i.status !== 'cancelled' && definition.incidentPriorities.includes(i.priority))
    .map((i) => incidentOutageIntervals(i.alerts, now));
  return unionIntervals(...incidents, definition.availabilityChecks ? sources.failedChecks : [], definition.agentDown ? sources.agentDown : []);
}

/** Own downtime plus the dependencies' downtime: union ("any"), intersection ("all"), or none. */
export function propagateDependencies(own: readonly TimeInterval[], dependencies: readonly (readonly TimeInterval[])[], mode: DependencyPropagation): TimeInterval[] {
  if (mode === 'none' || dependencies.length === 0) return mergeIntervals(own);
  return unionIntervals(own, mode === 'any' ? unionIntervals(...dependencies) : intersectAll(dependencies));
}

export interface ServiceDowntimeNode {
  name: string;
  dependsOn: readonly string[];
  propagation: DependencyPropagation;
  own: readonly TimeInterval[];
}

/**
 * Effective downtime of every service of a catalogue, dependencies propagated
 * transitively. Unknown dependencies are ignored. On a dependency cycle the edge that
 * closes it back to a service already on the path contributes that service's own
 * downtime only; each service in a cycle is computed with itself as the starting point,
 * so the result does not depend on the order of `nodes`.
 */
export function effectiveDowntime(nodes: readonly ServiceDowntimeNode[]): Map<string, TimeInterval[]> {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const done = new Map<string, TimeInterval[]>();
  const visit = (name: string, path: ReadonlySet<string>): TimeInterval[] => {
    const node = byName.get(name) as ServiceDowntimeNode;
    const cached = done.get(name);
    if (cached) return cached;
    if (path.has(name)) return mergeIntervals(node.own);
    const inner = new Set(path).add(name);
    const deps = node.dependsOn.filter((d) => byName.has(d)).map((d) => visit(d, inner));
    const result = propagateDependencies(node.own, deps, node.propagation);
    // Results computed while a cycle is open depend on the entry point; cache only acyclic ones.
    if (!node.dependsOn.some((d) => inner.has(d) || (byName.has(d) && !done.has(d)))) done.set(name, result);
    return result;
  };
  const out = new Map<string, TimeInterval[]>();
  for (const n of [...nodes].sort((a, b) => a.name.localeCompare(b.name))) out.set(n.name, visit(n.name, new Set()));
  return out;
}
