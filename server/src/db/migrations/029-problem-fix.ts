/**
 * @module A problem names the change that fixed it, and when a recurrence showed the fix did
 * not hold (fix verification). Frozen in time.
 */
import type { Kysely, Migration } from 'kysely';
import type { SqlDialect } from '../dialect.js';

export function problemFix(dialect: SqlDialect): Migration {
  const ms = dialect === 'postgres' ? 'bigint' : 'integer';
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema.alterTable('problems').addColumn('fix_change_id', ms).execute();
      await db.schema.alterTable('problems').addColumn('fix_failed_at', ms).execute();
    },
    async down(db: Kysely<any>): Promise<void> {
      await db.schema.alterTable('problems').dropColumn('fix_failed_at').execute();
      await db.schema.alterTable('problems').dropColumn('fix_change_id').execute();
    },
  };
}
