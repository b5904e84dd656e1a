/** @module The queries behind `sightline replay`: reading a window of the log and the timeline. */
import type { Kysely, Transaction } from 'kysely';
import type { Database } from './schema.js';

type Db = Kysely<Database> | Transaction<Database>;

/** One page of the log: events whose alert started in [from, to), after `afterId`, in id order. */
export function readEventPage(db: Db, from: number, to: number, afterId: number, limit: number) {
  return db
    .selectFrom('alert_events')
    .select(['id', 'source', 'fingerprint', 'status', 'starts_at', 'ends_at', 'received_at', 'labels', 'annotations', 'generator_url'])
    .where('id', '>', afterId)
    .where('starts_at', '>=', from)
    .where('starts_at', '<', to)
    .orderBy('id')
    .limit(limit)
    .execute();
}

export type LogRow = Awaited<ReturnType<typeof readEventPage>>[number];

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
