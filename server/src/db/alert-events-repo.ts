/** @module The append-only alert event log. */
import { sql, type Kysely, type Transaction } from 'kysely';
import type { AlertEvent, AlertEventStatus, AlertSource } from '../domain/alert.js';
import { executeReused } from './reused-sql.js';
import type { Database } from './schema.js';

type Db = Kysely<Database> | Transaction<Database>;

export interface StoredAlertEvent extends AlertEvent {
  id: number;
  receivedAt: number;
  revision: number;
}

/**
 * Appends events idempotently on (source, fingerprint, status, startsAt). A re-send of a
 * firing alert with a later `endsAt` extends its lease: the row is updated and queued for
 * the correlator again. Returns how many rows were new or changed.
 */
export async function appendAlertEvents(db: Db, events: readonly AlertEvent[], receivedAt: number): Promise<number> {
  if (events.length === 0) return 0;
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
    correlated: 0,
    revision: 0,
  }));
  // The same values in kysely's order (row by row, then the update's), for executeReused.
  const parameters: unknown[] = [];
  for (const r of rows) {
    parameters.push(r.source, r.fingerprint, r.status, r.starts_at, r.ends_at, r.received_at, r.labels, r.annotations, r.generator_url, r.correlated, r.revision);
  }
  parameters.push(0);
  const result = await executeReused(db, `alert_events.append:${rows.length}`, parameters, () =>
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
            correlated: 0,
          })
          .where(sql<boolean>`excluded.ends_at > alert_events.ends_at`),
      )
      .returning('id'),
  );
  return result.rows.length;
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
  return rows.map((r) => ({
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
  }));
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

export async function countPendingEvents(db: Db): Promise<number> {
  const row = await db.selectFrom('alert_events').select((eb) => eb.fn.countAll<number>().as('n')).where('correlated', '=', sql.lit(0)).executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function countAlertEvents(db: Db): Promise<number> {
  const row = await db.selectFrom('alert_events').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}
