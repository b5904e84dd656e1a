/**
 * The derived state of a Sightline database (everything the correlator computes from the alert
 * event log) as comparable data: rows in a canonical order, timeline entries without their ids
 * (a rebuild numbers them after the old ones), JSON columns parsed so both databases compare alike.
 *
 * `processingTimes: false` leaves out the columns that record when the correlator ran rather
 * than what happened (an incident's created/updated/closed times, a resolved alert's last
 * sighting, the times a host was recorded): a live server's clock runs on between the
 * arrival of a request and its correlation, a rebuild takes the arrival times.
 */
import { openDatabase, type DatabaseHandle } from '../../server/src/db/connection.js';

export interface DerivedState {
  alerts: Record<string, unknown>[];
  pastEpisodes: Record<string, unknown>[];
  incidents: Record<string, unknown>[];
  services: Record<string, unknown>[];
  hosts: Record<string, unknown>[];
  timeline: Record<string, unknown>[];
  configurationItems: Record<string, unknown>[];
  cursor: number;
}

const parse = (v: unknown) => (typeof v === 'string' ? JSON.parse(v) : v);

function without<T extends Record<string, unknown>>(row: T, keys: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) if (!keys.includes(k)) out[k] = typeof v === 'bigint' ? Number(v) : v;
  return out;
}

export async function derivedStateOf(handle: DatabaseHandle, options: { processingTimes: boolean }): Promise<DerivedState> {
  const db = handle.db;
  const keep = options.processingTimes;
  const alerts = (await db.selectFrom('alerts').selectAll().orderBy('id').execute()).map((r) => ({
    ...without(r, keep ? [] : ['last_seen_at']),
    labels: parse(r.labels),
    annotations: parse(r.annotations),
    flap_history: parse(r.flap_history),
  }));
  const pastEpisodes = (await db.selectFrom('alert_past_episodes').selectAll().orderBy('source').orderBy('fingerprint').orderBy('starts_at').execute()).map((r) => without(r, []));
  const incidents = (await db.selectFrom('incidents').selectAll().orderBy('id').execute()).map((r) => without(r, keep ? [] : ['created_at', 'updated_at', 'closed_at']));
  const services = (await db.selectFrom('incident_services').selectAll().orderBy('incident_id').orderBy('service').execute()).map((r) => without(r, []));
  const hosts = (await db.selectFrom('incident_hosts').selectAll().orderBy('incident_id').orderBy('host').execute()).map((r) => without(r, []));
  // In the order they were written (id), without the ids themselves.
  const timeline = (await db.selectFrom('incident_timeline').selectAll().orderBy('id').execute()).map((r) => ({ ...without(r, ['id']), data: parse(r.data) }));
  const configurationItems = (await db.selectFrom('configuration_items').selectAll().orderBy('kind').orderBy('name').execute()).map((r) =>
    without(r, keep ? ['last_seen_at'] : ['first_seen_at', 'last_seen_at']),
  );
  const cursor = Number((await db.selectFrom('correlation_cursor').select('applied_id').executeTakeFirstOrThrow()).applied_id);
  return { alerts, pastEpisodes, incidents, services, hosts, timeline, configurationItems, cursor };
}

/** Opens the database of a data directory or URL just for reading the derived state. */
export async function readDerivedState(where: { dataDir: string; databaseUrl?: string | null }, options: { processingTimes: boolean }): Promise<DerivedState> {
  const handle = openDatabase({ dataDir: where.dataDir, databaseUrl: where.databaseUrl ?? null, sqliteSynchronous: 'NORMAL' });
  try {
    return await derivedStateOf(handle, options);
  } finally {
    await handle.close();
  }
}
