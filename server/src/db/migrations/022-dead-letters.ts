/**
 * @module Events the correlation engine could not apply (it threw on them): set aside with
 * the error, so one bad event never stops correlation. Frozen in time.
 */
import type { Kysely, Migration } from 'kysely';
import type { SqlDialect } from '../dialect.js';

export function deadLetters(dialect: SqlDialect): Migration {
  const pg = dialect === 'postgres';
  const ms = pg ? 'bigint' : 'integer';
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('dead_letters')
        .addColumn('event_id', ms, (c) => c.primaryKey())
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('fingerprint', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('received_at', ms, (c) => c.notNull())
        .addColumn('error', 'text', (c) => c.notNull())
        .addColumn('set_aside_at', ms, (c) => c.notNull())
        .execute();
    },
    async down(db: Kysely<any>): Promise<void> {
      await db.schema.dropTable('dead_letters').execute();
    },
  };
}
