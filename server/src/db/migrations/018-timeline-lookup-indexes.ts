/**
 * @module Two partial indexes over an incident's timeline for the correlator, which without
 * them walked the whole timeline (one entry per joined alert) of every incident it weighed:
 * the `service_reached` entries (when the fault reached each service) and the entries people
 * wrote (notes, edits, actions: an incident anyone touched is never merged away). Queries must
 * compare with the literals (sql.lit) for the planner to use them. Frozen in time.
 */
import { sql, type Kysely, type Migration } from 'kysely';

export const timelineLookupIndexes: Migration = {
  async up(db: Kysely<any>): Promise<void> {
    await db.schema
      .createIndex('incident_timeline_service_reached')
      .on('incident_timeline')
      .column('incident_id')
      .where(sql.ref('kind'), '=', sql.lit('service_reached'))
      .execute();
    await db.schema
      .createIndex('incident_timeline_by_people')
      .on('incident_timeline')
      .column('incident_id')
      .where(sql.ref('actor'), '<>', sql.lit('sightline'))
      .execute();
  },
  async down(db: Kysely<any>): Promise<void> {
    await db.schema.dropIndex('incident_timeline_by_people').execute();
    await db.schema.dropIndex('incident_timeline_service_reached').execute();
  },
};
