/**
 * @module Initial schema. Frozen in time: migrations use `Kysely<any>` and never import
 * the current schema types.
 */
import { sql, type Kysely } from 'kysely';
import type { SqlDialect } from '../dialect.js';

export function initialSchema(dialect: SqlDialect) {
  const pg = dialect === 'postgres';
  const idColumn = (t: any) =>
    pg ? t.addColumn('id', 'bigserial', (c: any) => c.primaryKey()) : t.addColumn('id', 'integer', (c: any) => c.primaryKey().autoIncrement());
  const ms = pg ? 'bigint' : 'integer';

  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('api_tokens')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull().unique())
        .addColumn('token_hash', 'text', (c) => c.notNull().unique())
        .addColumn('scopes', 'text', (c) => c.notNull())
        .addColumn('created_at', ms, (c) => c.notNull())
        .addColumn('expires_at', ms)
        .addColumn('revoked_at', ms)
        .addColumn('last_used_at', ms)
        .execute();

      await idColumn(db.schema.createTable('alert_events'))
        .addColumn('source', 'text', (c: any) => c.notNull())
        .addColumn('fingerprint', 'text', (c: any) => c.notNull())
        .addColumn('status', 'text', (c: any) => c.notNull())
        .addColumn('starts_at', ms, (c: any) => c.notNull())
        .addColumn('ends_at', ms)
        .addColumn('received_at', ms, (c: any) => c.notNull())
        .addColumn('labels', 'text', (c: any) => c.notNull())
        .addColumn('annotations', 'text', (c: any) => c.notNull())
        .addColumn('generator_url', 'text')
        .addColumn('correlated', 'integer', (c: any) => c.notNull().defaultTo(0))
        .addColumn('revision', 'integer', (c: any) => c.notNull().defaultTo(0))
        .addUniqueConstraint('alert_events_identity', ['source', 'fingerprint', 'status', 'starts_at'])
        .execute();
      // Queries must compare with the literal 0 (sql.lit) for the planner to use this partial index.
      await db.schema.createIndex('alert_events_pending').on('alert_events').column('id').where(sql.ref('correlated'), '=', 0).execute();

      await idColumn(db.schema.createTable('alerts'))
        .addColumn('source', 'text', (c: any) => c.notNull())
        .addColumn('fingerprint', 'text', (c: any) => c.notNull())
        .addColumn('status', 'text', (c: any) => c.notNull())
        .addColumn('labels', 'text', (c: any) => c.notNull())
        .addColumn('annotations', 'text', (c: any) => c.notNull())
        .addColumn('title', 'text', (c: any) => c.notNull())
        .addColumn('severity', 'text', (c: any) => c.notNull())
        .addColumn('service', 'text')
        .addColumn('host', 'text')
        .addColumn('starts_at', ms, (c: any) => c.notNull())
        .addColumn('ends_at', ms)
        .addColumn('generator_url', 'text')
        .addColumn('occurrences', 'integer', (c: any) => c.notNull())
        .addColumn('first_seen_at', ms, (c: any) => c.notNull())
        .addColumn('last_seen_at', ms, (c: any) => c.notNull())
        .addColumn('incident_id', ms)
        .addColumn('acknowledged', 'integer', (c: any) => c.notNull().defaultTo(0))
        .addUniqueConstraint('alerts_identity', ['source', 'fingerprint'])
        .execute();
      await db.schema.createIndex('alerts_incident').on('alerts').column('incident_id').execute();
      await db.schema.createIndex('alerts_lease').on('alerts').columns(['status', 'ends_at']).execute();

      await idColumn(db.schema.createTable('incidents'))
        .addColumn('title', 'text', (c: any) => c.notNull())
        .addColumn('status', 'text', (c: any) => c.notNull())
        .addColumn('priority', 'text', (c: any) => c.notNull())
        .addColumn('priority_overridden', 'integer', (c: any) => c.notNull().defaultTo(0))
        .addColumn('impact', 'text', (c: any) => c.notNull())
        .addColumn('urgency', 'text', (c: any) => c.notNull())
        .addColumn('service', 'text')
        .addColumn('host', 'text')
        .addColumn('group_key', 'text', (c: any) => c.notNull())
        .addColumn('opened_at', ms, (c: any) => c.notNull())
        .addColumn('last_activity_at', ms, (c: any) => c.notNull())
        .addColumn('created_at', ms, (c: any) => c.notNull())
        .addColumn('updated_at', ms, (c: any) => c.notNull())
        .addColumn('acknowledged_at', ms)
        .addColumn('resolved_at', ms)
        .addColumn('closed_at', ms)
        .addColumn('resolve_after', ms)
        .addColumn('resolution', 'text')
        .addColumn('was_acknowledged', 'integer', (c: any) => c.notNull().defaultTo(0))
        .addColumn('alert_count', 'integer', (c: any) => c.notNull().defaultTo(0))
        .addColumn('firing_count', 'integer', (c: any) => c.notNull().defaultTo(0))
        .addColumn('assignee', 'text')
        .execute();
      await db.schema.createIndex('incidents_group').on('incidents').columns(['group_key', 'status']).execute();
      await db.schema.createIndex('incidents_status').on('incidents').columns(['status', 'id']).execute();

      await idColumn(db.schema.createTable('incident_timeline'))
        .addColumn('incident_id', ms, (c: any) => c.notNull())
        .addColumn('at', ms, (c: any) => c.notNull())
        .addColumn('kind', 'text', (c: any) => c.notNull())
        .addColumn('actor', 'text', (c: any) => c.notNull())
        .addColumn('message', 'text', (c: any) => c.notNull())
        .addColumn('data', 'text')
        .execute();
      await db.schema.createIndex('incident_timeline_incident').on('incident_timeline').columns(['incident_id', 'id']).execute();
    },
  };
}
