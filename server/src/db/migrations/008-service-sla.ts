/** @module A service's SLA policy, as its `sla` field in JSON (null: none agreed). Frozen in time. */
import type { Kysely } from 'kysely';

export const serviceSla = {
  async up(db: Kysely<any>): Promise<void> {
    await db.schema.alterTable('services').addColumn('sla', 'text').execute();
  },
};
