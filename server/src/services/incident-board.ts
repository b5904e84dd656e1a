/**
 * @module What the web UI shows around incidents beyond the incident verbs: counts of
 * active incidents per priority, how far correlation is behind, and an incident's response
 * and resolution clocks under its service's SLA policy (holds taken from the timeline).
 */
import type { IncidentStatus, Priority } from '../domain/incident.js';
import { countPendingEvents, oldestPendingReceivedAt } from '../db/alert-events-repo.js';
import { countOpenIncidentsByPriority, type IncidentRecord, type TimelineEntry } from '../db/incidents-repo.js';
import { evaluateIncidentTargets, type IncidentTargets } from '../sla/evaluate.js';
import type { Catalogue } from './catalogue.js';
import type { IncidentDeps } from './incidents.js';

/** How far correlation is behind ingest, when it is noticeably: the incident list is then not the whole picture. */
export interface CorrelationLag {
  /** Alerts received and stored but not yet applied to incidents. */
  pending: number;
  oldestReceivedAt: number;
}

/** Below this the correlator is simply busy with the last few requests. */
export const CORRELATION_LAG_NOTICE_MS = 10_000;

/** The correlation backlog when its oldest event waits longer than CORRELATION_LAG_NOTICE_MS; else null. */
export async function correlationLag(deps: IncidentDeps): Promise<CorrelationLag | null> {
  const oldest = await oldestPendingReceivedAt(deps.handle.db);
  if (oldest === null || deps.clock.now() - oldest < CORRELATION_LAG_NOTICE_MS) return null;
  return { pending: await countPendingEvents(deps.handle.db), oldestReceivedAt: oldest };
}

export async function countActiveIncidentsByPriority(deps: IncidentDeps): Promise<Map<Priority, number>> {
  const rows = await countOpenIncidentsByPriority(deps.handle.db);
  return new Map(rows.map((r) => [r.priority as Priority, r.count]));
}

/** Hold periods from the timeline: a hold starts at an `on_hold` entry and ends at the next status change. */
export function holdsFromTimeline(timeline: readonly TimelineEntry[]): { start: number; end: number | null }[] {
  const STATUS_KINDS: ReadonlySet<string> = new Set<IncidentStatus>(['open', 'acknowledged', 'on_hold', 'resolved', 'closed', 'cancelled']);
  const holds: { start: number; end: number | null }[] = [];
  let open: { start: number; end: number | null } | null = null;
  for (const entry of [...timeline].sort((a, b) => a.at - b.at || a.id - b.id)) {
    if (!STATUS_KINDS.has(entry.kind)) continue;
    if (entry.kind === 'on_hold') {
      if (!open) holds.push((open = { start: entry.at, end: null }));
    } else if (open) {
      open.end = entry.at;
      open = null;
    }
  }
  return holds;
}

export interface IncidentSlaTimers extends IncidentTargets {
  service: string;
}

/** The incident's targets under its service's policy; null when the service has none. */
export async function incidentSlaTimers(
  deps: IncidentDeps & { catalogue: Pick<Catalogue, 'list'> },
  incident: IncidentRecord,
  timeline: readonly TimelineEntry[],
): Promise<IncidentSlaTimers | null> {
  if (!incident.service) return null;
  const service = (await deps.catalogue.list()).find((s) => s.name === incident.service);
  if (!service?.sla) return null;
  const targets = evaluateIncidentTargets(
    service.sla,
    { priority: incident.priority, openedAt: incident.openedAt, acknowledgedAt: incident.acknowledgedAt, resolvedAt: incident.resolvedAt, holds: holdsFromTimeline(timeline) },
    deps.clock.now(),
  );
  return { service: service.name, ...targets };
}
