/**
 * @module The append-only alert event log. A sender's 2xx needs the appended rows and
 * nothing else: no index but the primary key is written per event, and nothing is updated.
 * The correlator reads the log in id order from its cursor (`correlation_cursor`) and
 * advances the cursor in the transaction that writes what the events changed.
 *
 * Ids in commit order: on SQLite one writer at a time gives ids in commit order. On
 * PostgreSQL replicas append concurrently, and a row with a smaller id may commit after one
 * with a larger id; so every append holds a shared advisory lock for its transaction, and the
 * correlator reads only up to a horizon it takes under the exclusive lock (a barrier that
 * waits for the appends in flight and holds new ones for an instant): every id up to it is
 * then committed or gone, and later appends get larger ids from the sequence.
 */
import { PostgresAdapter, sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import type { AlertEvent, AlertEventStatus, AlertSource, StoredAlertEvent } from '../domain/alert.js';
import { executeReused } from './reused-sql.js';
import type { AlertEventsTable, Database } from './schema.js';

type Db = Kysely<Database> | Transaction<Database>;

export type { StoredAlertEvent } from '../domain/alert.js';

/** The id of the last event the correlator applied. */
export interface LogCursor {
  id: number;
}

/**
 * Rows per insert statement: 9 parameters each stay well under SQLite's limit of 32,766 bound
 * parameters (and PostgreSQL's 65,535) for a request of any allowed size.
 */
const APPEND_CHUNK = 1000;

/** The advisory lock key of the log's append barrier (any constant that is Sightline's own). */
const APPEND_LOCK = 7_110_245_901;

const isPostgres = (db: Db) => db.getExecutor().adapter instanceof PostgresAdapter;

/** Appends events (in the given order); returns them as stored, ids included. */
export async function appendAlertEvents(db: Db, events: readonly AlertEvent[], receivedAt: number): Promise<StoredAlertEvent[]> {
  if (events.length === 0) return [];
  if (isPostgres(db)) {
    // The barrier's shared side lasts for the transaction: one is needed.
    if (!db.isTransaction) return db.transaction().execute((trx) => appendAlertEvents(trx, events, receivedAt));
    await sql`select pg_advisory_xact_lock_shared(${APPEND_LOCK})`.execute(db);
  }
  const out: StoredAlertEvent[] = [];
  for (let i = 0; i < events.length; i += APPEND_CHUNK) {
    const chunk = events.slice(i, i + APPEND_CHUNK);
    const rows = chunk.map((e) => ({
      source: e.source,
      fingerprint: e.fingerprint,
      status: e.status,
      starts_at: e.startsAt,
      ends_at: e.endsAt,
      received_at: receivedAt,
      labels: JSON.stringify(e.labels),
      annotations: JSON.stringify(e.annotations),
      generator_url: e.generatorUrl,
    }));
    const parameters: unknown[] = [];
    for (const r of rows) parameters.push(r.source, r.fingerprint, r.status, r.starts_at, r.ends_at, r.received_at, r.labels, r.annotations, r.generator_url);
    const result = await executeReused(db, `alert_events.append:${rows.length}`, parameters, () => db.insertInto('alert_events').values(rows).returning('id'));
    // One statement numbers its rows in the order of its values.
    const ids = (result.rows as { id: number | string }[]).map((r) => Number(r.id)).sort((a, b) => a - b);
    chunk.forEach((e, k) => out.push({ ...e, id: ids[k] as number, receivedAt }));
  }
  return out;
}

/**
 * PostgreSQL: the largest id below which every append has ended (see the module note). Takes
 * the barrier's exclusive side for an instant on a connection of its own, outside any
 * transaction, so a failed statement can never leave the lock held.
 */
export async function committedHorizon(root: Kysely<Database>): Promise<number> {
  return root.connection().execute(async (conn) => {
    await sql`select pg_advisory_lock(${APPEND_LOCK})`.execute(conn);
    try {
      const { rows } = await sql<{ id: string | null }>`select max(id) as id from alert_events`.execute(conn);
      return Number(rows[0]?.id ?? 0);
    } finally {
      await sql`select pg_advisory_unlock(${APPEND_LOCK})`.execute(conn);
    }
  });
}

export async function readLogCursor(db: Db): Promise<LogCursor> {
  const row = await db.selectFrom('correlation_cursor').select('applied_id').where('id', '=', 1).executeTakeFirst();
  return { id: Number(row?.applied_id ?? 0) };
}

/** Moves the cursor to `cursor` (the last event applied), in the transaction that wrote what it changed. */
export async function advanceLogCursor(db: Db, cursor: LogCursor): Promise<void> {
  await db.updateTable('correlation_cursor').set({ applied_id: cursor.id }).where('id', '=', 1).execute();
}

/** A log row as the correlator reads it. */
export function storedEvent(r: Selectable<AlertEventsTable>): StoredAlertEvent {
  return {
    id: Number(r.id),
    source: r.source as AlertSource,
    fingerprint: r.fingerprint,
    status: r.status as AlertEventStatus,
    startsAt: Number(r.starts_at),
    endsAt: r.ends_at === null ? null : Number(r.ends_at),
    receivedAt: Number(r.received_at),
    labels: JSON.parse(r.labels),
    annotations: JSON.parse(r.annotations),
    generatorUrl: r.generator_url,
  };
}

/** The next events after `cursor` in log order (up to `limit`, and up to `horizon` when given: see `committedHorizon`). */
export async function eventsAfter(db: Db, cursor: LogCursor, limit: number, horizon: number | null = null): Promise<StoredAlertEvent[]> {
  if (horizon !== null && horizon <= cursor.id) return [];
  const rows = await db
    .selectFrom('alert_events')
    .selectAll()
    .where('id', '>', cursor.id)
    .$if(horizon !== null, (q) => q.where('id', '<=', horizon as number))
    .orderBy('id')
    .limit(limit)
    .execute();
  return rows.map(storedEvent);
}

/** The ids of the next events after `cursor` (SQLite: to take kept events from memory). */
export async function eventIdsAfter(db: Db, cursor: LogCursor, limit: number): Promise<number[]> {
  const rows = await db.selectFrom('alert_events').select('id').where('id', '>', cursor.id).orderBy('id').limit(limit).execute();
  return rows.map((r) => Number(r.id));
}

/** Full events by id, in id order. */
export async function alertEventsById(db: Db, ids: readonly number[]): Promise<StoredAlertEvent[]> {
  const out: StoredAlertEvent[] = [];
  for (let i = 0; i < ids.length; i += 500) {
    const rows = await db.selectFrom('alert_events').selectAll().where('id', 'in', ids.slice(i, i + 500)).orderBy('id').execute();
    out.push(...rows.map(storedEvent));
  }
  return out;
}

/** True when any stored event waits for the correlator (SQLite). */
export async function anyPendingEvent(db: Db): Promise<boolean> {
  const row = await db
    .selectFrom('alert_events')
    .select('id')
    .where('id', '>', (eb) => eb.selectFrom('correlation_cursor').select('applied_id').where('id', '=', 1))
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

/** Events stored and not yet applied. */
export async function countPendingEvents(db: Db): Promise<number> {
  const cursor = await readLogCursor(db);
  const row = await db.selectFrom('alert_events').select((eb) => eb.fn.countAll<number>().as('n')).where('id', '>', cursor.id).executeTakeFirstOrThrow();
  return Number(row.n);
}

/** When the oldest event not yet applied was received; null when none waits. */
export async function oldestPendingReceivedAt(db: Db): Promise<number | null> {
  const cursor = await readLogCursor(db);
  const row = await db.selectFrom('alert_events').select('received_at').where('id', '>', cursor.id).orderBy('id').limit(1).executeTakeFirst();
  return row ? Number(row.received_at) : null;
}

export async function countAlertEvents(db: Db): Promise<number> {
  const row = await db.selectFrom('alert_events').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

/**
 * Log retention: of the `limit` oldest events the correlator has applied (Sightline's own
 * left out), deletes those received before `before` (never one it has not applied). Returns how many it looked at and
 * how many went; the caller stops once a round deletes fewer than it looked at (the log is in
 * arrival order, give or take a moment).
 */
export async function deleteAppliedEvents(db: Db, before: number, limit: number): Promise<{ examined: number; deleted: number }> {
  const cursor = await readLogCursor(db);
  // Sightline's own events stay: they are few, and the latest of each is its alert's state
  // (internal-alerts-repo). They are skipped in the query, so the ones kept at the front of the
  // log never fill a round and stop the trim.
  const oldest = await db.selectFrom('alert_events').select(['id', 'received_at']).where('id', '<=', cursor.id).where('source', '!=', 'sightline').orderBy('id').limit(limit).execute();
  const doomed = oldest.filter((r) => Number(r.received_at) < before).map((r) => Number(r.id));
  for (let i = 0; i < doomed.length; i += 500) await db.deleteFrom('alert_events').where('id', 'in', doomed.slice(i, i + 500)).execute();
  return { examined: oldest.length, deleted: doomed.length };
}
