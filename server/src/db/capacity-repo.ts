/** @module Capacity rollups and the last counter reading per host. */
import { sql, type Kysely, type Transaction } from 'kysely';
import type { CapacityResource, CounterName, CounterState, Resolution, RollupBucket } from '../domain/capacity.js';
import type { SqlDialect } from './dialect.js';
import type { Database } from './schema.js';

type Db = Kysely<Database> | Transaction<Database>;

/** Rows per statement: well under SQLite's 32 766 bound parameters and PostgreSQL's 65 535. */
const CHUNK = 500;
const HOUR_MS = 3_600_000;

/**
 * Writes buckets: `add` merges into what is there (another push into the same bucket),
 * `replace` overwrites (an hourly bucket recomputed from its five-minute ones).
 */
export async function upsertRollups(db: Db, dialect: SqlDialect, resolution: Resolution, buckets: RollupBucket[], mode: 'add' | 'replace'): Promise<void> {
  const greatest = dialect === 'postgres' ? 'greatest' : 'max';
  for (let i = 0; i < buckets.length; i += CHUNK) {
    const rows = buckets.slice(i, i + CHUNK).map((b) => ({
      host: b.host,
      resource: b.resource,
      mountpoint: b.mountpoint,
      resolution,
      bucket_start: b.bucketStart,
      sum: b.sum,
      count: b.count,
      max: b.max,
    }));
    await db
      .insertInto('capacity_rollups')
      .values(rows)
      .onConflict((oc) =>
        oc.columns(['host', 'resource', 'mountpoint', 'resolution', 'bucket_start']).doUpdateSet(
          mode === 'add'
            ? {
                sum: sql`capacity_rollups.sum + excluded.sum`,
                count: sql`capacity_rollups.count + excluded.count`,
                max: sql`${sql.raw(greatest)}(capacity_rollups.max, excluded.max)`,
              }
            : { sum: sql`excluded.sum`, count: sql`excluded.count`, max: sql`excluded.max` },
        ),
      )
      .execute();
  }
}

/** Buckets of one resolution in `[from, to)`, optionally of one host, ordered by series then time. */
export async function readRollups(db: Db, resolution: Resolution, from: number, to: number, host?: string): Promise<RollupBucket[]> {
  let q = db.selectFrom('capacity_rollups').selectAll().where('resolution', '=', resolution).where('bucket_start', '>=', from).where('bucket_start', '<', to);
  if (host !== undefined) q = q.where('host', '=', host);
  const rows = await q.orderBy('host').orderBy('resource').orderBy('mountpoint').orderBy('bucket_start').execute();
  return rows.map((r) => ({
    host: r.host,
    resource: r.resource as CapacityResource,
    mountpoint: r.mountpoint,
    bucketStart: Number(r.bucket_start),
    sum: Number(r.sum),
    count: Number(r.count),
    max: Number(r.max),
  }));
}

/** Deletes buckets of a resolution that start before `before`; returns how many. */
export async function pruneRollups(db: Db, resolution: Resolution, before: number): Promise<number> {
  const result = await db.deleteFrom('capacity_rollups').where('resolution', '=', resolution).where('bucket_start', '<', before).executeTakeFirst();
  return Number(result.numDeletedRows);
}

export async function readCounters(db: Db, host: string): Promise<CounterState> {
  const rows = await db.selectFrom('capacity_counters').selectAll().where('host', '=', host).execute();
  return new Map(rows.map((r) => [r.name as CounterName, { at: Number(r.at), value: Number(r.value) }]));
}

export async function writeCounters(db: Db, host: string, state: CounterState): Promise<void> {
  const rows = [...state].map(([name, s]) => ({ host, name, at: s.at, value: s.value }));
  if (rows.length === 0) return;
  await db
    .insertInto('capacity_counters')
    .values(rows)
    .onConflict((oc) => oc.columns(['host', 'name']).doUpdateSet({ at: sql`excluded.at`, value: sql`excluded.value` }))
    .execute();
}

/**
 * Five-minute buckets of `[from, to)` merged into hourly ones, so a forecast over 30 days
 * works on 720 points per series instead of 8 640. The rows come in series and time order
 * straight off the covering index `capacity_rollups_series` (no table lookups, no sort), and
 * each run of buckets of one series and hour is merged here as it streams by: grouping by
 * an hour expression in SQL would sort every row in a temporary b-tree first.
 */
export async function readHourlyFromFiveMinute(db: Db, from: number, to: number, host?: string): Promise<RollupBucket[]> {
  let q = db
    .selectFrom('capacity_rollups')
    .select(['host', 'resource', 'mountpoint', 'bucket_start', 'sum', 'count', 'max'])
    .where('resolution', '=', '5m')
    // Unary plus: the time range is a filter on the series index, not a reason for SQLite's
    // planner to pick `capacity_rollups_age` (bound parameters look selective) and then sort.
    .where(sql<number>`+bucket_start`, '>=', from)
    .where(sql<number>`+bucket_start`, '<', to);
  if (host !== undefined) q = q.where('host', '=', host);
  const rows = await q.orderBy('host').orderBy('resource').orderBy('mountpoint').orderBy('bucket_start').execute();
  const out: RollupBucket[] = [];
  let last: RollupBucket | undefined;
  for (const r of rows) {
    const start = Number(r.bucket_start);
    const hour = start - (((start % HOUR_MS) + HOUR_MS) % HOUR_MS);
    if (last && last.bucketStart === hour && last.host === r.host && last.resource === r.resource && last.mountpoint === r.mountpoint) {
      last.sum += Number(r.sum);
      last.count += Number(r.count);
      last.max = Math.max(last.max, Number(r.max));
      continue;
    }
    last = { host: r.host, resource: r.resource as CapacityResource, mountpoint: r.mountpoint, bucketStart: hour, sum: Number(r.sum), count: Number(r.count), max: Number(r.max) };
    out.push(last);
  }
  return out;
}

/**
 * A fingerprint of the five-minute buckets of `[from, to)`: any write there changes it (an
 * `add` always raises the sample count, a prune lowers the row count), so a read of those
 * buckets kept from earlier is still exact while it is unchanged. One walk of the series
 * index, nothing materialised.
 */
export async function fiveMinuteChecksum(db: Db, from: number, to: number): Promise<string> {
  const row = await db
    .selectFrom('capacity_rollups')
    .select((eb) => [eb.fn.countAll().as('rows'), eb.fn.sum('count').as('samples'), eb.fn.sum('sum').as('sum'), eb.fn.sum('max').as('max')])
    .where('resolution', '=', '5m')
    .where(sql<number>`+bucket_start`, '>=', from)
    .where(sql<number>`+bucket_start`, '<', to)
    .executeTakeFirstOrThrow();
  return [row.rows, row.samples, row.sum, row.max].map((v) => String(v ?? 0)).join('/');
}
