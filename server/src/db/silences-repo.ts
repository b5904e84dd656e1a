/** @module Silences and maintenance windows. */
import type { Kysely, Selectable, Transaction } from 'kysely';
import { clampSilenceTime, type Silence, type SilenceKind } from '../domain/silence.js';
import type { Database } from './schema.js';

type Db = Kysely<Database> | Transaction<Database>;

function toSilence(r: Selectable<Database['silences']>): Silence {
  return {
    id: r.id,
    kind: r.kind as SilenceKind,
    matchers: JSON.parse(r.matchers),
    startsAt: clampSilenceTime(r.starts_at),
    endsAt: clampSilenceTime(r.ends_at),
    createdBy: r.created_by,
    comment: r.comment,
    createdAt: r.created_at,
  };
}

export async function insertSilence(db: Db, s: Silence): Promise<void> {
  await db
    .insertInto('silences')
    .values({ id: s.id, kind: s.kind, matchers: JSON.stringify(s.matchers), starts_at: s.startsAt, ends_at: s.endsAt, created_by: s.createdBy, comment: s.comment, created_at: s.createdAt })
    .execute();
}

/** Silences that end after `after`, oldest first (bounded: a silence list is small). */
export async function silencesEndingAfter(db: Db, after: number): Promise<Silence[]> {
  const rows = await db.selectFrom('silences').selectAll().where('ends_at', '>', after).orderBy('created_at').orderBy('id').limit(10_000).execute();
  return rows.map(toSilence);
}

export async function listSilences(db: Db, limit: number): Promise<Silence[]> {
  const rows = await db.selectFrom('silences').selectAll().orderBy('created_at', 'desc').orderBy('id').limit(limit).execute();
  return rows.map(toSilence);
}

export async function findSilence(db: Db, id: string): Promise<Silence | null> {
  const row = await db.selectFrom('silences').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? toSilence(row) : null;
}

export async function endSilence(db: Db, id: string, at: number): Promise<void> {
  await db.updateTable('silences').set({ ends_at: at }).where('id', '=', id).execute();
}
