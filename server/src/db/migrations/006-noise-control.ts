/** @module Silences and maintenance windows; suppression and flapping state of alerts. Frozen in time. */
import type { Kysely } from 'kysely';
import type { SqlDialect } from '../dialect.js';

export function noiseControlSchema(dialect: SqlDialect) {
  const ms = dialect === 'postgres' ? 'bigint' : 'integer';
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('silences')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('matchers', 'text', (c) => c.notNull())
        .addColumn('starts_at', ms, (c) => c.notNull())
        .addColumn('ends_at', ms, (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('comment', 'text', (c) => c.notNull())
        .addColumn('created_at', ms, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('silences_ends').on('silences').column('ends_at').execute();
      await db.schema.alterTable('alerts').addColumn('suppressed_by', 'text').execute();
      await db.schema.alterTable('alerts').addColumn('flapping', 'integer', (c) => c.notNull().defaultTo(0)).execute();
      await db.schema.alterTable('alerts').addColumn('flap_history', 'text').execute();
      await db.schema.createIndex('alerts_suppressed').on('alerts').columns(['suppressed_by', 'status']).execute();
    },
  };
}
