/** @module Why an alert resolved: the sender said so, or its lease ran out. Frozen in time. */
import type { Kysely } from 'kysely';

export const alertResolvedBy = {
  async up(db: Kysely<any>): Promise<void> {
    await db.schema.alterTable('alerts').addColumn('resolved_by', 'text').execute();
  },
};
