/**
 * @module Changes on services (deploys, configuration, feature flags, infrastructure), recorded
 * as they are reported: an input of correlation like silences, not derived state. Frozen in time.
 */
import type { Kysely, Migration } from 'kysely';
import type { SqlDialect } from '../dialect.js';

export function changesSchema(dialect: SqlDialect): Migration {
  const pg = dialect === 'postgres';
  const ms = pg ? 'bigint' : 'integer';
  return {
    async up(db: Kysely<any>): Promise<void> {
      await (pg
        ? db.schema.createTable('changes').addColumn('id', 'bigserial', (c) => c.primaryKey())
        : db.schema.createTable('changes').addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
      )
        .addColumn('service', 'text', (c) => c.notNull())
        .addColumn('summary', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('started_at', ms, (c) => c.notNull())
        .addColumn('finished_at', ms)
        .addColumn('version', 'text')
        .addColumn('author', 'text')
        .addColumn('links', 'text', (c) => c.notNull())
        .addColumn('labels', 'text', (c) => c.notNull())
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('received_at', ms, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('changes_service_started').on('changes').columns(['service', 'started_at']).execute();
      await db.schema.createIndex('changes_started').on('changes').columns(['started_at']).execute();
    },
    async down(db: Kysely<any>): Promise<void> {
      await db.schema.dropTable('changes').execute();
    },
  };
}
