/**
 * @module A service of the catalogue may bound its incidents' span itself (slow faults that last
 * days): `services.max_incident_span`, ms, null for the configured default. Frozen in time.
 */
import type { Kysely, Migration } from 'kysely';

export const serviceIncidentSpan: Migration = {
  async up(db: Kysely<any>): Promise<void> {
    await db.schema.alterTable('services').addColumn('max_incident_span', 'bigint').execute();
  },
  async down(db: Kysely<any>): Promise<void> {
    await db.schema.alterTable('services').dropColumn('max_incident_span').execute();
  },
};
