/**
 * @module Recurring silences and maintenance windows: matchers over a cron schedule in an IANA
 * time zone, each occurrence lasting `duration_ms`, in force from `starts_at` until `ends_at`
 * (null: open-ended). Ended, never deleted, so a rebuild sees the occurrences that were. Frozen in time.
 */
import type { Kysely, Migration } from 'kysely';
import type { SqlDialect } from '../dialect.js';

export function recurringSilencesSchema(dialect: SqlDialect): Migration {
  const ms = dialect === 'postgres' ? 'bigint' : 'integer';
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('recurring_silences')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('matchers', 'text', (c) => c.notNull())
        .addColumn('schedule', 'text', (c) => c.notNull())
        .addColumn('time_zone', 'text', (c) => c.notNull())
        .addColumn('duration_ms', ms, (c) => c.notNull())
        .addColumn('starts_at', ms, (c) => c.notNull())
        .addColumn('ends_at', ms)
        .addColumn('origin', 'text', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('comment', 'text', (c) => c.notNull())
        .addColumn('created_at', ms, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('recurring_silences_ends').on('recurring_silences').columns(['ends_at']).execute();
    },
    async down(db: Kysely<any>): Promise<void> {
      await db.schema.dropTable('recurring_silences').execute();
    },
  };
}
