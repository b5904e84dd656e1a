/** @module The queries behind `sightline replay`: reading a window of the log and timeline, filling a scratch log. */
import type { Kysely, Transaction } from 'kysely';
import type { Database } from './schema.js';

type Db = Kysely<Database> | Transaction<Database>;

/** One page of the log: events whose alert started in [from, to), after `afterId`, in id order. */
export function readEventPage(db: Db, from: number, to: number, afterId: number, limit: number) {
  return db
    .selectFrom('alert_events')
    .select(['id', 'source', 'fingerprint', 'status', 'starts_at', 'ends_at', 'received_at', 'labels', 'annotations', 'generator_url', 'revision'])
    .where('id', '>', afterId)
    .where('starts_at', '>=', from)
    .where('starts_at', '<', to)
    .orderBy('id')
    .limit(limit)
    .execute();
}

export type LogRow = Awaited<ReturnType<typeof readEventPage>>[number];

/** Appends copies of log rows held back from the correlator (correlated = 1); returns the new ids. */
export async function insertHeldEvents(db: Db, rows: readonly Omit<LogRow, 'id'>[]): Promise<number[]> {
  const values = rows.map((r) => ({ ...r, starts_at: Number(r.starts_at), ends_at: r.ends_at === null ? null : Number(r.ends_at), received_at: Number(r.received_at), correlated: 1 }));
  const inserted = await db.insertInto('alert_events').values(values).returning('id').execute();
  return inserted.map((r) => Number(r.id));
}

/** Hands the held events with ids in [firstId, lastId] to the correlator. */
export async function releaseEvents(db: Db, firstId: number, lastId: number): Promise<void> {
  await db.updateTable('alert_events').set({ correlated: 0 }).where('id', '>=', firstId).where('id', '<=', lastId).execute();
}

/** Timeline entries of the given kinds with event time in [from, to), after `afterId`, in id order. */
export function timelinePage(db: Db, kinds: readonly string[], from: number, to: number, afterId: number, limit: number) {
  return db
    .selectFrom('incident_timeline')
    .select(['id', 'incident_id', 'at', 'data'])
    .where('kind', 'in', [...kinds])
    .where('at', '>=', from)
    .where('at', '<', to)
    .where('id', '>', afterId)
    .orderBy('id')
    .limit(limit)
    .execute();
}

export function incidentTitles(db: Db, ids: readonly number[]) {
  return db.selectFrom('incidents').select(['id', 'title', 'opened_at']).where('id', 'in', [...ids]).execute();
}

/** Timeline entries of `kinds` written by people (not the correlator) on the given incidents. */
export async function countOperatorEntries(db: Db, incidentIds: readonly number[], kinds: readonly string[]): Promise<number> {
  const row = await db
    .selectFrom('incident_timeline')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('incident_id', 'in', [...incidentIds])
    .where('kind', 'in', [...kinds])
    .where('actor', '<>', 'sightline')
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
