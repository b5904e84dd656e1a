/**
 * @module Problem management: the frozen TF-IDF models, problem candidates (stable ids,
 * review state) with their member incidents, problems and known errors with their linked
 * incidents and timeline, and which incidents were recognised as a known error. Frozen in time.
 */
import type { Kysely } from 'kysely';
import type { SqlDialect } from '../dialect.js';

export function problemsSchema(dialect: SqlDialect) {
  const pg = dialect === 'postgres';
  const ms = pg ? 'bigint' : 'integer';
  const real = pg ? 'double precision' : 'real';
  const idColumn = (t: any) =>
    pg ? t.addColumn('id', 'bigserial', (c: any) => c.primaryKey()) : t.addColumn('id', 'integer', (c: any) => c.primaryKey().autoIncrement());
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('problem_models')
        .addColumn('version', 'text', (c) => c.primaryKey())
        .addColumn('model', 'text', (c) => c.notNull())
        .addColumn('fitted_at', ms, (c) => c.notNull())
        .execute();

      await idColumn(db.schema.createTable('problems'))
        .addColumn('title', 'text', (c: any) => c.notNull())
        .addColumn('status', 'text', (c: any) => c.notNull())
        .addColumn('root_cause', 'text')
        .addColumn('workaround', 'text')
        .addColumn('owner', 'text')
        .addColumn('candidate_id', 'text')
        .addColumn('created_at', ms, (c: any) => c.notNull())
        .addColumn('updated_at', ms, (c: any) => c.notNull())
        .addColumn('known_error_at', ms)
        .addColumn('resolved_at', ms)
        .execute();
      await db.schema.createIndex('problems_status').on('problems').columns(['status', 'id']).execute();

      await db.schema
        .createTable('problem_candidates')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('alertname', 'text', (c) => c.notNull())
        .addColumn('example_title', 'text', (c) => c.notNull())
        .addColumn('signatures', 'text', (c) => c.notNull())
        .addColumn('member_count', 'integer', (c) => c.notNull())
        .addColumn('first_seen', ms, (c) => c.notNull())
        .addColumn('last_seen', ms, (c) => c.notNull())
        .addColumn('recurrence_per_week', real, (c) => c.notNull())
        .addColumn('services', 'text', (c) => c.notNull())
        .addColumn('hosts', 'text', (c) => c.notNull())
        .addColumn('total_downtime_ms', ms, (c) => c.notNull())
        .addColumn('mttr_ms', ms)
        .addColumn('cohesion', real, (c) => c.notNull())
        .addColumn('radius', real, (c) => c.notNull())
        .addColumn('badge', 'text', (c) => c.notNull())
        .addColumn('top_terms', 'text', (c) => c.notNull())
        .addColumn('centroid', 'text', (c) => c.notNull())
        .addColumn('model_version', 'text', (c) => c.notNull())
        // 1 while the latest refresh produced it; 0 once its cluster is gone (kept for its review state).
        .addColumn('active', 'integer', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('state_changed_at', ms, (c) => c.notNull())
        .addColumn('state_changed_by', 'text', (c) => c.notNull())
        .addColumn('state_note', 'text')
        .addColumn('problem_id', ms)
        .addColumn('created_at', ms, (c) => c.notNull())
        .addColumn('refreshed_at', ms, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('problem_candidates_state').on('problem_candidates').columns(['active', 'state']).execute();

      await db.schema
        .createTable('problem_candidate_members')
        .addColumn('candidate_id', 'text', (c) => c.notNull())
        .addColumn('incident_id', ms, (c) => c.notNull())
        .addPrimaryKeyConstraint('problem_candidate_members_pk', ['candidate_id', 'incident_id'])
        .execute();
      await db.schema.createIndex('problem_candidate_members_incident').on('problem_candidate_members').column('incident_id').execute();

      await db.schema
        .createTable('problem_incidents')
        .addColumn('problem_id', ms, (c) => c.notNull())
        .addColumn('incident_id', ms, (c) => c.notNull())
        .addColumn('linked_at', ms, (c) => c.notNull())
        .addColumn('linked_by', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('problem_incidents_pk', ['problem_id', 'incident_id'])
        .execute();
      await db.schema.createIndex('problem_incidents_incident').on('problem_incidents').column('incident_id').execute();

      await idColumn(db.schema.createTable('problem_timeline'))
        .addColumn('problem_id', ms, (c: any) => c.notNull())
        .addColumn('at', ms, (c: any) => c.notNull())
        .addColumn('kind', 'text', (c: any) => c.notNull())
        .addColumn('actor', 'text', (c: any) => c.notNull())
        .addColumn('message', 'text', (c: any) => c.notNull())
        .addColumn('data', 'text')
        .execute();
      await db.schema.createIndex('problem_timeline_problem').on('problem_timeline').columns(['problem_id', 'id']).execute();

      // One known error per incident: the best match when it was recognised.
      await db.schema
        .createTable('known_error_matches')
        .addColumn('incident_id', ms, (c) => c.primaryKey())
        .addColumn('problem_id', ms, (c) => c.notNull())
        .addColumn('candidate_id', 'text', (c) => c.notNull())
        .addColumn('similarity', real, (c) => c.notNull())
        .addColumn('matched_at', ms, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('known_error_matches_problem').on('known_error_matches').column('problem_id').execute();
    },
  };
}
