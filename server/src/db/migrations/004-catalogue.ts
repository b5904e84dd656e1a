/**
 * @module Service catalogue, configuration items, and which services and hosts each
 * incident touches (indexes for the topology and similarity layers). Frozen in time.
 */
import type { Kysely } from 'kysely';
import type { SqlDialect } from '../dialect.js';

export function catalogueSchema(dialect: SqlDialect) {
  const ms = dialect === 'postgres' ? 'bigint' : 'integer';
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('services')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('tier', 'integer', (c) => c.notNull())
        .addColumn('owner', 'text')
        .addColumn('depends_on', 'text', (c) => c.notNull())
        .addColumn('match', 'text', (c) => c.notNull())
        .addColumn('origin', 'text', (c) => c.notNull())
        .addColumn('updated_at', ms, (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('configuration_items')
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('first_seen_at', ms, (c) => c.notNull())
        .addColumn('last_seen_at', ms, (c) => c.notNull())
        .addColumn('seen_by', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('configuration_items_pk', ['kind', 'name'])
        .execute();
      await db.schema
        .createTable('incident_services')
        .addColumn('incident_id', ms, (c) => c.notNull())
        .addColumn('service', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('incident_services_pk', ['incident_id', 'service'])
        .execute();
      await db.schema.createIndex('incident_services_service').on('incident_services').columns(['service', 'incident_id']).execute();
      await db.schema
        .createTable('incident_hosts')
        .addColumn('incident_id', ms, (c) => c.notNull())
        .addColumn('host', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('incident_hosts_pk', ['incident_id', 'host'])
        .execute();
      await db.schema.createIndex('incident_hosts_host').on('incident_hosts').columns(['host', 'incident_id']).execute();
      await db.schema.alterTable('incidents').addColumn('root_cause_service', 'text').execute();
      await db.schema.alterTable('incidents').addColumn('masked_title', 'text').execute();
      await db.schema.createIndex('incidents_activity').on('incidents').columns(['status', 'last_activity_at']).execute();
    },
  };
}
