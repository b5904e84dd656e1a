/**
 * @module The queries behind `sightline replay --rebuild`: reading the whole log, clearing the
 * derived tables and writing them again, in the caller's transaction.
 */
import { sql, type Transaction } from 'kysely';
import type { TimelineEntry } from '../domain/incident.js';
import type { SqlDialect } from './dialect.js';
import type { Database } from './schema.js';

type Trx = Transaction<Database>;

/** One page of the log after `afterId` (and up to `upTo`), in id order. */
export function logPage(trx: Trx, afterId: number, upTo: number | null, limit: number) {
  return trx
    .selectFrom('alert_events')
    .selectAll()
    .where('id', '>', afterId)
    .$if(upTo !== null, (q) => q.where('id', '<=', upTo as number))
    .orderBy('id')
    .limit(limit)
    .execute();
}

export async function countLog(trx: Trx, upTo: number | null): Promise<number> {
  const row = await trx
    .selectFrom('alert_events')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .$if(upTo !== null, (q) => q.where('id', '<=', upTo as number))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Ids of the events the correlator set aside. */
export async function deadLetterIds(trx: Trx): Promise<Set<number>> {
  const rows = await trx.selectFrom('dead_letters').select('event_id').execute();
  return new Set(rows.map((r) => Number(r.event_id)));
}

/** Timeline entries written by anyone but the correlator (people, senders' acknowledgements, silences' authors). */
export async function entriesNotBySightline(trx: Trx): Promise<{ kind: string; actor: string; data: string | null }[]> {
  return trx.selectFrom('incident_timeline').select(['kind', 'actor', 'data']).where('actor', '<>', sql.lit('sightline')).execute();
}

/**
 * The earliest first sighting of an alert and the earliest arrival in the log (Sightline's own
 * alerts aside: they never leave the log). An alert seen before the log's first event lost its
 * history to the log's retention.
 */
export async function logCoverage(trx: Trx): Promise<{ alerts: number; firstSeen: number | null; firstLogged: number | null }> {
  const alerts = await trx
    .selectFrom('alerts')
    .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.min('first_seen_at').as('first')])
    .where('source', '<>', sql.lit('sightline'))
    .executeTakeFirstOrThrow();
  const log = await trx.selectFrom('alert_events').select((eb) => eb.fn.min('received_at').as('first')).where('source', '<>', sql.lit('sightline')).executeTakeFirstOrThrow();
  const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  return { alerts: Number(alerts.n), firstSeen: num(alerts.first), firstLogged: num(log.first) };
}

export async function maxTimelineId(trx: Trx): Promise<number> {
  const row = await trx.selectFrom('incident_timeline').select((eb) => eb.fn.max('id').as('id')).executeTakeFirst();
  return Number(row?.id ?? 0);
}

/**
 * Empties the derived tables: alerts, their past episodes, incidents, their services and
 * hosts, and the timeline entries of `kinds`; other entries (written by other jobs) stay
 * unless their incident is gone after the rebuild (see `dropOrphanEntries`).
 */
export async function clearDerivedState(trx: Trx, kinds: readonly string[]): Promise<void> {
  await trx.deleteFrom('alerts').execute();
  await trx.deleteFrom('alert_past_episodes').execute();
  await trx.deleteFrom('incidents').execute();
  await trx.deleteFrom('incident_services').execute();
  await trx.deleteFrom('incident_hosts').execute();
  await trx.deleteFrom('incident_timeline').where('kind', 'in', [...kinds]).execute();
}

/** Timeline entries left pointing at no incident; returns how many went. */
export async function dropOrphanEntries(trx: Trx): Promise<number> {
  const result = await trx
    .deleteFrom('incident_timeline')
    .where((eb) => eb.not(eb.exists(eb.selectFrom('incidents').select('incidents.id').whereRef('incidents.id', '=', 'incident_timeline.incident_id'))))
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** Appends timeline entries with ids `firstId`, `firstId + 1`, … in the given order. */
export async function insertTimelineWithIds(trx: Trx, entries: readonly Omit<TimelineEntry, 'id'>[], firstId: number): Promise<void> {
  for (let i = 0; i < entries.length; i += 500) {
    const rows = entries.slice(i, i + 500).map((e, k) => ({
      id: firstId + i + k,
      incident_id: e.incidentId,
      at: e.at,
      kind: e.kind,
      actor: e.actor,
      message: e.message,
      data: e.data === undefined || e.data === null ? null : JSON.stringify(e.data),
    }));
    await trx.insertInto('incident_timeline').values(rows).execute();
  }
}

/** Every notification cursor moves past `position`: entries up to there are history, not news. */
export async function moveNotificationCursors(trx: Trx, position: number, now: number): Promise<void> {
  await trx.updateTable('notification_cursor').set({ position, gaps: '[]', updated_at: now }).where('position', '<', position).execute();
}

/** PostgreSQL: moves the id sequences past the rows written with explicit ids. */
export async function advanceSequences(trx: Trx, dialect: SqlDialect): Promise<void> {
  if (dialect !== 'postgres') return;
  for (const table of ['alerts', 'incidents', 'incident_timeline'] as const) {
    await sql`select setval(pg_get_serial_sequence(${table}, 'id'), greatest((select max(id) from ${sql.table(table)}), 1))`.execute(trx);
  }
}
