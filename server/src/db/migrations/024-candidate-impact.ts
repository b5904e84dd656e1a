/**
 * @module Problem candidates are ranked by impact: the score and its inputs (priorities, SLA
 * downtime caused, services, trend) are stored with each candidate. Candidates stored before
 * get score 0 and empty inputs until the next refresh. Frozen in time.
 */
import type { Kysely, Migration } from 'kysely';

export const candidateImpact: Migration = {
  async up(db: Kysely<any>): Promise<void> {
    await db.schema.alterTable('problem_candidates').addColumn('impact_score', 'double precision', (c) => c.notNull().defaultTo(0)).execute();
    await db.schema.alterTable('problem_candidates').addColumn('impact', 'text', (c) => c.notNull().defaultTo('{}')).execute();
  },
  async down(db: Kysely<any>): Promise<void> {
    await db.schema.alterTable('problem_candidates').dropColumn('impact').execute();
    await db.schema.alterTable('problem_candidates').dropColumn('impact_score').execute();
  },
};
