/** @module On-call: people, schedules (their definition as JSON) and overrides. Frozen in time. */
import type { Kysely, Migration } from 'kysely';
import type { SqlDialect } from '../dialect.js';

export function oncallSchema(dialect: SqlDialect): Migration {
  const pg = dialect === 'postgres';
  const ms = pg ? 'bigint' : 'integer';
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('oncall_users')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('email', 'text')
        .addColumn('slack', 'text')
        .addColumn('teams', 'text')
        .addColumn('time_zone', 'text', (c) => c.notNull())
        .addColumn('updated_at', ms, (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('oncall_schedules')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('definition', 'text', (c) => c.notNull())
        .addColumn('updated_at', ms, (c) => c.notNull())
        .execute();
      await (pg
        ? db.schema.createTable('oncall_overrides').addColumn('id', 'bigserial', (c) => c.primaryKey())
        : db.schema.createTable('oncall_overrides').addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
      )
        .addColumn('schedule', 'text', (c) => c.notNull())
        .addColumn('user_name', 'text', (c) => c.notNull())
        .addColumn('starts_at', ms, (c) => c.notNull())
        .addColumn('ends_at', ms, (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('created_at', ms, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('oncall_overrides_schedule_end').on('oncall_overrides').columns(['schedule', 'ends_at']).execute();
    },
    async down(db: Kysely<any>): Promise<void> {
      await db.schema.dropTable('oncall_overrides').execute();
      await db.schema.dropTable('oncall_schedules').execute();
      await db.schema.dropTable('oncall_users').execute();
    },
  };
}
