/** @module The incidents each service had in a period, for the DORA figures (changes/dora.ts). */
import type { Kysely, Transaction } from 'kysely';
import type { Database } from './schema.js';

type Db = Kysely<Database> | Transaction<Database>;

/** Incidents opened in [from, to) on each service they touched (one row per service), not those merged away. */
export async function incidentSpansBetween(db: Db, from: number, to: number, service?: string): Promise<{ service: string; openedAt: number; resolvedAt: number | null }[]> {
  let q = db
    .selectFrom('incident_services')
    .innerJoin('incidents', 'incidents.id', 'incident_services.incident_id')
    .select(['incident_services.service', 'incidents.opened_at', 'incidents.resolved_at'])
    .where('incidents.opened_at', '>=', from)
    .where('incidents.opened_at', '<', to)
    .where('incidents.status', '!=', 'cancelled');
  if (service !== undefined) q = q.where('incident_services.service', '=', service);
  const rows = await q.execute();
  return rows.map((r) => ({ service: r.service, openedAt: Number(r.opened_at), resolvedAt: r.resolved_at === null ? null : Number(r.resolved_at) }));
}
