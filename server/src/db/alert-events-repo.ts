/** @module The append-only alert event log. */
import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import type { AlertEvent, AlertEventStatus, AlertSource, StoredAlertEvent } from '../domain/alert.js';
import { executeReused } from './reused-sql.js';
import type { AlertEventsTable, Database } from './schema.js';

type Db = Kysely<Database> | Transaction<Database>;

export type { StoredAlertEvent } from '../domain/alert.js';

/**
 * Appends events idempotently on (source, fingerprint, status, startsAt). A re-send of a
 * firing alert with a later `endsAt` extends its lease: the row is updated and queued for
 * the correlator again. Returns how many rows were new or changed.
 */
export async function appendAlertEvents(db: Db, events: readonly AlertEvent[], receivedAt: number): Promise<number> {
  return (await append(db, events, receivedAt, false)).length;
}

/**
 * As `appendAlertEvents` (`count`), also returning the newly inserted events as the correlator would read
 * them back (id included), so a caller on the same connection can hand them over without
 * a round trip through the table.
 */
export async function appendAlertEventsKept(db: Db, events: readonly AlertEvent[], receivedAt: number): Promise<{ count: number; events: StoredAlertEvent[] }> {
  if (events.length === 0) return { count: 0, events: [] };
  const rows = await append(db, events, receivedAt, true);
  const byIdentity = new Map<string, AlertEvent>();
  for (const e of events) {
    const key = identityOf(e.source, e.fingerprint, e.status, e.startsAt);
    if (!byIdentity.has(key)) byIdentity.set(key, e);
  }
  const kept: StoredAlertEvent[] = [];
  for (const r of rows as { id: number; source: string; fingerprint: string; status: string; starts_at: number; ends_at: number | null; revision: number }[]) {
    // Only new rows: an update changes the lease and keeps the first copy's other values,
    // which the caller may not have.
    if (r.revision !== 0) continue;
    const e = byIdentity.get(identityOf(r.source, r.fingerprint, r.status, r.starts_at));
    if (e) kept.push({ ...e, id: r.id, endsAt: r.ends_at, receivedAt, revision: 0 });
  }
  return { count: rows.length, events: kept };
}

/**
 * As `appendAlertEventsKept`, for a caller that applies the events in the same transaction:
 * they are stored as already correlated, and every new or changed event comes back, an
 * updated one (a lease extension) as stored (its first copy's labels, the new lease).
 */
export async function appendAlertEventsCorrelated(db: Db, events: readonly AlertEvent[], receivedAt: number): Promise<StoredAlertEvent[]> {
  if (events.length === 0) return [];
  const rows = (await append(db, events, receivedAt, true, 1)) as { id: number; source: string; fingerprint: string; status: string; starts_at: number; ends_at: number | null; revision: number }[];
  const byIdentity = new Map<string, AlertEvent>();
  for (const e of events) {
    const key = identityOf(e.source, e.fingerprint, e.status, e.startsAt);
    if (!byIdentity.has(key)) byIdentity.set(key, e);
  }
  const out: StoredAlertEvent[] = [];
  const updated: number[] = [];
  for (const r of rows) {
    const e = r.revision === 0 ? byIdentity.get(identityOf(r.source, r.fingerprint, r.status, r.starts_at)) : undefined;
    if (e) out.push({ ...e, id: r.id, endsAt: r.ends_at, receivedAt, revision: 0 });
    else updated.push(r.id);
  }
  if (updated.length === 0) return out;
  return [...out, ...(await alertEventsById(db, updated))].sort((a, b) => a.id - b.id);
}

const identityOf = (source: string, fingerprint: string, status: string, startsAt: number) => `${source}\u0000${fingerprint}\u0000${status}\u0000${startsAt}`;

/**
 * Rows per insert statement: 11 parameters each stay well under SQLite's limit of 32,766 bound
 * parameters (and PostgreSQL's 65,535) for a request of any allowed size.
 */
const APPEND_CHUNK = 1000;

/** `correlated`: 1 when the caller applies the events in the same transaction. */
async function append(db: Db, events: readonly AlertEvent[], receivedAt: number, keep: boolean, correlated: 0 | 1 = 0): Promise<unknown[]> {
  if (events.length === 0) return [];
  if (events.length > APPEND_CHUNK) {
    const out: unknown[] = [];
    for (let i = 0; i < events.length; i += APPEND_CHUNK) out.push(...(await append(db, events.slice(i, i + APPEND_CHUNK), receivedAt, keep, correlated)));
    return out;
  }
  const rows = events.map((e) => ({
    source: e.source,
    fingerprint: e.fingerprint,
    status: e.status,
    starts_at: e.startsAt,
    ends_at: e.endsAt,
    received_at: receivedAt,
    labels: JSON.stringify(e.labels),
    annotations: JSON.stringify(e.annotations),
    generator_url: e.generatorUrl,
    correlated,
    revision: 0,
  }));
  // The same values in kysely's order (row by row, then the update's), for executeReused.
  const parameters: unknown[] = [];
  for (const r of rows) {
    parameters.push(r.source, r.fingerprint, r.status, r.starts_at, r.ends_at, r.received_at, r.labels, r.annotations, r.generator_url, r.correlated, r.revision);
  }
  parameters.push(correlated);
  const insert = () =>
    db
      .insertInto('alert_events')
      .values(rows)
      .onConflict((oc) =>
        oc
          .columns(['source', 'fingerprint', 'status', 'starts_at'])
          .doUpdateSet({
            ends_at: sql`excluded.ends_at`,
            received_at: sql`excluded.received_at`,
            revision: sql`alert_events.revision + 1`,
            correlated,
          })
          .where(sql<boolean>`excluded.ends_at > alert_events.ends_at`),
      );
  const result = keep
    ? await executeReused(db, `alert_events.append-kept:${rows.length}`, parameters, () => insert().returning(['id', 'source', 'fingerprint', 'status', 'starts_at', 'ends_at', 'revision']))
    : await executeReused(db, `alert_events.append:${rows.length}`, parameters, () => insert().returning('id'));
  return result.rows;
}

/** True when any stored event waits for the correlator. */
export async function anyPendingEvent(db: Db): Promise<boolean> {
  return (await db.selectFrom('alert_events').select('id').where('correlated', '=', sql.lit(0)).limit(1).executeTakeFirst()) !== undefined;
}

/** The pending events' ids and revisions, oldest first (to match against events kept in memory). */
export async function pendingEventHeads(db: Db, limit: number): Promise<{ id: number; revision: number }[]> {
  return db.selectFrom('alert_events').select(['id', 'revision']).where('correlated', '=', sql.lit(0)).orderBy('id').limit(limit).execute();
}

/** Full events by id, in id order. */
export async function alertEventsById(db: Db, ids: readonly number[]): Promise<StoredAlertEvent[]> {
  const out: StoredAlertEvent[] = [];
  for (let i = 0; i < ids.length; i += 500) {
    const rows = await db.selectFrom('alert_events').selectAll().where('id', 'in', ids.slice(i, i + 500)).orderBy('id').execute();
    out.push(...rows.map(toStored));
  }
  return out;
}

function toStored(r: Selectable<AlertEventsTable>): StoredAlertEvent {
  return {
    id: r.id,
    source: r.source as AlertSource,
    fingerprint: r.fingerprint,
    status: r.status as AlertEventStatus,
    startsAt: r.starts_at,
    endsAt: r.ends_at,
    receivedAt: r.received_at,
    labels: JSON.parse(r.labels),
    annotations: JSON.parse(r.annotations),
    generatorUrl: r.generator_url,
    revision: r.revision,
  };
}

export async function pendingAlertEvents(db: Db, limit: number, lock = false): Promise<StoredAlertEvent[]> {
  const rows = await db
    .selectFrom('alert_events')
    .selectAll()
    .where('correlated', '=', sql.lit(0))
    .orderBy('id')
    .limit(limit)
    .$if(lock, (q) => q.forUpdate())
    .execute();
  return rows.map(toStored);
}

/**
 * Marks events applied. Safe without a revision check because the caller holds them: on
 * SQLite the whole batch runs on the single connection, on PostgreSQL the rows are locked
 * (`FOR UPDATE`), so a concurrent re-send waits and then queues the event again.
 */
export async function markEventsCorrelated(db: Db, ids: readonly number[]): Promise<void> {
  for (let i = 0; i < ids.length; i += 500) {
    await db.updateTable('alert_events').set({ correlated: 1 }).where('id', 'in', ids.slice(i, i + 500)).execute();
  }
}

/** When the oldest event not yet correlated was received; null when none waits. */
export async function oldestPendingReceivedAt(db: Db): Promise<number | null> {
  const row = await db.selectFrom('alert_events').select('received_at').where('correlated', '=', sql.lit(0)).orderBy('id').limit(1).executeTakeFirst();
  return row ? Number(row.received_at) : null;
}

export async function countPendingEvents(db: Db): Promise<number> {
  const row = await db.selectFrom('alert_events').select((eb) => eb.fn.countAll<number>().as('n')).where('correlated', '=', sql.lit(0)).executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function countAlertEvents(db: Db): Promise<number> {
  const row = await db.selectFrom('alert_events').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}
