/**
 * @module Problem candidates keep the features that define them: the heaviest terms of their
 * centroid with their weights (JSON), words, rule names and member-alert signatures alike.
 * Candidates stored before get an empty list until the next refresh. Frozen in time.
 */
import type { Kysely, Migration } from 'kysely';

export const candidateFeatures: Migration = {
  async up(db: Kysely<any>): Promise<void> {
    await db.schema.alterTable('problem_candidates').addColumn('features', 'text', (c) => c.notNull().defaultTo('[]')).execute();
  },
  async down(db: Kysely<any>): Promise<void> {
    await db.schema.alterTable('problem_candidates').dropColumn('features').execute();
  },
};
