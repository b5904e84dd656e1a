/** @module Recurring silences and maintenance windows (see migration 028). */
import type { Kysely, Selectable, Transaction } from 'kysely';
import type { RecurringSilence } from '../domain/recurring-silence.js';
import type { SilenceKind } from '../domain/silence.js';
import type { Database } from './schema.js';

type Db = Kysely<Database> | Transaction<Database>;

function toRecurringSilence(r: Selectable<Database['recurring_silences']>): RecurringSilence {
  return {
    id: r.id,
    name: r.name,
    kind: r.kind as SilenceKind,
    matchers: JSON.parse(r.matchers),
    schedule: r.schedule,
    timeZone: r.time_zone,
    durationMs: Number(r.duration_ms),
    startsAt: Number(r.starts_at),
    endsAt: r.ends_at === null ? null : Number(r.ends_at),
    origin: r.origin as RecurringSilence['origin'],
    createdBy: r.created_by,
    comment: r.comment,
    createdAt: Number(r.created_at),
  };
}

export async function insertRecurringSilence(db: Db, r: RecurringSilence): Promise<void> {
  await db
    .insertInto('recurring_silences')
    .values({
      id: r.id,
      name: r.name,
      kind: r.kind,
      matchers: JSON.stringify(r.matchers),
      schedule: r.schedule,
      time_zone: r.timeZone,
      duration_ms: r.durationMs,
      starts_at: r.startsAt,
      ends_at: r.endsAt,
      origin: r.origin,
      created_by: r.createdBy,
      comment: r.comment,
      created_at: r.createdAt,
    })
    .execute();
}

/** Those still in force after `after` (open-ended or ending later), oldest first; bounded, as such a list is small. */
export async function recurringSilencesEndingAfter(db: Db, after: number): Promise<RecurringSilence[]> {
  const rows = await db
    .selectFrom('recurring_silences')
    .selectAll()
    .where((eb) => eb.or([eb('ends_at', 'is', null), eb('ends_at', '>', after)]))
    .orderBy('created_at')
    .orderBy('id')
    .limit(1000)
    .execute();
  return rows.map(toRecurringSilence);
}

export async function findRecurringSilence(db: Db, id: string): Promise<RecurringSilence | null> {
  const row = await db.selectFrom('recurring_silences').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? toRecurringSilence(row) : null;
}

export async function endRecurringSilence(db: Db, id: string, at: number): Promise<void> {
  await db.updateTable('recurring_silences').set({ ends_at: at }).where('id', '=', id).execute();
}
