/**
 * @module Incident verbs for people: list, read, lifecycle actions, notes, edits, stats.
 */
import { nextStatus, priorityOf, PRIORITIES, type IncidentAction, type IncidentStatus, type Priority } from '../domain/incident.js';
import { fail, ok, type Result } from '../domain/result.js';
import { alertsOfIncident, listAlerts, type AlertFilter, type AlertRecord } from '../db/alerts-repo.js';
import type { DatabaseHandle } from '../db/connection.js';
import {
  appendTimeline,
  findIncident,
  listIncidents,
  responseTimes,
  saveIncident,
  timelineOf,
  type IncidentFilter,
  type IncidentRecord,
  type TimelineEntry,
} from '../db/incidents-repo.js';
import type { Clock } from './clock.js';

export interface IncidentDeps {
  handle: DatabaseHandle;
  clock: Clock;
}

export interface IncidentPage {
  items: IncidentRecord[];
  nextCursor: string | null;
}

export async function listIncidentPage(deps: IncidentDeps, filter: Omit<IncidentFilter, 'beforeId'> & { cursor?: string }): Promise<Result<IncidentPage>> {
  let beforeId: number | undefined;
  if (filter.cursor !== undefined) {
    const decoded = Number(Buffer.from(filter.cursor, 'base64url').toString('utf8'));
    if (!Number.isSafeInteger(decoded) || decoded <= 0) return fail('VALIDATION', 'cursor is not valid', { field: 'cursor' });
    beforeId = decoded;
  }
  const items = await listIncidents(deps.handle.db, { ...filter, beforeId, limit: filter.limit + 1 });
  const more = items.length > filter.limit;
  const page = more ? items.slice(0, filter.limit) : items;
  const last = page[page.length - 1];
  return ok({ items: page, nextCursor: more && last ? Buffer.from(String(last.id)).toString('base64url') : null });
}

export interface IncidentDetail {
  incident: IncidentRecord;
  alerts: AlertRecord[];
  timeline: TimelineEntry[];
}

export async function getIncidentDetail(deps: IncidentDeps, id: number): Promise<Result<IncidentDetail>> {
  const db = deps.handle.db;
  const incident = await findIncident(db, id);
  if (!incident) return fail('NOT_FOUND', `incident ${id} not found`);
  const [alerts, timeline] = await Promise.all([alertsOfIncident(db, id), timelineOf(db, id)]);
  return ok({ incident, alerts, timeline });
}

const ACTION_VERBS: Record<IncidentAction, string> = {
  acknowledge: 'Acknowledged',
  hold: 'Put on hold',
  resume: 'Resumed',
  resolve: 'Resolved',
  reopen: 'Reopened',
  close: 'Closed',
  cancel: 'Cancelled',
};

export async function transitionIncident(
  deps: IncidentDeps,
  id: number,
  action: IncidentAction,
  actor: string,
  note: string | null,
): Promise<Result<IncidentRecord>> {
  const lock = deps.handle.dialect === 'postgres';
  return deps.handle.db.transaction().execute(async (trx): Promise<Result<IncidentRecord>> => {
    const incident = await findIncident(trx, id, lock);
    if (!incident) return fail('NOT_FOUND', `incident ${id} not found`);
    const to = nextStatus(incident.status, action, incident.wasAcknowledged);
    if (!to) return fail('CONFLICT', `cannot ${action} an incident that is ${incident.status.replace('_', ' ')}`, { status: incident.status, action });
    const now = deps.clock.now();
    incident.status = to;
    incident.updatedAt = now;
    if (action === 'acknowledge') {
      incident.acknowledgedAt = now;
      incident.wasAcknowledged = true;
    }
    if (to === 'resolved') {
      incident.resolvedAt = now;
      incident.resolution = 'manual';
    }
    if (action === 'reopen') {
      incident.resolvedAt = null;
      incident.resolution = null;
    }
    if (to === 'closed') incident.closedAt = now;
    await saveIncident(trx, incident);
    await appendTimeline(trx, {
      incidentId: id,
      at: now,
      kind: to,
      actor,
      message: note ? `${ACTION_VERBS[action]} by ${actor}: ${note}` : `${ACTION_VERBS[action]} by ${actor}`,
      data: null,
    });
    return ok(incident);
  });
}

export async function addIncidentNote(deps: IncidentDeps, id: number, actor: string, text: string): Promise<Result<TimelineEntry>> {
  const incident = await findIncident(deps.handle.db, id);
  if (!incident) return fail('NOT_FOUND', `incident ${id} not found`);
  const entry = { incidentId: id, at: deps.clock.now(), kind: 'note', actor, message: text, data: null };
  await appendTimeline(deps.handle.db, entry);
  return ok({ ...entry, id: 0 });
}

export interface IncidentPatch {
  priority?: Priority | null;
  assignee?: string | null;
}

/** `priority: null` removes a manual override and returns to the impact × urgency matrix. */
export async function updateIncident(deps: IncidentDeps, id: number, actor: string, patch: IncidentPatch): Promise<Result<IncidentRecord>> {
  const lock = deps.handle.dialect === 'postgres';
  return deps.handle.db.transaction().execute(async (trx): Promise<Result<IncidentRecord>> => {
    const incident = await findIncident(trx, id, lock);
    if (!incident) return fail('NOT_FOUND', `incident ${id} not found`);
    const now = deps.clock.now();
    const changes: string[] = [];
    if (patch.priority !== undefined) {
      const before = incident.priority;
      incident.priorityOverridden = patch.priority !== null;
      incident.priority = patch.priority ?? priorityOf(incident.impact, incident.urgency);
      changes.push(`priority ${before} → ${incident.priority}${patch.priority === null ? ' (matrix)' : ''}`);
    }
    if (patch.assignee !== undefined) {
      incident.assignee = patch.assignee;
      changes.push(patch.assignee ? `assigned to ${patch.assignee}` : 'unassigned');
    }
    incident.updatedAt = now;
    await saveIncident(trx, incident);
    if (changes.length) await appendTimeline(trx, { incidentId: id, at: now, kind: 'updated', actor, message: `${changes.join('; ')} by ${actor}`, data: patch });
    return ok(incident);
  });
}

export interface ResponseStats {
  incidents: number;
  mttaSeconds: number | null;
  mttrSeconds: number | null;
  acknowledged: number;
  resolved: number;
}

export interface IncidentStats {
  from: number;
  to: number;
  overall: ResponseStats;
  byService: (ResponseStats & { service: string | null })[];
  byPriority: (ResponseStats & { priority: string })[];
}

function summarise(rows: { openedAt: number; acknowledgedAt: number | null; resolvedAt: number | null }[]): ResponseStats {
  const acks = rows.filter((r) => r.acknowledgedAt !== null).map((r) => Math.max(0, (r.acknowledgedAt as number) - r.openedAt));
  const fixes = rows.filter((r) => r.resolvedAt !== null).map((r) => Math.max(0, (r.resolvedAt as number) - r.openedAt));
  const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length / 1000 : null);
  return { incidents: rows.length, mttaSeconds: mean(acks), mttrSeconds: mean(fixes), acknowledged: acks.length, resolved: fixes.length };
}

/** MTTA (open → acknowledge) and MTTR (open → resolve) over incidents opened in [from, to). */
export async function computeIncidentStats(deps: IncidentDeps, from: number, to: number): Promise<IncidentStats> {
  const rows = await responseTimes(deps.handle.db, from, to);
  const by = <K extends string | null>(key: (r: (typeof rows)[number]) => K) => {
    const groups = new Map<K, typeof rows>();
    for (const r of rows) {
      const group = groups.get(key(r));
      if (group) group.push(r);
      else groups.set(key(r), [r]);
    }
    return [...groups.entries()];
  };
  return {
    from,
    to,
    overall: summarise(rows),
    byService: by((r) => r.service)
      .sort(([a], [b]) => String(a).localeCompare(String(b)))
      .map(([service, rs]) => ({ service, ...summarise(rs) })),
    byPriority: by((r) => r.priority)
      .sort(([a], [b]) => PRIORITIES.indexOf(a as Priority) - PRIORITIES.indexOf(b as Priority))
      .map(([priority, rs]) => ({ priority, ...summarise(rs) })),
  };
}

export const STATUS_FILTERS: readonly IncidentStatus[] = ['open', 'acknowledged', 'on_hold', 'resolved', 'closed', 'cancelled'];

export function listAlertsFiltered(deps: { handle: DatabaseHandle }, filter: AlertFilter): Promise<AlertRecord[]> {
  return listAlerts(deps.handle.db, filter);
}
