/** @module Incidents and their timelines. */
import { sql, type ExpressionBuilder, type Kysely, type Selectable, type Transaction } from 'kysely';
import { mergedInto, type IncidentFacts, type IncidentRecord, type IncidentStatus, type Level, type Priority, type TimelineEntry } from '../domain/incident.js';
import type { SqlDialect } from './dialect.js';
import { executeReused, replacingAll } from './reused-sql.js';
import type { Database } from './schema.js';

type Db = Kysely<Database> | Transaction<Database>;

export type { IncidentRecord, TimelineEntry } from '../domain/incident.js';

type Row = Selectable<Database['incidents']>;

function toRecord(r: Row): IncidentRecord {
  return {
    id: r.id,
    title: r.title,
    status: r.status as IncidentStatus,
    priority: r.priority as Priority,
    priorityOverridden: r.priority_overridden === 1,
    impact: r.impact as Level,
    urgency: r.urgency as Level,
    service: r.service,
    host: r.host,
    groupKey: r.group_key,
    openedAt: r.opened_at,
    lastActivityAt: r.last_activity_at,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    acknowledgedAt: r.acknowledged_at,
    resolvedAt: r.resolved_at,
    closedAt: r.closed_at,
    resolveAfter: r.resolve_after,
    resolution: r.resolution,
    wasAcknowledged: r.was_acknowledged === 1,
    alertCount: r.alert_count,
    firingCount: r.firing_count,
    assignee: r.assignee,
    rootCauseService: r.root_cause_service,
    maskedTitle: r.masked_title ? r.masked_title.split(' ') : [],
  };
}

function toRow(i: Omit<IncidentRecord, 'id'>): Omit<Row, 'id'> {
  return {
    title: i.title,
    status: i.status,
    priority: i.priority,
    priority_overridden: i.priorityOverridden ? 1 : 0,
    impact: i.impact,
    urgency: i.urgency,
    service: i.service,
    host: i.host,
    group_key: i.groupKey,
    opened_at: i.openedAt,
    last_activity_at: i.lastActivityAt,
    created_at: i.createdAt,
    updated_at: i.updatedAt,
    acknowledged_at: i.acknowledgedAt,
    resolved_at: i.resolvedAt,
    closed_at: i.closedAt,
    resolve_after: i.resolveAfter,
    resolution: i.resolution,
    was_acknowledged: i.wasAcknowledged ? 1 : 0,
    alert_count: i.alertCount,
    firing_count: i.firingCount,
    assignee: i.assignee,
    root_cause_service: i.rootCauseService,
    masked_title: i.maskedTitle.length ? i.maskedTitle.join(' ') : null,
  };
}

/** `lock` takes a row lock (PostgreSQL) so a concurrent writer cannot lose this update. */
export async function findIncident(db: Db, id: number, lock = false): Promise<IncidentRecord | null> {
  const row = await db.selectFrom('incidents').selectAll().where('id', '=', id).$if(lock, (q) => q.forUpdate()).executeTakeFirst();
  return row ? toRecord(row) : null;
}

/** Incidents with `groupKey` that may still take an alert (active, or auto-resolved and in hold-down). */
export async function incidentsForGroup(db: Db, groupKey: string, lock = false): Promise<IncidentRecord[]> {
  const rows = await db
    .selectFrom('incidents')
    .selectAll()
    .where('group_key', '=', groupKey)
    .where('status', 'in', ['open', 'acknowledged', 'on_hold', 'resolved'])
    .orderBy('id', 'desc')
    .limit(50)
    .$if(lock, (q) => q.forUpdate())
    .execute();
  return rows.map(toRecord);
}

export async function insertIncident(db: Db, incident: Omit<IncidentRecord, 'id'>): Promise<number> {
  const row = await db.insertInto('incidents').values(toRow(incident)).returning('id').executeTakeFirstOrThrow();
  return row.id;
}

/** Inserts new incidents with the ids the correlator gave them. */
export async function insertIncidentsWithIds(db: Db, incidents: readonly IncidentRecord[]): Promise<void> {
  for (let i = 0; i < incidents.length; i += 100) {
    await db
      .insertInto('incidents')
      .values(incidents.slice(i, i + 100).map((incident) => ({ id: incident.id, ...toRow(incident) })))
      .execute();
  }
}

export async function saveIncident(db: Db, incident: IncidentRecord): Promise<void> {
  await db.updateTable('incidents').set(toRow(incident)).where('id', '=', incident.id).execute();
}

/** Stores the state of many existing incidents, a statement per chunk (as `saveAlerts`); the last record of an id wins. */
export async function saveIncidents(db: Db, incidents: Iterable<IncidentRecord>): Promise<void> {
  const latest = [...new Map([...incidents].map((i) => [i.id, i])).values()];
  for (let i = 0; i < latest.length; i += 100) {
    const rows = latest.slice(i, i + 100).map((incident) => ({ id: incident.id, ...toRow(incident) }));
    await executeReused(db, `incidents.save:${rows.length}`, rows.flatMap(Object.values), () =>
      db.insertInto('incidents').values(rows).onConflict((oc) => oc.column('id').doUpdateSet(replacingAll(rows[0] as Row))),
    );
  }
}

export interface IncidentFilter {
  status?: IncidentStatus[];
  priority?: Priority[];
  service?: string;
  /** Only incidents opened at or after this time. */
  since?: number;
  /** Only incidents opened before this time. */
  until?: number;
  /**
   * Words that must all be found (case-insensitively) in the incident's title, service or host,
   * a service it touches, or the title or labels of one of its alerts; a word `name=value`
   * matches that label exactly.
   */
  text?: readonly string[];
  /** Keyset pagination: only ids below this one. */
  beforeId?: number;
  limit: number;
}

/** `%word%` for LIKE, lower-cased, with `!` escaping LIKE's own wildcards (the same in SQLite and PostgreSQL). */
const likePattern = (text: string) => `%${text.toLowerCase().replace(/[!%_]/g, (ch) => `!${ch}`)}%`;
const LABEL_WORD = /^([a-zA-Z_][a-zA-Z0-9_]*)=(.+)$/;

/** One search word against an incident (see `IncidentFilter.text`). Labels are stored as compact JSON: `name=value` is the fragment `"name":"value"`. */
function incidentMatches(eb: ExpressionBuilder<Database, 'incidents'>, word: string) {
  const label = LABEL_WORD.exec(word);
  const pattern = likePattern(label ? `${JSON.stringify(label[1])}:${JSON.stringify(label[2])}` : word);
  const like = (column: string) => sql<boolean>`lower(${sql.ref(column)}) like ${pattern} escape '!'`;
  const inAlerts = eb.exists(
    eb
      .selectFrom('alerts')
      .select('alerts.id')
      .whereRef('alerts.incident_id', '=', 'incidents.id')
      .where(label ? like('alerts.labels') : eb.or([like('alerts.title'), like('alerts.labels')])),
  );
  if (label) return inAlerts;
  return eb.or([
    like('incidents.title'),
    like('incidents.service'),
    like('incidents.host'),
    eb.exists(eb.selectFrom('incident_services').select('incident_services.incident_id').whereRef('incident_services.incident_id', '=', 'incidents.id').where(like('incident_services.service'))),
    inAlerts,
  ]);
}

/** Newest first (by id, which follows creation order). */
export async function listIncidents(db: Db, filter: IncidentFilter): Promise<IncidentRecord[]> {
  let query = db.selectFrom('incidents').selectAll();
  if (filter.status?.length) query = query.where('status', 'in', filter.status);
  if (filter.priority?.length) query = query.where('priority', 'in', filter.priority);
  if (filter.service !== undefined) query = query.where('service', '=', filter.service);
  if (filter.since !== undefined) query = query.where('opened_at', '>=', filter.since);
  if (filter.until !== undefined) query = query.where('opened_at', '<', filter.until);
  for (const word of filter.text ?? []) query = query.where((eb) => incidentMatches(eb, word));
  if (filter.beforeId !== undefined) query = query.where('id', '<', filter.beforeId);
  const rows = await query.orderBy('id', 'desc').limit(filter.limit).execute();
  return rows.map(toRecord);
}

/** Incidents due for auto-resolution: no firing alert and hold-down over. */
export async function incidentsDueForAutoResolve(db: Db, now: number, limit: number, lock = false): Promise<IncidentRecord[]> {
  const rows = await db
    .selectFrom('incidents')
    .selectAll()
    .where('status', 'in', ['open', 'acknowledged'])
    .where('firing_count', '=', 0)
    .where('resolve_after', 'is not', null)
    .where('resolve_after', '<=', now)
    .orderBy('id')
    .limit(limit)
    .$if(lock, (q) => q.forUpdate())
    .execute();
  return rows.map(toRecord);
}

export async function incidentsDueForClose(db: Db, resolvedBefore: number, limit: number, lock = false): Promise<IncidentRecord[]> {
  const rows = await db
    .selectFrom('incidents')
    .selectAll()
    .where('status', '=', 'resolved')
    .where('resolved_at', '<=', resolvedBefore)
    .orderBy('id')
    .limit(limit)
    .$if(lock, (q) => q.forUpdate())
    .execute();
  return rows.map(toRecord);
}

export async function countOpenIncidentsByPriority(db: Db): Promise<{ priority: string; count: number }[]> {
  const rows = await db
    .selectFrom('incidents')
    .select(['priority', (eb) => eb.fn.countAll<number>().as('n')])
    .where('status', 'in', ['open', 'acknowledged', 'on_hold'])
    .groupBy('priority')
    .execute();
  return rows.map((r) => ({ priority: r.priority, count: Number(r.n) }));
}

export interface ResponseTimes {
  service: string | null;
  priority: string;
  openedAt: number;
  acknowledgedAt: number | null;
  resolvedAt: number | null;
}

/** Incidents opened in [from, to), with what MTTA/MTTR need. */
/** Group keys of the incidents of Sightline's fast-burn pages (see correlate/engine.ts). */
export const SLA_PAGE_GROUPS = 'sightline:%';

export async function responseTimes(db: Db, from: number, to: number): Promise<ResponseTimes[]> {
  const rows = await db
    .selectFrom('incidents')
    .select(['service', 'priority', 'opened_at', 'acknowledged_at', 'resolved_at', 'status'])
    .where('opened_at', '>=', from)
    .where('opened_at', '<', to)
    .where('status', '!=', 'cancelled')
    // A fast-burn page (services/sla-signals.ts) is about the SLA, not a fault of its own.
    .where('group_key', 'not like', SLA_PAGE_GROUPS)
    .execute();
  return rows.map((r) => ({ service: r.service, priority: r.priority, openedAt: r.opened_at, acknowledgedAt: r.acknowledged_at, resolvedAt: r.resolved_at }));
}

export async function appendTimeline(db: Db, entry: Omit<TimelineEntry, 'id'>): Promise<void> {
  await appendTimelineEntries(db, [entry]);
}

export async function appendTimelineEntries(db: Db, entries: readonly Omit<TimelineEntry, 'id'>[]): Promise<void> {
  for (let i = 0; i < entries.length; i += 200) {
    const rows = entries.slice(i, i + 200).map((entry) => ({
      incident_id: entry.incidentId,
      at: entry.at,
      kind: entry.kind,
      actor: entry.actor,
      message: entry.message,
      data: entry.data === undefined || entry.data === null ? null : JSON.stringify(entry.data),
    }));
    const parameters = rows.flatMap((r) => [r.incident_id, r.at, r.kind, r.actor, r.message, r.data]);
    await executeReused(db, `incident_timeline.append:${rows.length}`, parameters, () => db.insertInto('incident_timeline').values(rows));
  }
}

export function toTimelineEntry(r: Selectable<Database['incident_timeline']>): TimelineEntry {
  return { id: r.id, incidentId: r.incident_id, at: r.at, kind: r.kind, actor: r.actor, message: r.message, data: r.data === null ? null : JSON.parse(r.data) };
}

/** Where a page of a listing ordered by (time, id) ends: the last row shown. */
export interface ListPosition {
  at: number;
  id: number;
}

/**
 * Up to `limit` entries of an incident's timeline in event-time order after `after` (oldest
 * first, or newest first): a storm incident has one entry per joined alert, too many for one answer.
 */
export async function timelinePageOf(db: Db, incidentId: number, page: { after: ListPosition | null; limit: number; newestFirst?: boolean }): Promise<TimelineEntry[]> {
  const desc = page.newestFirst === true;
  const after = page.after;
  let q = db.selectFrom('incident_timeline').selectAll().where('incident_id', '=', incidentId);
  // A row-value comparison, so that both databases seek in the (incident_id, at, id) index.
  if (after) q = q.where((eb) => eb(eb.refTuple('at', 'id'), desc ? '<' : '>', eb.tuple(after.at, after.id)));
  const order = desc ? 'desc' : 'asc';
  const rows = await q.orderBy('at', order).orderBy('id', order).limit(page.limit).execute();
  return rows.map(toTimelineEntry);
}

export async function countTimelineOf(db: Db, incidentId: number): Promise<number> {
  const row = await db.selectFrom('incident_timeline').select((eb) => eb.fn.countAll<number>().as('n')).where('incident_id', '=', incidentId).executeTakeFirstOrThrow();
  return Number(row.n);
}

/**
 * The `opened` / `alert_joined` entries of an incident that name one of `fingerprints`, oldest
 * first: why those alerts joined, without reading the entry of every other alert of a storm.
 */
export async function joinEntriesFor(db: Db, dialect: SqlDialect, incidentId: number, fingerprints: readonly string[]): Promise<TimelineEntry[]> {
  const named = dialect === 'postgres' ? sql<string>`(data::json ->> 'fingerprint')` : sql<string>`json_extract(data, '$.fingerprint')`;
  const out: TimelineEntry[] = [];
  const unique = [...new Set(fingerprints)];
  for (let i = 0; i < unique.length; i += 500) {
    const rows = await db
      .selectFrom('incident_timeline')
      .selectAll()
      .where('incident_id', '=', incidentId)
      .where('kind', 'in', ['opened', 'alert_joined'])
      .where(named, 'in', unique.slice(i, i + 500))
      .execute();
    out.push(...rows.map(toTimelineEntry));
  }
  return out.sort((a, b) => a.at - b.at || a.id - b.id);
}

/**
 * Which incident each of `incidentIds` was merged into, from its `merged` timeline entry (the one
 * naming `into`); with `byCorrelator`, only the correlator's own merges count.
 */
export async function mergeTargets(db: Db, incidentIds: readonly number[], byCorrelator = false): Promise<Map<number, number>> {
  const into = new Map<number, number>();
  const unique = [...new Set(incidentIds)];
  for (let i = 0; i < unique.length; i += 500) {
    const rows = await db
      .selectFrom('incident_timeline')
      .select(['incident_id', 'data'])
      .where('incident_id', 'in', unique.slice(i, i + 500))
      .where('kind', '=', 'merged')
      .$if(byCorrelator, (q) => q.where('actor', '=', 'sightline'))
      .execute();
    for (const r of rows) {
      const target = mergedInto('merged', JSON.parse(r.data ?? 'null'));
      if (target !== null) into.set(Number(r.incident_id), target);
    }
  }
  return into;
}

/** An incident's timeline entries of the given kinds, oldest first. */
export async function timelineOfKinds(db: Db, incidentId: number, kinds: readonly string[]): Promise<TimelineEntry[]> {
  if (kinds.length === 0) return [];
  const rows = await db.selectFrom('incident_timeline').selectAll().where('incident_id', '=', incidentId).where('kind', 'in', [...kinds]).orderBy('at').orderBy('id').execute();
  return rows.map(toTimelineEntry);
}

const CANDIDATE_STATUSES = ['open', 'acknowledged', 'on_hold', 'resolved'];

/** Incidents (still able to take alerts) that touch any of `services`, with those services. */
export async function incidentsTouchingServices(db: Db, services: readonly string[]): Promise<{ incidentId: number; service: string }[]> {
  if (services.length === 0) return [];
  return db
    .selectFrom('incident_services as s')
    .innerJoin('incidents as i', 'i.id', 's.incident_id')
    .select(['s.incident_id as incidentId', 's.service as service'])
    .where('s.service', 'in', [...services])
    .where('i.status', 'in', CANDIDATE_STATUSES)
    .orderBy('s.incident_id', 'desc')
    .limit(200)
    .execute();
}

/** Incidents still `open` that touch any of `services` and opened within [from, to], newest first. */
export async function openIncidentsTouchingServices(db: Db, services: readonly string[], from: number, to: number): Promise<number[]> {
  if (services.length === 0) return [];
  const rows = await db
    .selectFrom('incident_services as s')
    .innerJoin('incidents as i', 'i.id', 's.incident_id')
    .select('s.incident_id as incidentId')
    .distinct()
    .where('s.service', 'in', [...services])
    .where('i.status', '=', 'open')
    .where('i.opened_at', '>=', from)
    .where('i.opened_at', '<=', to)
    .orderBy('s.incident_id', 'desc')
    .limit(200)
    .execute();
  return rows.map((r) => r.incidentId);
}

export async function incidentsTouchingHost(db: Db, host: string): Promise<number[]> {
  const rows = await db
    .selectFrom('incident_hosts as h')
    .innerJoin('incidents as i', 'i.id', 'h.incident_id')
    .select('h.incident_id as incidentId')
    .where('h.host', '=', host)
    .where('i.status', 'in', CANDIDATE_STATUSES)
    .orderBy('h.incident_id', 'desc')
    .limit(50)
    .execute();
  return rows.map((r) => r.incidentId);
}

/** Incidents that may take an alert and were active since `since`, newest activity first. */
export async function recentIncidents(db: Db, since: number, limit: number, lock = false): Promise<IncidentRecord[]> {
  const rows = await db
    .selectFrom('incidents')
    .selectAll()
    .where('status', 'in', CANDIDATE_STATUSES)
    .where('last_activity_at', '>=', since)
    .orderBy('last_activity_at', 'desc')
    .limit(limit)
    .$if(lock, (q) => q.forUpdate())
    .execute();
  return rows.map(toRecord);
}

export async function servicesOfIncident(db: Db, incidentId: number): Promise<string[]> {
  const rows = await db.selectFrom('incident_services').select('service').where('incident_id', '=', incidentId).orderBy('service').execute();
  return rows.map((r) => r.service);
}

/** When the incident's fault reached each service after the one it opened on (its `service_reached` entries). */
export async function servicesReached(db: Db, incidentId: number): Promise<Map<string, number>> {
  const rows = await db.selectFrom('incident_timeline').select(['at', 'data']).where('incident_id', '=', incidentId).where('kind', '=', sql.lit('service_reached')).execute();
  const reached = new Map<string, number>();
  for (const row of rows) {
    const service = (JSON.parse(row.data ?? 'null') as { service?: unknown } | null)?.service;
    if (typeof service === 'string') reached.set(service, Math.min(reached.get(service) ?? Infinity, Number(row.at)));
  }
  return reached;
}

export async function hostsOfIncident(db: Db, incidentId: number): Promise<string[]> {
  const rows = await db.selectFrom('incident_hosts').select('host').where('incident_id', '=', incidentId).orderBy('host').execute();
  return rows.map((r) => r.host);
}

/** True when anyone but the correlator has written on the incident's timeline: a note, an edit, an action. */
export async function touchedByPeople(db: Db, incidentId: number): Promise<boolean> {
  const row = await db.selectFrom('incident_timeline').select('id').where('incident_id', '=', incidentId).where('actor', '<>', sql.lit('sightline')).limit(1).executeTakeFirst();
  return row !== undefined;
}

export async function addIncidentMembership(
  db: Db,
  services: readonly { incidentId: number; service: string }[],
  hosts: readonly { incidentId: number; host: string }[],
): Promise<void> {
  for (let i = 0; i < services.length; i += 200) {
    const rows = services.slice(i, i + 200).map((m) => ({ incident_id: m.incidentId, service: m.service }));
    const parameters = rows.flatMap((r) => [r.incident_id, r.service]);
    await executeReused(db, `incident_services.add:${rows.length}`, parameters, () =>
      db
        .insertInto('incident_services')
        .values(rows)
        .onConflict((oc) => oc.doNothing()),
    );
  }
  for (let i = 0; i < hosts.length; i += 200) {
    const rows = hosts.slice(i, i + 200).map((m) => ({ incident_id: m.incidentId, host: m.host }));
    const parameters = rows.flatMap((r) => [r.incident_id, r.host]);
    await executeReused(db, `incident_hosts.add:${rows.length}`, parameters, () =>
      db
        .insertInto('incident_hosts')
        .values(rows)
        .onConflict((oc) => oc.doNothing()),
    );
  }
}

/**
 * Incidents with their services, hosts, reach and whether people touched them: every one
 * that can still take alerts (`'candidates'`), or the given ones whatever their status.
 */
export async function incidentFacts(db: Db, which: 'candidates' | readonly number[]): Promise<IncidentFacts[]> {
  const incidents: IncidentRecord[] = [];
  if (which === 'candidates') {
    incidents.push(...(await db.selectFrom('incidents').selectAll().where('status', 'in', CANDIDATE_STATUSES).orderBy('id').execute()).map(toRecord));
  } else {
    for (let i = 0; i < which.length; i += 500) {
      incidents.push(...(await db.selectFrom('incidents').selectAll().where('id', 'in', which.slice(i, i + 500)).orderBy('id').execute()).map(toRecord));
    }
  }
  const facts = new Map<number, { incident: IncidentRecord; services: string[]; hosts: string[]; reached: Map<string, number>; touchedByPeople: boolean }>();
  for (const incident of incidents) facts.set(incident.id, { incident, services: [], hosts: [], reached: new Map(), touchedByPeople: false });
  const ids = [...facts.keys()];
  for (let i = 0; i < ids.length; i += 500) {
    const chunk = ids.slice(i, i + 500);
    for (const r of await db.selectFrom('incident_services').select(['incident_id', 'service']).where('incident_id', 'in', chunk).execute()) facts.get(r.incident_id)?.services.push(r.service);
    for (const r of await db.selectFrom('incident_hosts').select(['incident_id', 'host']).where('incident_id', 'in', chunk).execute()) facts.get(r.incident_id)?.hosts.push(r.host);
    const reachedRows = await db
      .selectFrom('incident_timeline')
      .select(['incident_id', 'at', 'data'])
      .where('incident_id', 'in', chunk)
      .where('kind', '=', sql.lit('service_reached'))
      .execute();
    for (const row of reachedRows) {
      const service = (JSON.parse(row.data ?? 'null') as { service?: unknown } | null)?.service;
      const reached = facts.get(row.incident_id)?.reached;
      if (typeof service === 'string' && reached) reached.set(service, Math.min(reached.get(service) ?? Infinity, Number(row.at)));
    }
    const people = await db.selectFrom('incident_timeline').select('incident_id').distinct().where('incident_id', 'in', chunk).where('actor', '<>', sql.lit('sightline')).execute();
    for (const r of people) {
      const f = facts.get(r.incident_id);
      if (f) f.touchedByPeople = true;
    }
  }
  return [...facts.values()].map((f) => ({ ...f, reached: [...f.reached] }));
}

export async function maxIncidentId(db: Db): Promise<number> {
  const row = await db.selectFrom('incidents').select((eb) => eb.fn.max('id').as('id')).executeTakeFirst();
  return Number(row?.id ?? 0);
}
