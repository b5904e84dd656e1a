/**
 * @module The leader lease: one row per lease name, naming the replica that holds it,
 * until when, and a fencing epoch that grows by one at every change of holder. Frozen in time.
 */
import type { Kysely } from 'kysely';
import type { SqlDialect } from '../dialect.js';

export function leaderLeaseSchema(dialect: SqlDialect) {
  const ms = dialect === 'postgres' ? 'bigint' : 'integer';
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('leader_lease')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('holder', 'text')
        .addColumn('epoch', ms, (c) => c.notNull())
        .addColumn('acquired_at', ms, (c) => c.notNull())
        .addColumn('renewed_at', ms, (c) => c.notNull())
        .addColumn('expires_at', ms, (c) => c.notNull())
        .execute();
    },
  };
}
