/**
 * @module SLA signals: burn-rate episodes of a service's error budget, kept apart from the
 * alert log, and the incidents whose downtime burned the budget during each. At most one
 * active episode per service and severity (a partial unique index), so a second writer
 * cannot open the same episode twice. Frozen in time.
 */
import { sql, type Kysely, type Migration } from 'kysely';
import type { SqlDialect } from '../dialect.js';

export function slaSignals(dialect: SqlDialect): Migration {
  const pg = dialect === 'postgres';
  const ms = pg ? 'bigint' : 'integer';
  return {
    async up(db: Kysely<any>): Promise<void> {
      await (pg ? db.schema.createTable('sla_signals').addColumn('id', 'bigserial', (c) => c.primaryKey()) : db.schema.createTable('sla_signals').addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement()))
        .addColumn('service', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('severity', 'text', (c) => c.notNull())
        .addColumn('started_at', ms, (c) => c.notNull())
        .addColumn('ended_at', ms)
        .addColumn('message', 'text', (c) => c.notNull())
        .addColumn('data', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('sla_signals_service').on('sla_signals').columns(['service', 'started_at']).execute();
      await sql`create unique index sla_signals_active on sla_signals (service, kind, severity) where ended_at is null`.execute(db);
      await db.schema
        .createTable('sla_signal_incidents')
        .addColumn('signal_id', ms, (c) => c.notNull())
        .addColumn('incident_id', ms, (c) => c.notNull())
        .addPrimaryKeyConstraint('sla_signal_incidents_pk', ['signal_id', 'incident_id'])
        .execute();
      await db.schema.createIndex('sla_signal_incidents_incident').on('sla_signal_incidents').columns(['incident_id']).execute();
    },
    async down(db: Kysely<any>): Promise<void> {
      await db.schema.dropTable('sla_signal_incidents').execute();
      await db.schema.dropTable('sla_signals').execute();
    },
  };
}
