/**
 * @module One row counting the changes people make to what the correlator holds in memory
 * (incident actions, edits, merges, splits, notes). The correlator reads it at the start of
 * every batch and loads its state again when it moved; on PostgreSQL it reads it `FOR SHARE`
 * and people's transactions update it first, so a person's change and a correlation batch
 * never interleave. Frozen in time.
 */
import type { Kysely, Migration } from 'kysely';

export const correlationInputs: Migration = {
  async up(db: Kysely<any>): Promise<void> {
    await db.schema
      .createTable('correlation_inputs')
      .addColumn('id', 'integer', (c) => c.primaryKey())
      .addColumn('version', 'bigint', (c) => c.notNull())
      .execute();
    await db.insertInto('correlation_inputs').values({ id: 1, version: 0 }).execute();
  },
  async down(db: Kysely<any>): Promise<void> {
    await db.schema.dropTable('correlation_inputs').execute();
  },
};
