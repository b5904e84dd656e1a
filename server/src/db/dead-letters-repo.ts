/** @module Events the correlation engine could not apply, set aside (see migration 022). */
import type { Kysely, Transaction } from 'kysely';
import type { StoredAlertEvent } from '../domain/alert.js';
import type { Database } from './schema.js';

type Db = Kysely<Database> | Transaction<Database>;

export interface DeadLetter {
  eventId: number;
  source: string;
  fingerprint: string;
  status: string;
  receivedAt: number;
  error: string;
  setAsideAt: number;
}

/** Sets an event aside (once: setting it aside again keeps the first record). */
export async function setAside(db: Db, event: StoredAlertEvent, error: string, at: number): Promise<void> {
  await db
    .insertInto('dead_letters')
    .values({ event_id: event.id, source: event.source, fingerprint: event.fingerprint, status: event.status, received_at: event.receivedAt, error: error.slice(0, 2000), set_aside_at: at })
    .onConflict((oc) => oc.column('event_id').doNothing())
    .execute();
}

/** The latest set-aside events first. */
export async function listDeadLetters(db: Db, limit: number): Promise<DeadLetter[]> {
  const rows = await db.selectFrom('dead_letters').selectAll().orderBy('event_id', 'desc').limit(limit).execute();
  return rows.map((r) => ({
    eventId: Number(r.event_id),
    source: r.source,
    fingerprint: r.fingerprint,
    status: r.status,
    receivedAt: Number(r.received_at),
    error: r.error,
    setAsideAt: Number(r.set_aside_at),
  }));
}

export async function countDeadLetters(db: Db): Promise<number> {
  const row = await db.selectFrom('dead_letters').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Removes an event's dead letter; false when there was none. */
export async function removeDeadLetter(db: Db, eventId: number): Promise<boolean> {
  const result = await db.deleteFrom('dead_letters').where('event_id', '=', eventId).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}
