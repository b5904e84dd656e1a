/** @module Agents seen through their heartbeats. Frozen in time. */
import type { Kysely } from 'kysely';
import type { SqlDialect } from '../dialect.js';

export function agentsSchema(dialect: SqlDialect) {
  const ms = dialect === 'postgres' ? 'bigint' : 'integer';
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('agents')
        .addColumn('agent_id', 'text', (c) => c.primaryKey())
        .addColumn('host', 'text', (c) => c.notNull())
        .addColumn('version', 'text', (c) => c.notNull())
        .addColumn('interval_ms', ms, (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('first_seen_at', ms, (c) => c.notNull())
        .addColumn('last_heartbeat_at', ms, (c) => c.notNull())
        .addColumn('last_sent_at', ms, (c) => c.notNull())
        .addColumn('down_since', ms)
        .addColumn('inventory', 'text')
        .addColumn('checks', 'text', (c) => c.notNull())
        .addColumn('firing_alerts', 'integer', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('agents_host').on('agents').column('host').execute();
    },
  };
}
