/**
 * @module Capacity rollups (5-minute and hourly buckets keeping sum, count and max) and
 * the last cumulative counter reading per host, from which rates are derived. Frozen in time.
 */
import type { Kysely } from 'kysely';
import type { SqlDialect } from '../dialect.js';

export function capacitySchema(dialect: SqlDialect) {
  const ms = dialect === 'postgres' ? 'bigint' : 'integer';
  const real = dialect === 'postgres' ? 'double precision' : 'real';
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('capacity_rollups')
        .addColumn('host', 'text', (c) => c.notNull())
        .addColumn('resource', 'text', (c) => c.notNull())
        .addColumn('mountpoint', 'text', (c) => c.notNull())
        .addColumn('resolution', 'text', (c) => c.notNull())
        .addColumn('bucket_start', ms, (c) => c.notNull())
        .addColumn('sum', real, (c) => c.notNull())
        .addColumn('count', 'integer', (c) => c.notNull())
        .addColumn('max', real, (c) => c.notNull())
        .addPrimaryKeyConstraint('capacity_rollups_pk', ['host', 'resource', 'mountpoint', 'resolution', 'bucket_start'])
        .execute();
      // Pruning and the hourly fold scan by resolution and age.
      await db.schema.createIndex('capacity_rollups_age').on('capacity_rollups').columns(['resolution', 'bucket_start']).execute();
      await db.schema
        .createTable('capacity_counters')
        .addColumn('host', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('at', ms, (c) => c.notNull())
        .addColumn('value', real, (c) => c.notNull())
        .addPrimaryKeyConstraint('capacity_counters_pk', ['host', 'name'])
        .execute();
    },
  };
}
