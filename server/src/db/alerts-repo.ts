/** @module Current alert state, one row per (source, fingerprint). */
import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import type { AlertRecord, AlertSource, Labels } from '../domain/alert.js';
import { ACTIVE_STATUSES, type IncidentStatus, type Priority } from '../domain/incident.js';
import type { ListPosition } from './incidents-repo.js';
import { executeReused, replacingAll } from './reused-sql.js';
import type { Database } from './schema.js';

type Db = Kysely<Database> | Transaction<Database>;

export type { AlertRecord } from '../domain/alert.js';

type Row = Selectable<Database['alerts']>;

/** Rows per multi-row statement: well under SQLite's and PostgreSQL's parameter limits. */
const CHUNK = 200;

function toRecord(r: Row): AlertRecord {
  return {
    id: r.id,
    source: r.source as AlertSource,
    fingerprint: r.fingerprint,
    status: r.status as AlertRecord['status'],
    labels: JSON.parse(r.labels),
    annotations: JSON.parse(r.annotations),
    title: r.title,
    severity: r.severity,
    service: r.service,
    host: r.host,
    startsAt: r.starts_at,
    endsAt: r.ends_at,
    generatorUrl: r.generator_url,
    occurrences: r.occurrences,
    firstSeenAt: r.first_seen_at,
    lastSeenAt: r.last_seen_at,
    incidentId: r.incident_id,
    acknowledged: r.acknowledged === 1,
    resolvedBy: r.resolved_by as AlertRecord['resolvedBy'],
    suppressedBy: r.suppressed_by,
    flapping: r.flapping === 1,
    flapHistory: r.flap_history ? JSON.parse(r.flap_history) : [],
  };
}

function toRow(a: Omit<AlertRecord, 'id'>): Omit<Row, 'id'> {
  return {
    source: a.source,
    fingerprint: a.fingerprint,
    status: a.status,
    labels: JSON.stringify(a.labels),
    annotations: JSON.stringify(a.annotations),
    title: a.title,
    severity: a.severity,
    service: a.service,
    host: a.host,
    starts_at: a.startsAt,
    ends_at: a.endsAt,
    generator_url: a.generatorUrl,
    occurrences: a.occurrences,
    first_seen_at: a.firstSeenAt,
    last_seen_at: a.lastSeenAt,
    incident_id: a.incidentId,
    acknowledged: a.acknowledged ? 1 : 0,
    resolved_by: a.resolvedBy,
    suppressed_by: a.suppressedBy,
    flapping: a.flapping ? 1 : 0,
    flap_history: a.flapHistory.length ? JSON.stringify(a.flapHistory) : null,
  };
}

/** Current state of the given alerts of one source; absent ones are simply missing. */
export async function findAlerts(db: Db, source: string, fingerprints: readonly string[]): Promise<AlertRecord[]> {
  const out: AlertRecord[] = [];
  for (let i = 0; i < fingerprints.length; i += CHUNK) {
    const rows = await db
      .selectFrom('alerts')
      .selectAll()
      .where('source', '=', source)
      .where('fingerprint', 'in', fingerprints.slice(i, i + CHUNK))
      .execute();
    out.push(...rows.map(toRecord));
  }
  return out;
}

export async function findAlertById(db: Db, id: number): Promise<AlertRecord | null> {
  const row = await db.selectFrom('alerts').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? toRecord(row) : null;
}

/** Inserts new alerts with the ids the correlator gave them. */
export async function insertAlerts(db: Db, alerts: readonly AlertRecord[]): Promise<void> {
  for (let i = 0; i < alerts.length; i += CHUNK) {
    const chunk = alerts.slice(i, i + CHUNK);
    const rows = chunk.map((a) => ({ id: a.id, ...toRow(a) }));
    const parameters = rows.flatMap((r) => [
      r.id, r.source, r.fingerprint, r.status, r.labels, r.annotations, r.title, r.severity, r.service, r.host, r.starts_at, r.ends_at, r.generator_url,
      r.occurrences, r.first_seen_at, r.last_seen_at, r.incident_id, r.acknowledged, r.resolved_by, r.suppressed_by, r.flapping, r.flap_history,
    ]);
    await executeReused(db, `alerts.insert:${rows.length}`, parameters, () => db.insertInto('alerts').values(rows));
  }
}

export async function saveAlert(db: Db, alert: AlertRecord): Promise<void> {
  await db.updateTable('alerts').set(toRow(alert)).where('id', '=', alert.id).execute();
}

/**
 * Stores the state of many existing alerts, a statement per chunk rather than one per alert
 * (on PostgreSQL each statement is a round trip): an upsert on the id that replaces every
 * other column. The last record of an id wins.
 */
export async function saveAlerts(db: Db, alerts: Iterable<AlertRecord>): Promise<void> {
  const latest = [...new Map([...alerts].map((a) => [a.id, a])).values()];
  for (let i = 0; i < latest.length; i += CHUNK) {
    const rows = latest.slice(i, i + CHUNK).map((a) => ({ id: a.id, ...toRow(a) }));
    await executeReused(db, `alerts.save:${rows.length}`, rows.flatMap(Object.values), () =>
      db.insertInto('alerts').values(rows).onConflict((oc) => oc.column('id').doUpdateSet(replacingAll(rows[0] as Row))),
    );
  }
}

export async function alertsOfIncident(db: Db, incidentId: number): Promise<AlertRecord[]> {
  const rows = await db.selectFrom('alerts').selectAll().where('incident_id', '=', incidentId).orderBy('starts_at').orderBy('id').execute();
  return rows.map(toRecord);
}

/** An incident's alerts that fire and are not held back (silence, inhibition): how many, and the first `limit` in start order. */
export async function firingAlertsOfIncident(db: Db, incidentId: number, limit: number): Promise<{ total: number; alerts: AlertRecord[] }> {
  const firing = db.selectFrom('alerts').where('incident_id', '=', incidentId).where('status', '=', 'firing').where('suppressed_by', 'is', null);
  const counted = await firing.select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirst();
  const total = Number(counted?.n ?? 0);
  if (total === 0) return { total, alerts: [] };
  const rows = await firing.selectAll().orderBy('starts_at').orderBy('id').limit(limit).execute();
  return { total, alerts: rows.map(toRecord) };
}

/** Up to `limit` alerts of an incident in start order after `after` (its startsAt and id). */
export async function alertsOfIncidentPage(db: Db, incidentId: number, page: { after: ListPosition | null; limit: number }): Promise<AlertRecord[]> {
  const after = page.after;
  let q = db.selectFrom('alerts').selectAll().where('incident_id', '=', incidentId);
  // A row-value comparison, so that both databases seek in the (incident_id, starts_at, id) index.
  if (after) q = q.where((eb) => eb(eb.refTuple('starts_at', 'id'), '>', eb.tuple(after.at, after.id)));
  const rows = await q.orderBy('starts_at').orderBy('id').limit(page.limit).execute();
  return rows.map(toRecord);
}

/** How many alerts the incident holds (one count; `countAlertsOfIncident` also sums their states). */
export async function countIncidentAlerts(db: Db, incidentId: number): Promise<number> {
  const row = await db.selectFrom('alerts').select((eb) => eb.fn.countAll<number>().as('n')).where('incident_id', '=', incidentId).executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Firing alerts whose lease ran out by `now`. */
export async function expiredLeases(db: Db, now: number, limit: number): Promise<AlertRecord[]> {
  const rows = await db
    .selectFrom('alerts')
    .selectAll()
    .where('status', '=', 'firing')
    .where('ends_at', 'is not', null)
    .where('ends_at', '<=', now)
    .orderBy('ends_at')
    .orderBy('id')
    .limit(limit)
    .execute();
  return rows.map(toRecord);
}

/** Firing alerts held back by a silence or maintenance window. */
export async function suppressedFiringAlerts(db: Db, limit: number): Promise<AlertRecord[]> {
  const rows = await db.selectFrom('alerts').selectAll().where('suppressed_by', 'is not', null).where('status', '=', 'firing').orderBy('id').limit(limit).execute();
  return rows.map(toRecord);
}

export interface AlertFilter {
  status?: 'firing' | 'resolved';
  suppressed?: boolean;
  limit: number;
}

export async function listAlerts(db: Db, filter: AlertFilter): Promise<AlertRecord[]> {
  let q = db.selectFrom('alerts').selectAll();
  if (filter.status) q = q.where('status', '=', filter.status);
  if (filter.suppressed === true) q = q.where('suppressed_by', 'is not', null);
  if (filter.suppressed === false) q = q.where('suppressed_by', 'is', null);
  return (await q.orderBy('id', 'desc').limit(filter.limit).execute()).map(toRecord);
}

/** Moves alerts (all of `from`, or only `ids`) to another incident. Returns how many moved. */
export async function moveAlerts(db: Db, from: number, to: number, ids?: readonly number[]): Promise<number> {
  let q = db.updateTable('alerts').set({ incident_id: to }).where('incident_id', '=', from);
  if (ids) q = q.where('id', 'in', ids.length ? [...ids] : [-1]);
  return Number((await q.executeTakeFirst()).numUpdatedRows);
}

/** Alert and firing-alert counts of an incident, from the alerts themselves. */
export async function countAlertsOfIncident(db: Db, incidentId: number): Promise<{ alerts: number; firing: number; firstStart: number | null; lastActivity: number | null }> {
  const rows = await db.selectFrom('alerts').select(['status', 'starts_at', 'ends_at']).where('incident_id', '=', incidentId).execute();
  let last: number | null = null;
  for (const r of rows) last = Math.max(last ?? -Infinity, r.starts_at, r.ends_at ?? -Infinity);
  return {
    alerts: rows.length,
    firing: rows.filter((r) => r.status === 'firing').length,
    firstStart: rows.length ? Math.min(...rows.map((r) => r.starts_at)) : null,
    lastActivity: last,
  };
}

/** Firing alerts, most recent first (bounded): the inhibition layer's view of what is on. */
/** Firing alerts not suppressed, by id after `afterId`: pages of a full scan. */
export async function unsuppressedFiringAlerts(db: Db, afterId: number, limit: number): Promise<AlertRecord[]> {
  const rows = await db.selectFrom('alerts').selectAll().where('status', '=', 'firing').where('suppressed_by', 'is', null).where('id', '>', afterId).orderBy('id').limit(limit).execute();
  return rows.map(toRecord);
}

export async function firingAlerts(db: Db, limit: number): Promise<AlertRecord[]> {
  const rows = await db.selectFrom('alerts').selectAll().where('status', '=', 'firing').orderBy('starts_at', 'desc').limit(limit).execute();
  return rows.map(toRecord);
}

/** An alert episode seen from the SLA: its own event-time interval and, when it belongs to one, its incident. */
export interface OutageAlert {
  source: string;
  alertname: string | null;
  service: string | null;
  host: string | null;
  startsAt: number;
  endsAt: number | null;
  incidentId: number | null;
  priority: Priority | null;
  incidentStatus: IncidentStatus | null;
}

function toOutageAlert(r: { source: string; labels: string; service: string | null; host: string | null; starts_at: number; ends_at: number | null; incident_id: number | null; priority: string | null; incident_status: string | null }): OutageAlert {
  return {
    source: r.source,
    alertname: (JSON.parse(r.labels) as Labels).alertname ?? null,
    service: r.service,
    host: r.host,
    startsAt: Number(r.starts_at),
    endsAt: r.ends_at === null ? null : Number(r.ends_at),
    incidentId: r.incident_id === null ? null : Number(r.incident_id),
    priority: r.priority as Priority | null,
    incidentStatus: r.incident_status as IncidentStatus | null,
  };
}

/**
 * Member alerts of `services` whose interval overlaps [from, to), from incidents that are
 * still active or saw alert activity (event time) since `from`: an incident quiet since
 * before `from` cannot hold an alert that overlaps it, except one still firing.
 */
export async function incidentAlertsOverlapping(db: Db, services: readonly string[], from: number, to: number): Promise<OutageAlert[]> {
  if (services.length === 0) return [];
  const rows = await db
    .selectFrom('alerts as a')
    .innerJoin('incidents as i', 'i.id', 'a.incident_id')
    .select(['a.source', 'a.labels', 'a.service', 'a.host', 'a.starts_at', 'a.ends_at', 'a.incident_id', 'i.priority', 'i.status as incident_status'])
    .where('a.service', 'in', [...services])
    .where((eb) => eb.or([eb('i.status', 'in', [...ACTIVE_STATUSES]), eb('i.last_activity_at', '>=', from)]))
    .where('a.starts_at', '<', to)
    .where((eb) => eb.or([eb('a.ends_at', 'is', null), eb('a.ends_at', '>', from)]))
    .orderBy('a.id')
    .execute();
  return rows.map(toOutageAlert);
}

/** Sightline's own `AgentDown` alerts of `hosts` whose interval overlaps [from, to), in an incident or not. */
export async function agentDownAlertsOverlapping(db: Db, hosts: readonly string[], from: number, to: number): Promise<OutageAlert[]> {
  if (hosts.length === 0) return [];
  const rows = await db
    .selectFrom('alerts as a')
    .leftJoin('incidents as i', 'i.id', 'a.incident_id')
    .select(['a.source', 'a.labels', 'a.service', 'a.host', 'a.starts_at', 'a.ends_at', 'a.incident_id', 'i.priority', 'i.status as incident_status'])
    .where('a.source', '=', 'agent')
    .where('a.fingerprint', 'like', 'AgentDown:%')
    .where('a.host', 'in', [...hosts])
    .where('a.starts_at', '<', to)
    .where((eb) => eb.or([eb('a.ends_at', 'is', null), eb('a.ends_at', '>', from)]))
    .orderBy('a.id')
    .execute();
  return rows.map(toOutageAlert);
}

/** Every firing alert (suppressed ones included), by id. */
export async function allFiringAlerts(db: Db): Promise<AlertRecord[]> {
  const rows = await db.selectFrom('alerts').selectAll().where('status', '=', 'firing').orderBy('id').execute();
  return rows.map(toRecord);
}

/** The (source, fingerprint) of every alert there is. */
export async function allAlertKeys(db: Db): Promise<{ source: string; fingerprint: string }[]> {
  return db.selectFrom('alerts').select(['source', 'fingerprint']).execute();
}

export async function maxAlertId(db: Db): Promise<number> {
  const row = await db.selectFrom('alerts').select((eb) => eb.fn.max('id').as('id')).executeTakeFirst();
  return Number(row?.id ?? 0);
}

/** Records episodes of alerts that fired again (idempotent: the same episode is written once, with its latest end). */
export async function recordPastEpisodes(db: Db, episodes: readonly { source: string; fingerprint: string; startsAt: number; endsAt: number | null; resolved: boolean }[]): Promise<void> {
  for (let i = 0; i < episodes.length; i += CHUNK) {
    const rows = episodes.slice(i, i + CHUNK).map((e) => ({ source: e.source, fingerprint: e.fingerprint, starts_at: e.startsAt, ends_at: e.endsAt, resolved: e.resolved ? 1 : 0 }));
    await db
      .insertInto('alert_past_episodes')
      .values(rows)
      .onConflict((oc) => oc.columns(['source', 'fingerprint', 'starts_at']).doUpdateSet({ ends_at: sql`excluded.ends_at`, resolved: sql`excluded.resolved` }))
      .execute();
  }
}
