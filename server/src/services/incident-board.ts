/**
 * @module What the web UI shows around incidents beyond the incident verbs: counts of
 * active incidents per priority and how far correlation is behind. (An incident's response
 * and resolution clocks come from `sla-targets.ts`, as the API's do.)
 */
import type { Priority } from '../domain/incident.js';
import { countPendingEvents, oldestPendingReceivedAt } from '../db/alert-events-repo.js';
import { countOpenIncidentsByPriority } from '../db/incidents-repo.js';
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
