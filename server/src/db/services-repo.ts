/** @module The service catalogue and configuration items. */
import type { Kysely, Selectable, Transaction } from 'kysely';
import type { ServiceDefinition } from '../domain/service.js';
import { formatSlaPolicy, SlaPolicyEntry } from '../domain/sla.js';
import { executeReused } from './reused-sql.js';
import type { Database } from './schema.js';

type Db = Kysely<Database> | Transaction<Database>;

export interface StoredService extends ServiceDefinition {
  origin: 'config' | 'api';
  updatedAt: number;
}

function toService(r: Selectable<Database['services']>): StoredService {
  return {
    name: r.name,
    tier: r.tier,
    owner: r.owner,
    dependsOn: JSON.parse(r.depends_on),
    match: JSON.parse(r.match),
    ...(r.sla ? { sla: SlaPolicyEntry.parse(JSON.parse(r.sla)) } : {}),
    // PostgreSQL returns a bigint as a string.
    ...(r.max_incident_span != null ? { maxIncidentSpan: Number(r.max_incident_span) } : {}),
    origin: r.origin as StoredService['origin'],
    updatedAt: r.updated_at,
  };
}

export async function listServices(db: Db): Promise<StoredService[]> {
  return (await db.selectFrom('services').selectAll().orderBy('name').execute()).map(toService);
}

export async function upsertService(db: Db, service: ServiceDefinition, origin: 'config' | 'api', now: number): Promise<void> {
  const row = {
    name: service.name,
    tier: service.tier,
    owner: service.owner,
    depends_on: JSON.stringify(service.dependsOn),
    match: JSON.stringify(service.match),
    sla: service.sla ? JSON.stringify(formatSlaPolicy(service.sla)) : null,
    max_incident_span: service.maxIncidentSpan ?? null,
    origin,
    updated_at: now,
  };
  await db
    .insertInto('services')
    .values(row)
    .onConflict((oc) => oc.column('name').doUpdateSet({ tier: row.tier, owner: row.owner, depends_on: row.depends_on, match: row.match, sla: row.sla, max_incident_span: row.max_incident_span, origin, updated_at: now }))
    .execute();
}

/** Records hosts (and other items) seen, keeping the first and last time. */
export async function recordConfigurationItems(db: Db, kind: string, names: readonly string[], seenBy: string, now: number): Promise<void> {
  if (names.length === 0) return;
  // 5 parameters a row: chunks keep any number of hosts under the databases' parameter limits.
  if (names.length > 1000) {
    for (let i = 0; i < names.length; i += 1000) await recordConfigurationItems(db, kind, names.slice(i, i + 1000), seenBy, now);
    return;
  }
  const rows = names.map((name) => ({ kind, name, first_seen_at: now, last_seen_at: now, seen_by: seenBy }));
  const parameters = [...rows.flatMap((r) => [r.kind, r.name, r.first_seen_at, r.last_seen_at, r.seen_by]), now];
  await executeReused(db, `configuration_items.record:${rows.length}`, parameters, () =>
    db
      .insertInto('configuration_items')
      .values(rows)
      .onConflict((oc) => oc.columns(['kind', 'name']).doUpdateSet({ last_seen_at: now })),
  );
}

export async function listConfigurationItems(db: Db, kind: string): Promise<{ name: string; firstSeenAt: number; lastSeenAt: number; seenBy: string }[]> {
  const rows = await db.selectFrom('configuration_items').selectAll().where('kind', '=', kind).orderBy('name').execute();
  return rows.map((r) => ({ name: r.name, firstSeenAt: r.first_seen_at, lastSeenAt: r.last_seen_at, seenBy: r.seen_by }));
}
