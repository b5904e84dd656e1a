/**
 * @module A covering index for reading capacity rollups series by series: the forecast read
 * (every series of one resolution over 30 days, or one host's) walks it in series and time
 * order without touching the table or sorting. Frozen in time.
 */
import type { Kysely, Migration } from 'kysely';

export const capacitySeriesIndex: Migration = {
  async up(db: Kysely<any>): Promise<void> {
    await db.schema
      .createIndex('capacity_rollups_series')
      .on('capacity_rollups')
      .columns(['resolution', 'host', 'resource', 'mountpoint', 'bucket_start', 'sum', 'count', 'max'])
      .execute();
  },
  async down(db: Kysely<any>): Promise<void> {
    await db.schema.dropIndex('capacity_rollups_series').execute();
  },
};
