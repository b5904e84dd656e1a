/**
 * @module What the SLA reads and writes beyond alerts and incidents: availability-check
 * states reported by agents, past episodes of re-fired alerts (from the event log and the
 * timeline entries that attached them), incidents' lifecycle entries (holds), and the
 * response/resolution notices already written.
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import type { IncidentStatus, Priority } from '../domain/incident.js';
import { mergeTargets, SLA_PAGE_GROUPS } from './incidents-repo.js';
import type { Database } from './schema.js';

type Db = Kysely<Database> | Transaction<Database>;

const CHUNK = 200;
const chunks = <T>(xs: readonly T[]): T[][] => Array.from({ length: Math.ceil(xs.length / CHUNK) }, (_, i) => xs.slice(i * CHUNK, (i + 1) * CHUNK));

export interface CheckStateRow {
  agentId: string;
  checkName: string;
  since: number;
  success: boolean;
  service: string | null;
  host: string;
  lastReportedAt: number;
  intervalMs: number;
}

/** Idempotent: a state already known only moves its latest report forward. */
export async function recordCheckStates(db: Db, rows: readonly CheckStateRow[]): Promise<void> {
  for (const part of chunks(rows)) {
    await db
      .insertInto('sla_check_states')
      .values(
        part.map((r) => ({
          agent_id: r.agentId,
          check_name: r.checkName,
          since: r.since,
          success: r.success ? 1 : 0,
          service: r.service,
          host: r.host,
          last_reported_at: r.lastReportedAt,
          interval_ms: r.intervalMs,
        })),
      )
      .onConflict((oc) =>
        oc.columns(['agent_id', 'check_name', 'since']).doUpdateSet({
          last_reported_at: sql`case when excluded.last_reported_at > sla_check_states.last_reported_at then excluded.last_reported_at else sla_check_states.last_reported_at end`,
          interval_ms: sql`excluded.interval_ms`,
          service: sql`excluded.service`,
        }),
      )
      .execute();
  }
}

/**
 * Check states of `services` that matter for [from, to): those that began inside it, and
 * for each check the last one that began before `from` (it may still be going on).
 */
export async function checkStatesOverlapping(db: Db, services: readonly string[], from: number, to: number): Promise<CheckStateRow[]> {
  if (services.length === 0) return [];
  const rows = await db
    .selectFrom('sla_check_states as s')
    .selectAll()
    .where('s.service', 'in', [...services])
    .where('s.since', '<', to)
    .where((eb) =>
      eb.or([
        eb('s.since', '>=', from),
        eb(
          's.since',
          '=',
          eb
            .selectFrom('sla_check_states as p')
            .select((p) => p.fn.max('p.since').as('m'))
            .whereRef('p.agent_id', '=', 's.agent_id')
            .whereRef('p.check_name', '=', 's.check_name')
            .where('p.since', '<', from),
        ),
      ]),
    )
    .orderBy('s.agent_id')
    .orderBy('s.check_name')
    .orderBy('s.since')
    .execute();
  return rows.map((r) => ({
    agentId: r.agent_id,
    checkName: r.check_name,
    since: Number(r.since),
    success: r.success === 1,
    service: r.service,
    host: r.host,
    lastReportedAt: Number(r.last_reported_at),
    intervalMs: Number(r.interval_ms),
  }));
}

export interface PastEpisodeEvent {
  source: string;
  fingerprint: string;
  status: 'firing' | 'resolved';
  startsAt: number;
  endsAt: number | null;
  service: string | null;
  host: string | null;
  /** Start of the alert's current (latest) episode. */
  currentStartsAt: number;
}

/** How far before a window an episode without any end is looked for. */
const OPEN_EPISODE_LOOKBACK_MS = 7 * 86_400_000;

/**
 * Earlier episodes (before the alert's current one) that may overlap [from, to), one row each
 * as the correlator recorded them when the alert fired again: of re-fired alerts of
 * `scope.services` (Sightline's own left out), or of the re-fired `AgentDown` alerts of
 * `scope.agentDownHosts`. `status` is `resolved` when the sender resolved it, else `firing`
 * with its last lease (or no end) as `endsAt`.
 */
export async function pastEpisodeEvents(db: Db, scope: { services: readonly string[] } | { agentDownHosts: readonly string[] }, from: number, to: number): Promise<PastEpisodeEvent[]> {
  const values = 'services' in scope ? scope.services : scope.agentDownHosts;
  if (values.length === 0) return [];
  let query = db
    .selectFrom('alert_past_episodes as e')
    .innerJoin('alerts as a', (j) => j.onRef('a.source', '=', 'e.source').onRef('a.fingerprint', '=', 'e.fingerprint'))
    .select(['e.source', 'e.fingerprint', 'e.resolved', 'e.starts_at', 'e.ends_at', 'a.service', 'a.host', 'a.starts_at as current_starts_at'])
    .whereRef('e.starts_at', '<', 'a.starts_at')
    .where('e.starts_at', '<', to)
    .where((eb) => eb.or([eb('e.ends_at', '>', from), eb('e.starts_at', '>=', from - OPEN_EPISODE_LOOKBACK_MS)]));
  query =
    'services' in scope
      ? query.where('a.service', 'in', [...values]).where('a.source', '<>', 'sightline')
      : query.where('a.source', '=', 'agent').where('a.fingerprint', 'like', 'AgentDown:%').where('a.host', 'in', [...values]);
  const rows = await query.orderBy('e.source').orderBy('e.fingerprint').orderBy('e.starts_at').execute();
  return rows.map((r) => ({
    source: r.source,
    fingerprint: r.fingerprint,
    status: r.resolved === 1 ? ('resolved' as const) : ('firing' as const),
    startsAt: Number(r.starts_at),
    endsAt: r.ends_at === null ? null : Number(r.ends_at),
    service: r.service,
    host: r.host,
    currentStartsAt: Number(r.current_starts_at),
  }));
}

export interface EpisodeAttachment {
  source: string;
  fingerprint: string;
  startsAt: number;
  incidentId: number;
  priority: Priority;
  incidentStatus: IncidentStatus;
}

/**
 * The incidents that took episodes starting at `starts`: the correlator writes an `opened`
 * or `alert_joined` entry at the episode's start naming its source and fingerprint.
 */
export async function episodeAttachments(db: Db, starts: readonly number[]): Promise<EpisodeAttachment[]> {
  const out: EpisodeAttachment[] = [];
  for (const part of chunks([...new Set(starts)])) {
    const rows = await db
      .selectFrom('incident_timeline as t')
      .innerJoin('incidents as i', 'i.id', 't.incident_id')
      .select(['t.incident_id', 't.at', 't.data', 'i.priority', 'i.status'])
      .where('t.kind', 'in', ['opened', 'alert_joined'])
      .where('t.at', 'in', part)
      .execute();
    for (const r of rows) {
      const data = r.data === null ? null : (JSON.parse(r.data) as { source?: unknown; fingerprint?: unknown });
      if (typeof data?.source !== 'string' || typeof data.fingerprint !== 'string') continue;
      out.push({ source: data.source, fingerprint: data.fingerprint, startsAt: Number(r.at), incidentId: Number(r.incident_id), priority: r.priority as Priority, incidentStatus: r.status as IncidentStatus });
    }
  }
  return followMerges(db, out);
}

/** How many merges in a row are followed (a cycle cannot be written, but a bound costs nothing). */
const MAX_MERGE_HOPS = 10;

/**
 * An episode whose incident was merged into another (by a person or by the correlator) counts
 * with the incident it was merged into, as its alerts now do.
 */
async function followMerges(db: Db, attachments: EpisodeAttachment[]): Promise<EpisodeAttachment[]> {
  let pending = attachments.filter((a) => a.incidentStatus === 'cancelled');
  for (let hop = 0; hop < MAX_MERGE_HOPS && pending.length > 0; hop++) {
    const into = await mergeTargets(db, pending.map((a) => a.incidentId));
    const targets = new Map<number, { priority: Priority; status: IncidentStatus }>();
    for (const part of chunks([...new Set(into.values())])) {
      for (const r of await db.selectFrom('incidents').select(['id', 'priority', 'status']).where('id', 'in', part).execute()) {
        targets.set(Number(r.id), { priority: r.priority as Priority, status: r.status as IncidentStatus });
      }
    }
    const next: EpisodeAttachment[] = [];
    for (const a of pending) {
      const id = into.get(a.incidentId);
      const target = id === undefined ? undefined : targets.get(id);
      if (id === undefined || !target) continue;
      Object.assign(a, { incidentId: id, priority: target.priority, incidentStatus: target.status });
      if (target.status === 'cancelled') next.push(a);
    }
    pending = next;
  }
  return attachments;
}

export interface TargetIncident {
  id: number;
  title: string;
  status: IncidentStatus;
  priority: Priority;
  service: string | null;
  openedAt: number;
  acknowledgedAt: number | null;
  resolvedAt: number | null;
}

const targetColumns = ['id', 'title', 'status', 'priority', 'service', 'opened_at', 'acknowledged_at', 'resolved_at'] as const;
function toTargetIncident(r: { id: number; title: string; status: string; priority: string; service: string | null; opened_at: number; acknowledged_at: number | null; resolved_at: number | null }): TargetIncident {
  return {
    id: Number(r.id),
    title: r.title,
    status: r.status as IncidentStatus,
    priority: r.priority as Priority,
    service: r.service,
    openedAt: Number(r.opened_at),
    acknowledgedAt: r.acknowledged_at === null ? null : Number(r.acknowledged_at),
    resolvedAt: r.resolved_at === null ? null : Number(r.resolved_at),
  };
}

/**
 * Incidents whose targets may still move: active ones, and those resolved since
 * `resolvedSince`. An incident made only of Sightline's SLA alerts (`sla-*`: a fast-burn
 * page, or a target alert of earlier versions) is left out: it is about the SLA itself.
 */
export async function incidentsWithRunningTargets(db: Db, resolvedSince: number, limit: number): Promise<TargetIncident[]> {
  const rows = await db
    .selectFrom('incidents as i')
    .select(targetColumns.map((c) => `i.${c}` as const))
    .where((eb) => eb.or([eb('i.status', 'in', ['open', 'acknowledged', 'on_hold']), eb('i.resolved_at', '>=', resolvedSince)]))
    .where(({ exists, selectFrom }) =>
      exists(
        selectFrom('alerts as a')
          .select('a.id')
          .whereRef('a.incident_id', '=', 'i.id')
          .where((eb) => eb.or([eb('a.source', '<>', 'sightline'), eb('a.fingerprint', 'not like', 'sla-%')])),
      ),
    )
    .orderBy('i.id', 'desc')
    .limit(limit)
    .execute();
  return rows.map(toTargetIncident);
}

/** Incidents whose primary service is one of `services`, opened in [from, to), oldest first; not fast-burn pages. */
export async function incidentsOpenedBetween(db: Db, services: readonly string[], from: number, to: number): Promise<TargetIncident[]> {
  const out: TargetIncident[] = [];
  for (const part of chunks(services)) {
    const rows = await db
      .selectFrom('incidents')
      .select([...targetColumns])
      .where('service', 'in', part)
      .where('opened_at', '>=', from)
      .where('opened_at', '<', to)
      .where('group_key', 'not like', SLA_PAGE_GROUPS)
      .orderBy('opened_at')
      .orderBy('id')
      .execute();
    out.push(...rows.map(toTargetIncident));
  }
  return out;
}

export async function findTargetIncident(db: Db, id: number): Promise<TargetIncident | null> {
  const row = await db.selectFrom('incidents').select([...targetColumns]).where('id', '=', id).executeTakeFirst();
  return row ? toTargetIncident(row) : null;
}

/** People's lifecycle actions (`data.action`) of the incidents, by incident. */
export async function lifecycleActions(db: Db, incidentIds: readonly number[]): Promise<Map<number, { at: number; action: string }[]>> {
  const out = new Map<number, { at: number; action: string }[]>();
  for (const part of chunks([...new Set(incidentIds)])) {
    const rows = await db
      .selectFrom('incident_timeline')
      .select(['incident_id', 'at', 'data'])
      .where('incident_id', 'in', part)
      .where('kind', 'in', ['on_hold', 'open', 'acknowledged', 'resolved', 'cancelled'])
      .where('data', 'is not', null)
      .orderBy('at')
      .orderBy('id')
      .execute();
    for (const r of rows) {
      const data = JSON.parse(r.data as string) as { action?: unknown };
      if (typeof data?.action !== 'string') continue;
      const id = Number(r.incident_id);
      const list = out.get(id);
      if (list) list.push({ at: Number(r.at), action: data.action });
      else out.set(id, [{ at: Number(r.at), action: data.action }]);
    }
  }
  return out;
}

/** Notices already written, as keys `<target>:<level>` by incident. */
export async function writtenNotices(db: Db, incidentIds: readonly number[]): Promise<Map<number, Set<string>>> {
  const out = new Map<number, Set<string>>();
  for (const part of chunks([...new Set(incidentIds)])) {
    const rows = await db.selectFrom('sla_target_notices').select(['incident_id', 'target', 'level']).where('incident_id', 'in', part).execute();
    for (const r of rows) {
      const id = Number(r.incident_id);
      out.set(id, (out.get(id) ?? new Set()).add(`${r.target}:${r.level}`));
    }
  }
  return out;
}

/** Records notices; says for each whether it was new (another writer may have recorded it first). */
export async function insertNotices(db: Db, notices: readonly { incidentId: number; target: string; level: string; at: number }[]): Promise<boolean[]> {
  const out: boolean[] = [];
  for (const n of notices) {
    const r = await db
      .insertInto('sla_target_notices')
      .values({ incident_id: n.incidentId, target: n.target, level: n.level, at: n.at })
      .onConflict((oc) => oc.columns(['incident_id', 'target', 'level']).doNothing())
      .executeTakeFirst();
    out.push(Number(r.numInsertedOrUpdatedRows ?? 0n) > 0);
  }
  return out;
}

/** Breached targets of incidents opened since `since`, by priority and target. */
export async function countBreachedTargets(db: Db, since: number): Promise<{ priority: string; target: string; count: number }[]> {
  const rows = await db
    .selectFrom('sla_target_notices as n')
    .innerJoin('incidents as i', 'i.id', 'n.incident_id')
    .select(['i.priority', 'n.target', (eb) => eb.fn.countAll().as('count')])
    .where('n.level', '=', 'breached')
    .where('i.opened_at', '>=', since)
    .groupBy(['i.priority', 'n.target'])
    .execute();
  return rows.map((r) => ({ priority: r.priority, target: r.target, count: Number(r.count) }));
}

/** An incident's response/resolution notices, in the order they were reached. */
export async function noticesOfIncident(db: Db, incidentId: number): Promise<{ target: string; level: string; at: number }[]> {
  const rows = await db.selectFrom('sla_target_notices').select(['target', 'level', 'at']).where('incident_id', '=', incidentId).orderBy('at').orderBy('target').execute();
  return rows.map((r) => ({ target: r.target, level: r.level, at: Number(r.at) }));
}

/** An incident that reached a service while it was open, for naming an outage's cause. */
export interface OutageIncident {
  id: number;
  title: string;
  priority: string;
  service: string;
  openedAt: number;
  resolvedAt: number | null;
}

/** Incidents that reached any of `services` and were open at some time in [from, to). */
export async function incidentsReachingDuring(db: Db, services: readonly string[], from: number, to: number): Promise<OutageIncident[]> {
  if (services.length === 0) return [];
  const rows = await db
    .selectFrom('incident_services as s')
    .innerJoin('incidents as i', 'i.id', 's.incident_id')
    .select(['i.id', 'i.title', 'i.priority', 's.service', 'i.opened_at', 'i.resolved_at'])
    .where('s.service', 'in', [...services])
    .where('i.opened_at', '<', to)
    .where((eb) => eb.or([eb('i.resolved_at', 'is', null), eb('i.resolved_at', '>', from)]))
    .where('i.status', '!=', 'cancelled')
    .orderBy('i.opened_at')
    .orderBy('i.id')
    .execute();
  return rows.map((r) => ({ id: r.id, title: r.title, priority: r.priority, service: r.service, openedAt: r.opened_at, resolvedAt: r.resolved_at }));
}
