/** @module On-call people, schedules and overrides (see migration 035). */
import type { Kysely, Transaction } from 'kysely';
import type { OnCallUser, ScheduleOverride } from '../domain/oncall.js';
import type { Database } from './schema.js';

type Db = Kysely<Database> | Transaction<Database>;

export async function upsertOnCallUser(db: Db, user: OnCallUser, at: number): Promise<void> {
  const row = { email: user.email, slack: user.slack, teams: user.teams, time_zone: user.timeZone, updated_at: at };
  await db
    .insertInto('oncall_users')
    .values({ name: user.name, ...row })
    .onConflict((oc) => oc.column('name').doUpdateSet(row))
    .execute();
}

export async function listOnCallUsers(db: Db): Promise<OnCallUser[]> {
  const rows = await db.selectFrom('oncall_users').selectAll().orderBy('name').execute();
  return rows.map((r) => ({ name: r.name, email: r.email, slack: r.slack, teams: r.teams, timeZone: r.time_zone }));
}

/** A stored schedule's definition (JSON as written), or null. */
export async function findScheduleDefinition(db: Db, name: string): Promise<unknown | null> {
  const row = await db.selectFrom('oncall_schedules').select('definition').where('name', '=', name).executeTakeFirst();
  return row ? JSON.parse(row.definition) : null;
}

export async function listScheduleDefinitions(db: Db): Promise<{ name: string; definition: unknown }[]> {
  const rows = await db.selectFrom('oncall_schedules').select(['name', 'definition']).orderBy('name').execute();
  return rows.map((r) => ({ name: r.name, definition: JSON.parse(r.definition) }));
}

export async function upsertScheduleDefinition(db: Db, name: string, definition: unknown, at: number): Promise<void> {
  const text = JSON.stringify(definition);
  await db
    .insertInto('oncall_schedules')
    .values({ name, definition: text, updated_at: at })
    .onConflict((oc) => oc.column('name').doUpdateSet({ definition: text, updated_at: at }))
    .execute();
}

/** Removes a schedule and its overrides; false when there was none. */
export async function deleteSchedule(db: Db, name: string): Promise<boolean> {
  await db.deleteFrom('oncall_overrides').where('schedule', '=', name).execute();
  const result = await db.deleteFrom('oncall_schedules').where('name', '=', name).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

export async function insertOverride(db: Db, schedule: string, o: Omit<ScheduleOverride, 'id'>, createdBy: string, at: number): Promise<number> {
  const row = await db
    .insertInto('oncall_overrides')
    .values({ schedule, user_name: o.user, starts_at: o.from, ends_at: o.to, created_by: createdBy, created_at: at })
    .returning('id')
    .executeTakeFirstOrThrow();
  return Number(row.id);
}

export async function deleteOverride(db: Db, schedule: string, id: number): Promise<boolean> {
  const result = await db.deleteFrom('oncall_overrides').where('schedule', '=', schedule).where('id', '=', id).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

/** A schedule's overrides that end after `after`, in the order they were made. */
export async function overridesEndingAfter(db: Db, schedule: string, after: number): Promise<ScheduleOverride[]> {
  const rows = await db.selectFrom('oncall_overrides').selectAll().where('schedule', '=', schedule).where('ends_at', '>', after).orderBy('id').limit(10_000).execute();
  return rows.map((r) => ({ id: Number(r.id), user: r.user_name, from: Number(r.starts_at), to: Number(r.ends_at) }));
}
