/**
 * @module An incident's alerts and timeline are read a page at a time in (start, id) and
 * (event time, id) order: the indexes on `incident_id` alone become (incident_id, starts_at, id)
 * and (incident_id, at, id), so a page of a storm incident reads that page, not every row of
 * the incident sorted. Every query that used the old indexes (incident_id = / in …) uses the
 * new ones as well, and each table keeps the same number of indexes to write. Frozen in time.
 */
import type { Kysely, Migration } from 'kysely';

export const incidentPageIndexes: Migration = {
  async up(db: Kysely<any>): Promise<void> {
    await db.schema.createIndex('alerts_incident_start').on('alerts').columns(['incident_id', 'starts_at', 'id']).execute();
    await db.schema.dropIndex('alerts_incident').execute();
    await db.schema.createIndex('incident_timeline_incident_at').on('incident_timeline').columns(['incident_id', 'at', 'id']).execute();
    await db.schema.dropIndex('incident_timeline_incident').execute();
  },
  async down(db: Kysely<any>): Promise<void> {
    await db.schema.createIndex('incident_timeline_incident').on('incident_timeline').columns(['incident_id', 'id']).execute();
    await db.schema.dropIndex('incident_timeline_incident_at').execute();
    await db.schema.createIndex('alerts_incident').on('alerts').column('incident_id').execute();
    await db.schema.dropIndex('alerts_incident_start').execute();
  },
};
