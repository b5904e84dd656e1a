/** @module The latest logged event of each of Sightline's own alerts of one family. */
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from './schema.js';

type Db = Kysely<Database> | Transaction<Database>;

export interface LatestInternalEvent {
  fingerprint: string;
  status: 'firing' | 'resolved';
  startsAt: number;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

/**
 * The event log, not the alerts table, is the truth here: an event appended a moment ago
 * and not yet applied by the correlator must already count, or it would be raised twice.
 * Sightline's own events have a partial index (compared with the literal for the planner).
 */
export async function latestInternalEvents(db: Db, family: string): Promise<LatestInternalEvent[]> {
  const prefix = `${family.replace(/[\\%_]/g, (c) => `\\${c}`)}:%`;
  const latest = db
    .selectFrom('alert_events')
    .select((eb) => eb.fn.max('id').as('id'))
    .where('source', '=', sql.lit('sightline'))
    .where(sql<boolean>`fingerprint like ${prefix} escape '\\'`)
    .groupBy('fingerprint');
  const rows = await db
    .selectFrom('alert_events')
    .select(['fingerprint', 'status', 'starts_at', 'labels', 'annotations'])
    .where('id', 'in', latest)
    .execute();
  return rows.map((r) => ({ fingerprint: r.fingerprint, status: r.status as LatestInternalEvent['status'], startsAt: r.starts_at, labels: JSON.parse(r.labels), annotations: JSON.parse(r.annotations) }));
}
