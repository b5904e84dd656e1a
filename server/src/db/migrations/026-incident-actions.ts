/**
 * @module People's actions on incidents (acknowledge, resolve, notes, edits…) as an append-only
 * log beside the alert event log, each with the log position it was made at, so a rebuild of the
 * derived state applies them where live operation did. Frozen in time.
 */
import type { Kysely, Migration } from 'kysely';
import type { SqlDialect } from '../dialect.js';

export function incidentActions(dialect: SqlDialect): Migration {
  const pg = dialect === 'postgres';
  const ms = pg ? 'bigint' : 'integer';
  return {
    async up(db: Kysely<any>): Promise<void> {
      await (pg
        ? db.schema.createTable('incident_actions').addColumn('id', 'bigserial', (c) => c.primaryKey())
        : db.schema.createTable('incident_actions').addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
      )
        .addColumn('after_event_id', ms, (c) => c.notNull())
        .addColumn('at', ms, (c) => c.notNull())
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('incident_id', ms, (c) => c.notNull())
        .addColumn('group_key', 'text', (c) => c.notNull())
        .addColumn('action', 'text', (c) => c.notNull())
        .execute();
    },
    async down(db: Kysely<any>): Promise<void> {
      await db.schema.dropTable('incident_actions').execute();
    },
  };
}
