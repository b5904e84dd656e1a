/**
 * @module Incident verbs for people: list, read, lifecycle actions, notes, edits, stats.
 */
import { severityOf } from '../domain/alert.js';
import { applyPersonAction } from '../correlate/people.js';
import type { IncidentPatch, PersonAction } from '../domain/incident-action.js';
import { higherLevel, INCIDENT_STATUSES, nextStatus, priorityOf, PRIORITIES, urgencyOf, type IncidentAction, type IncidentStatus, type Priority } from '../domain/incident.js';
import { fail, ok, type Result } from '../domain/result.js';
import { alertsOfIncident, alertsOfIncidentPage, firingAlertsOfIncident, countAlertsOfIncident, countIncidentAlerts, listAlerts, moveAlerts, pastEpisodeKey, pastEpisodesOf, type AlertFilter, type AlertRecord, type PastEpisode } from '../db/alerts-repo.js';
import { readLogCursor } from '../db/alert-events-repo.js';
import { noteCorrelationInput } from '../db/correlation-inputs-repo.js';
import { recordIncidentAction } from '../db/incident-actions-repo.js';
import type { Transaction } from 'kysely';
import type { DatabaseHandle } from '../db/connection.js';
import type { Database } from '../db/schema.js';
import {
  addIncidentMembership,
  appendTimeline,
  findIncident,
  insertIncident,
  servicesOfIncident,
  listIncidents,
  responseTimes,
  saveIncident,
  countTimelineOf,
  joinEntriesFor,
  timelineOfKinds,
  timelinePageOf,
  type IncidentFilter,
  type ListPosition,
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

/** Alerts and timeline entries in one answer unless asked for fewer: a storm incident holds tens of thousands of each. */
export const DETAIL_ALERTS_LIMIT = 500;
export const DETAIL_TIMELINE_LIMIT = 1000;

/** A page of an incident's alerts or timeline: where to go on from (a previous answer's `nextCursor`) and how many. */
export interface DetailPage {
  cursor?: string | null;
  limit?: number;
}

/** A page of the timeline, which can also be read newest first. */
export interface TimelinePage extends DetailPage {
  newestFirst?: boolean;
}

export interface Paged<T> {
  items: T[];
  total: number;
  /** Opaque; pass it back as `cursor` for the next page. Null on the last page. */
  nextCursor: string | null;
}

export interface IncidentDetail {
  incident: IncidentRecord;
  alerts: Paged<AlertRecord>;
  timeline: Paged<TimelineEntry>;
}

const encodePosition = (p: ListPosition) => Buffer.from(`${p.at}.${p.id}`).toString('base64url');

function decodePosition(cursor: string | null | undefined): Result<ListPosition | null> {
  if (cursor === undefined || cursor === null || cursor === '') return ok(null);
  const m = /^(-?\d{1,16})\.(\d{1,16})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  const at = Number(m?.[1]);
  const id = Number(m?.[2]);
  if (!m || !Number.isSafeInteger(at) || !Number.isSafeInteger(id) || id <= 0) return fail('VALIDATION', 'cursor is not valid', { field: 'cursor' });
  return ok({ at, id });
}

/** One more row than asked tells whether there is a next page. */
function paged<T>(rows: T[], limit: number, total: number, position: (row: T) => ListPosition): Paged<T> {
  const more = rows.length > limit;
  const items = more ? rows.slice(0, limit) : rows;
  const last = items[items.length - 1];
  return { items, total, nextCursor: more && last ? encodePosition(position(last)) : null };
}

async function alertsPage(deps: IncidentDeps, id: number, page: DetailPage = {}): Promise<Result<Paged<AlertRecord>>> {
  const after = decodePosition(page.cursor);
  if (!after.ok) return after;
  const limit = page.limit ?? DETAIL_ALERTS_LIMIT;
  const db = deps.handle.db;
  const [rows, total] = await Promise.all([alertsOfIncidentPage(db, id, { after: after.value, limit: limit + 1 }), countIncidentAlerts(db, id)]);
  return ok(paged(rows, limit, total, (a) => ({ at: a.startsAt, id: a.id })));
}

async function timelinePage(deps: IncidentDeps, id: number, page: TimelinePage = {}): Promise<Result<Paged<TimelineEntry>>> {
  const after = decodePosition(page.cursor);
  if (!after.ok) return after;
  const limit = page.limit ?? DETAIL_TIMELINE_LIMIT;
  const db = deps.handle.db;
  const [rows, total] = await Promise.all([
    timelinePageOf(db, id, { after: after.value, limit: limit + 1, newestFirst: page.newestFirst }),
    countTimelineOf(db, id),
  ]);
  return ok(paged(rows, limit, total, (t) => ({ at: t.at, id: t.id })));
}

export async function getIncidentDetail(deps: IncidentDeps, id: number, pages: { alerts?: DetailPage; timeline?: TimelinePage } = {}): Promise<Result<IncidentDetail>> {
  const incident = await findIncident(deps.handle.db, id);
  if (!incident) return fail('NOT_FOUND', `incident ${id} not found`);
  const [alerts, timeline] = await Promise.all([alertsPage(deps, id, pages.alerts), timelinePage(deps, id, pages.timeline)]);
  if (!alerts.ok) return alerts;
  if (!timeline.ok) return timeline;
  return ok({ incident, alerts: alerts.value, timeline: timeline.value });
}

/** An incident's alerts in start order, a page at a time; NOT_FOUND for an unknown incident. */
export async function incidentAlertsPage(deps: IncidentDeps, id: number, page: DetailPage = {}): Promise<Result<Paged<AlertRecord>>> {
  if (!(await findIncident(deps.handle.db, id))) return fail('NOT_FOUND', `incident ${id} not found`);
  return alertsPage(deps, id, page);
}

/** An incident's timeline in event-time order (oldest first unless `newestFirst`), a page at a time; NOT_FOUND for an unknown incident. */
export async function incidentTimelinePage(deps: IncidentDeps, id: number, page: TimelinePage = {}): Promise<Result<Paged<TimelineEntry>>> {
  if (!(await findIncident(deps.handle.db, id))) return fail('NOT_FOUND', `incident ${id} not found`);
  return timelinePage(deps, id, page);
}

/** The entries that say why these alerts of the incident joined (`opened`, `alert_joined`), oldest first. */
export async function incidentJoinEntries(deps: IncidentDeps, id: number, alerts: readonly Pick<AlertRecord, 'fingerprint'>[]): Promise<TimelineEntry[]> {
  return joinEntriesFor(deps.handle.db, deps.handle.dialect, id, alerts.map((a) => a.fingerprint));
}

/** The incident's status changes, oldest first (for its SLA clocks' holds). */
export async function incidentStatusEntries(deps: IncidentDeps, id: number): Promise<TimelineEntry[]> {
  return timelineOfKinds(deps.handle.db, id, INCIDENT_STATUSES);
}

/**
 * A person's action on one incident, in one transaction: applied through the pure
 * `applyPersonAction` (the one a rebuild applies it through again) and recorded in the log of
 * people's actions at the correlator's position in the alert log.
 */
/**
 * Applies a person's action in one transaction and logs it. `check` may look at stored facts
 * first (within the transaction) and refuse, or return the action with those facts in it, so
 * the log holds what a rebuild needs to apply it the same way.
 */
async function actOnIncident(
  deps: IncidentDeps,
  id: number,
  given: PersonAction,
  actor: string,
  check?: (trx: Transaction<Database>, incident: IncidentRecord) => Promise<Result<PersonAction>>,
): Promise<Result<{ incident: IncidentRecord; entry: Omit<TimelineEntry, 'id'> | null }>> {
  const lock = deps.handle.dialect === 'postgres';
  return deps.handle.db.transaction().execute(async (trx) => {
    // First: the correlator's batches and this change never interleave (see noteCorrelationInput),
    // so the cursor read next is where the action falls in the log.
    await noteCorrelationInput(trx);
    const incident = await findIncident(trx, id, lock);
    if (!incident) return fail('NOT_FOUND', `incident ${id} not found`);
    let action = given;
    if (check) {
      // A refused action changes nothing, so it is not logged either; an impossible one is refused first.
      if (given.kind === 'transition' && !nextStatus(incident.status, given.action, incident.wasAcknowledged)) {
        return fail('CONFLICT', `cannot ${given.action} an incident that is ${incident.status.replace('_', ' ')}`, { status: incident.status, action: given.action });
      }
      const checked = await check(trx, incident);
      if (!checked.ok) return checked;
      action = checked.value;
    }
    const at = deps.clock.now();
    const applied = applyPersonAction(incident, action, actor, at);
    if (!applied.ok) return applied;
    await saveIncident(trx, incident);
    if (applied.value.entry) await appendTimeline(trx, applied.value.entry);
    await recordIncidentAction(trx, { afterEventId: (await readLogCursor(trx)).id, at, actor, incidentId: id, groupKey: incident.groupKey, action });
    return ok({ incident, entry: applied.value.entry });
  });
}

/** How many of the alerts still firing a refused resolve names. */
const FIRING_NAMED = 20;

/** An alert named by a refused resolve. */
export interface FiringAlertRef {
  id: number;
  source: string;
  fingerprint: string;
  title: string;
  service: string | null;
  host: string | null;
}

const listTitles = (alerts: readonly FiringAlertRef[], total: number) => alerts.slice(0, 3).map((a) => (a.service ? `${a.title} (${a.service})` : a.title)).join(', ') + (total > 3 ? `, … ${total - 3} more` : '');

/**
 * A lifecycle action by a person. A resolve while member alerts still fire would hide the
 * fault: it is refused (CONFLICT, `details.firing` naming them) unless `force` is given,
 * and a forced one says on the timeline how many still fired (the correlator reopens the
 * incident when one of them is sent again still firing, or fires again).
 */
export async function transitionIncident(
  deps: IncidentDeps,
  id: number,
  action: IncidentAction,
  actor: string,
  note: string | null,
  options: { force?: boolean } = {},
): Promise<Result<IncidentRecord>> {
  const check =
    action === 'resolve'
      ? async (trx: Transaction<Database>, incident: IncidentRecord): Promise<Result<PersonAction>> => {
          const firing = await firingAlertsOfIncident(trx, id, FIRING_NAMED);
          const refs = firing.alerts.map(({ id: alertId, source, fingerprint, title, service, host }) => ({ id: alertId, source, fingerprint, title, service, host }));
          if (firing.total > 0 && !options.force) {
            return fail(
              'CONFLICT',
              `incident ${id} has ${firing.total} alert(s) still firing: ${listTitles(refs, firing.total)}; resolve with {"force": true} to resolve it anyway (it reopens when one of them is sent again still firing)`,
              { status: incident.status, action, firingCount: firing.total, firing: refs },
            );
          }
          return ok({ kind: 'transition', action, note, ...(firing.total > 0 ? { stillFiring: { count: firing.total, titles: listTitles(refs, firing.total) } } : {}) });
        }
      : undefined;
  const done = await actOnIncident(deps, id, { kind: 'transition', action, note }, actor, check);
  return done.ok ? ok(done.value.incident) : done;
}

export async function addIncidentNote(deps: IncidentDeps, id: number, actor: string, text: string): Promise<Result<TimelineEntry>> {
  // A note makes the incident one people touched (never merged away): the correlator must know.
  const done = await actOnIncident(deps, id, { kind: 'note', text }, actor);
  return done.ok ? ok({ ...(done.value.entry as Omit<TimelineEntry, 'id'>), id: 0 }) : done;
}

/** `priority: null` removes a manual override and returns to the impact × urgency matrix. */
export async function updateIncident(deps: IncidentDeps, id: number, actor: string, patch: IncidentPatch): Promise<Result<IncidentRecord>> {
  const done = await actOnIncident(deps, id, { kind: 'update', patch }, actor);
  return done.ok ? ok(done.value.incident) : done;
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

/** A page of alerts, newest first; with `episodes`, each alert's earlier episodes and their incidents. */
export interface AlertPage {
  alerts: (AlertRecord & { pastEpisodes?: PastEpisode[] })[];
  /** The id to pass as `before` for the next page; null on the last page. */
  nextBefore: number | null;
}

export async function listAlertPage(deps: { handle: DatabaseHandle }, filter: AlertFilter, episodes: boolean): Promise<AlertPage> {
  const rows = await listAlerts(deps.handle.db, { ...filter, limit: filter.limit + 1 });
  const alerts = rows.slice(0, filter.limit);
  const nextBefore = rows.length > filter.limit ? (alerts[alerts.length - 1] as AlertRecord).id : null;
  if (!episodes) return { alerts, nextBefore };
  const past = await pastEpisodesOf(deps.handle.db, alerts);
  return { alerts: alerts.map((a) => ({ ...a, pastEpisodes: past.get(pastEpisodeKey(a.source, a.fingerprint)) ?? [] })), nextBefore };
}

const MERGEABLE: readonly IncidentStatus[] = ['open', 'acknowledged', 'on_hold', 'resolved'];

/** Recomputes an incident's counts and span from its alerts after alerts moved in or out. */
async function refreshCounts(trx: Parameters<typeof saveIncident>[0], incident: IncidentRecord, resolveHoldDownMs: number): Promise<void> {
  const counts = await countAlertsOfIncident(trx, incident.id);
  incident.alertCount = counts.alerts;
  incident.firingCount = counts.firing;
  if (counts.firstStart !== null) incident.openedAt = counts.firstStart;
  if (counts.lastActivity !== null) incident.lastActivityAt = counts.lastActivity;
  incident.resolveAfter = incident.firingCount === 0 ? incident.lastActivityAt + resolveHoldDownMs : null;
}

/**
 * Merges incident `id` into `into`: its alerts move over, it is cancelled with a pointer to
 * the survivor, and both timelines say so. Closed or cancelled incidents cannot take part.
 */
export async function mergeIncidents(deps: IncidentDeps & { resolveHoldDownMs: number }, id: number, into: number, actor: string): Promise<Result<IncidentRecord>> {
  if (id === into) return fail('VALIDATION', 'an incident cannot be merged into itself', { field: 'into' });
  const lock = deps.handle.dialect === 'postgres';
  return deps.handle.db.transaction().execute(async (trx): Promise<Result<IncidentRecord>> => {
    // First: the correlator's batches and this change never interleave (see noteCorrelationInput).
    await noteCorrelationInput(trx);
    // Lock in id order, so two opposite merges cannot deadlock.
    const first = await findIncident(trx, Math.min(id, into), lock);
    const second = await findIncident(trx, Math.max(id, into), lock);
    const source = [first, second].find((i) => i?.id === id) ?? null;
    const target = [first, second].find((i) => i?.id === into) ?? null;
    if (!source) return fail('NOT_FOUND', `incident ${id} not found`);
    if (!target) return fail('NOT_FOUND', `incident ${into} not found`);
    for (const i of [source, target]) if (!MERGEABLE.includes(i.status)) return fail('CONFLICT', `incident ${i.id} is ${i.status} and cannot be merged`);
    const now = deps.clock.now();
    const moved = await moveAlerts(trx, source.id, target.id);
    await addIncidentMembership(
      trx,
      (await servicesOfIncident(trx, source.id)).map((service) => ({ incidentId: target.id, service })),
      [],
    );
    await refreshCounts(trx, target, deps.resolveHoldDownMs);
    target.urgency = higherLevel(target.urgency, source.urgency);
    target.impact = higherLevel(target.impact, source.impact);
    if (!target.priorityOverridden) target.priority = priorityOf(target.impact, target.urgency);
    if (target.status === 'resolved' && target.firingCount > 0) {
      target.status = target.wasAcknowledged ? 'acknowledged' : 'open';
      target.resolvedAt = null;
      target.resolution = null;
    }
    target.updatedAt = now;
    Object.assign(source, { status: 'cancelled', resolution: `merged into #${target.id}`, alertCount: 0, firingCount: 0, resolveAfter: null, updatedAt: now });
    await saveIncident(trx, source);
    await saveIncident(trx, target);
    await appendTimeline(trx, { incidentId: source.id, at: now, kind: 'merged', actor, message: `Merged into #${target.id} by ${actor} (${moved} alert(s) moved)`, data: { into: target.id } });
    await appendTimeline(trx, { incidentId: target.id, at: now, kind: 'merged', actor, message: `#${source.id} merged in by ${actor} (${moved} alert(s))`, data: { from: source.id } });
    return ok(target);
  });
}

/** Splits the given alerts of incident `id` off into a new incident. */
export async function splitIncident(deps: IncidentDeps & { resolveHoldDownMs: number }, id: number, alertIds: readonly number[], actor: string): Promise<Result<IncidentRecord>> {
  const lock = deps.handle.dialect === 'postgres';
  return deps.handle.db.transaction().execute(async (trx): Promise<Result<IncidentRecord>> => {
    // First: the correlator's batches and this change never interleave (see noteCorrelationInput).
    await noteCorrelationInput(trx);
    const source = await findIncident(trx, id, lock);
    if (!source) return fail('NOT_FOUND', `incident ${id} not found`);
    if (!MERGEABLE.includes(source.status)) return fail('CONFLICT', `incident ${id} is ${source.status} and cannot be split`);
    const members = await alertsOfIncident(trx, id);
    const chosen = members.filter((a) => alertIds.includes(a.id));
    const unknown = alertIds.filter((a) => !members.some((m) => m.id === a));
    if (unknown.length) return fail('VALIDATION', `alert(s) ${unknown.join(', ')} are not in incident ${id}`, { field: 'alerts' });
    if (chosen.length === members.length) return fail('VALIDATION', 'leave at least one alert in the incident', { field: 'alerts' });
    const now = deps.clock.now();
    const first = chosen.reduce((a, b) => (a.startsAt <= b.startsAt ? a : b));
    const urgency = chosen.map((a) => urgencyOf(severityOf(a.labels))).reduce(higherLevel);
    const fresh: Omit<IncidentRecord, 'id'> = {
      ...source,
      title: first.title,
      status: 'open',
      urgency,
      priority: priorityOf(source.impact, urgency),
      priorityOverridden: false,
      service: first.service,
      host: first.host,
      groupKey: `split:${source.id}:${first.fingerprint}`,
      createdAt: now,
      updatedAt: now,
      acknowledgedAt: null,
      resolvedAt: null,
      closedAt: null,
      resolution: null,
      wasAcknowledged: false,
      assignee: null,
      rootCauseService: first.service,
    };
    const newId = await insertIncident(trx, fresh);
    const created: IncidentRecord = { ...fresh, id: newId };
    await moveAlerts(trx, id, newId, chosen.map((a) => a.id));
    await addIncidentMembership(trx, [...new Set(chosen.map((a) => a.service).filter((x): x is string => x !== null))].map((service) => ({ incidentId: newId, service })), [...new Set(chosen.map((a) => a.host).filter((x): x is string => x !== null))].map((host) => ({ incidentId: newId, host })));
    await refreshCounts(trx, created, deps.resolveHoldDownMs);
    await refreshCounts(trx, source, deps.resolveHoldDownMs);
    source.updatedAt = now;
    await saveIncident(trx, created);
    await saveIncident(trx, source);
    await appendTimeline(trx, { incidentId: id, at: now, kind: 'split', actor, message: `${chosen.length} alert(s) split off into #${newId} by ${actor}`, data: { into: newId, alerts: chosen.map((a) => a.id) } });
    await appendTimeline(trx, { incidentId: newId, at: now, kind: 'opened', actor, message: `Split off #${id} by ${actor}`, data: { from: id, method: 'split' } });
    return ok(created);
  });
}
