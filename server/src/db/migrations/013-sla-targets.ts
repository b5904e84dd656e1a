/**
 * @module SLA bookkeeping: the state changes of agents' availability checks (from which
 * failed-check outage intervals are derived) and the response/resolution warnings already
 * written to incident timelines (so each is written once). Frozen in time.
 */
import type { Kysely } from 'kysely';
import type { SqlDialect } from '../dialect.js';

export function slaTargetsSchema(dialect: SqlDialect) {
  const ms = dialect === 'postgres' ? 'bigint' : 'integer';
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('sla_check_states')
        .addColumn('agent_id', 'text', (c) => c.notNull())
        .addColumn('check_name', 'text', (c) => c.notNull())
        // Agent time of the first run that gave this result.
        .addColumn('since', ms, (c) => c.notNull())
        .addColumn('success', 'integer', (c) => c.notNull())
        .addColumn('service', 'text')
        .addColumn('host', 'text', (c) => c.notNull())
        // Agent time of the latest heartbeat that reported this state.
        .addColumn('last_reported_at', ms, (c) => c.notNull())
        .addColumn('interval_ms', ms, (c) => c.notNull())
        .addPrimaryKeyConstraint('sla_check_states_pk', ['agent_id', 'check_name', 'since'])
        .execute();
      await db.schema.createIndex('sla_check_states_service').on('sla_check_states').columns(['service', 'since']).execute();
      await db.schema
        .createTable('sla_target_notices')
        .addColumn('incident_id', ms, (c) => c.notNull())
        .addColumn('target', 'text', (c) => c.notNull())
        .addColumn('level', 'text', (c) => c.notNull())
        .addColumn('at', ms, (c) => c.notNull())
        .addPrimaryKeyConstraint('sla_target_notices_pk', ['incident_id', 'target', 'level'])
        .execute();
      // Past alert episodes are attributed to incidents through the timeline entry written at their start.
      await db.schema.createIndex('incident_timeline_at').on('incident_timeline').columns(['at']).execute();
    },
  };
}
