/**
 * @module Outgoing notifications: the outbox (one row per event and webhook, with its
 * delivery state) and the cursor over the incident timeline it is filled from. Frozen in time.
 */
import { sql, type Kysely } from 'kysely';
import type { SqlDialect } from '../dialect.js';

export function outboxSchema(dialect: SqlDialect) {
  const pg = dialect === 'postgres';
  const ms = pg ? 'bigint' : 'integer';
  return {
    async up(db: Kysely<any>): Promise<void> {
      await (pg
        ? db.schema.createTable('notification_outbox').addColumn('id', 'bigserial', (c) => c.primaryKey())
        : db.schema.createTable('notification_outbox').addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
      )
        .addColumn('idempotency_key', 'text', (c) => c.notNull().unique())
        .addColumn('webhook', 'text', (c) => c.notNull())
        .addColumn('incident_id', ms, (c) => c.notNull())
        .addColumn('timeline_id', ms, (c) => c.notNull())
        .addColumn('event', 'text', (c) => c.notNull())
        .addColumn('at', ms, (c) => c.notNull())
        .addColumn('payload', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('next_attempt_at', ms)
        .addColumn('last_status', 'integer')
        .addColumn('last_error', 'text')
        .addColumn('delivered_at', ms)
        .addColumn('created_at', ms, (c) => c.notNull())
        .addColumn('updated_at', ms, (c) => c.notNull())
        .execute();
      // The dispatcher's work list; queries compare with the literal (sql.lit) so the planner uses it.
      await db.schema
        .createIndex('notification_outbox_due')
        .on('notification_outbox')
        .columns(['next_attempt_at', 'id'])
        .where(sql.ref('state'), '=', sql.lit('pending'))
        .execute();
      await db.schema.createIndex('notification_outbox_incident').on('notification_outbox').columns(['incident_id', 'webhook', 'id']).execute();
      await db.schema
        .createTable('notification_cursor')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('position', ms, (c) => c.notNull())
        .addColumn('gaps', 'text', (c) => c.notNull())
        .addColumn('updated_at', ms, (c) => c.notNull())
        .execute();
    },
  };
}
