/** @module Changes on services (see migration 027): recorded by the intakes, read by the incident views. */
import type { Kysely, Selectable, Transaction } from 'kysely';
import type { Change, ChangeKind, NewChange } from '../domain/change.js';
import type { Database } from './schema.js';

type Db = Kysely<Database> | Transaction<Database>;

function toChange(r: Selectable<Database['changes']>): Change {
  return {
    id: Number(r.id),
    service: r.service,
    summary: r.summary,
    kind: r.kind as ChangeKind,
    startedAt: Number(r.started_at),
    finishedAt: r.finished_at === null ? null : Number(r.finished_at),
    version: r.version,
    author: r.author,
    links: JSON.parse(r.links),
    labels: JSON.parse(r.labels),
    source: r.source,
    receivedAt: Number(r.received_at),
  };
}

/** Records a change and returns its id. */
export async function insertChange(db: Db, c: NewChange): Promise<number> {
  const row = await db
    .insertInto('changes')
    .values({
      service: c.service,
      summary: c.summary,
      kind: c.kind,
      started_at: c.startedAt,
      finished_at: c.finishedAt,
      version: c.version,
      author: c.author,
      links: JSON.stringify(c.links),
      labels: JSON.stringify(c.labels),
      source: c.source,
      received_at: c.receivedAt,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return Number(row.id);
}

export async function findChange(db: Db, id: number): Promise<Change | null> {
  const row = await db.selectFrom('changes').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? toChange(row) : null;
}

export interface ChangeQuery {
  service?: string;
  /** Only changes started at or after this time. */
  since?: number;
  /** Keyset cursor: only changes with a smaller id (the listing is newest first). */
  beforeId?: number;
  limit: number;
}

/** Changes newest first (by id, so a cursor pages stably while new ones arrive). */
export async function listChanges(db: Db, q: ChangeQuery): Promise<Change[]> {
  let query = db.selectFrom('changes').selectAll();
  if (q.service !== undefined) query = query.where('service', '=', q.service);
  if (q.since !== undefined) query = query.where('started_at', '>=', q.since);
  if (q.beforeId !== undefined) query = query.where('id', '<', q.beforeId);
  const rows = await query.orderBy('id', 'desc').limit(q.limit).execute();
  return rows.map(toChange);
}

/**
 * Changes started in [from, to] on any of `services` (every service when null), oldest first;
 * bounded, since a look-back window holds few changes.
 */
export async function changesStartedBetween(db: Db, services: readonly string[] | null, from: number, to: number, limit = 1_000): Promise<Change[]> {
  if (services !== null && services.length === 0) return [];
  let query = db.selectFrom('changes').selectAll().where('started_at', '>=', from).where('started_at', '<=', to);
  if (services !== null) query = query.where('service', 'in', services);
  const rows = await query.orderBy('started_at').orderBy('id').limit(limit).execute();
  return rows.map(toChange);
}
