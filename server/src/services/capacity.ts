/**
 * @module Capacity: stores what OTLP metrics pushes say about hosts as rollups, folds and
 * prunes them in the background, and forecasts each host's resources from them.
 */
import { extractCapacityObservations, deriveCounterRates, type CapacityResource, type CounterSample } from '../capacity/observations.js';
import { forecastCapacity, type CapacityForecast, type SeriesPoint } from '../capacity/forecast.js';
import { bucketSamples, bucketStartOf, coarsenBuckets, DAY_MS, HOUR_MS, seriesKey, type RollupBucket } from '../capacity/rollup.js';
import { fiveMinuteChecksum, pruneRollups, readCounters, readHourlyFromFiveMinute, readRollups, upsertRollups, writeCounters } from '../db/capacity-repo.js';
import type { DatabaseHandle } from '../db/connection.js';
import { CAPACITY_FOLD_LOOKBACK_MS, DEFAULT_CAPACITY_RETENTION, type CapacityRetention } from '../domain/capacity-config.js';
import { fail, ok, type Result } from '../domain/result.js';
import type { OtlpMetricsRequest } from '../ingest/otlp-metrics.js';
import type { Clock } from './clock.js';
import { appendTo } from '../domain/collections.js';

export interface CapacityDeps {
  handle: DatabaseHandle;
  clock: Clock;
}

export interface MetricsIngestOutcome {
  /** Capacity samples written (after rates were derived). */
  samples: number;
  rejectedDataPoints: number;
  errorMessage: string | null;
}

/** Turns one OTLP request into rollups; counters and buckets change in one transaction. */
export async function ingestOtlpMetrics(deps: CapacityDeps, request: OtlpMetricsRequest): Promise<MetricsIngestOutcome> {
  const observed = extractCapacityObservations(request);
  const byHost = new Map<string, CounterSample[]>();
  for (const c of observed.counters) appendTo(byHost, c.host, c);
  const samples = [...observed.samples];
  await deps.handle.db.transaction().execute(async (trx) => {
    for (const [host, readings] of [...byHost].sort(([a], [b]) => a.localeCompare(b))) {
      const derived = deriveCounterRates(host, await readCounters(trx, host), readings);
      samples.push(...derived.samples);
      await writeCounters(trx, host, derived.state);
    }
    await upsertRollups(trx, deps.handle.dialect, '5m', bucketSamples(samples), 'add');
  });
  return { samples: samples.length, rejectedDataPoints: observed.rejected, errorMessage: observed.firstError };
}

/**
 * Folds complete hours of five-minute buckets into hourly ones (recomputed, so running it
 * twice changes nothing) and drops buckets past their retention. Each pass refolds the last
 * two days, so a pass that was missed is made up for.
 */
export async function rollUpCapacity(deps: CapacityDeps, retention: CapacityRetention = DEFAULT_CAPACITY_RETENTION): Promise<{ hourly: number; pruned: number }> {
  const now = deps.clock.now();
  const to = bucketStartOf(now, HOUR_MS);
  const hourly = coarsenBuckets(await readRollups(deps.handle.db, '5m', to - CAPACITY_FOLD_LOOKBACK_MS, to), HOUR_MS);
  await upsertRollups(deps.handle.db, deps.handle.dialect, '1h', hourly, 'replace');
  const pruned = (await pruneRollups(deps.handle.db, '5m', now - retention.fiveMinute)) + (await pruneRollups(deps.handle.db, '1h', now - retention.hourly));
  return { hourly: hourly.length, pruned };
}

export interface ResourceCapacity {
  host: string;
  resource: CapacityResource;
  mountpoint: string;
  /** Forecasts for utilisation resources; network (bytes/s) only has its series. */
  forecast: CapacityForecast | null;
  series: RollupBucket[];
}

const FORECAST_WINDOW_MS = 30 * DAY_MS;
/** The resources "days until full" makes sense for; CPU gets p95 and headroom only. */
const FILLS_UP: ReadonlySet<CapacityResource> = new Set(['filesystem', 'memory']);

function evaluate(buckets: RollupBucket[], now: number, backtest = true): ResourceCapacity[] {
  const bySeries = new Map<string, RollupBucket[]>();
  for (const b of buckets) {
    const key = seriesKey(b);
    const series = bySeries.get(key);
    if (series) series.push(b);
    else bySeries.set(key, [b]);
  }
  return [...bySeries.values()].map((series) => {
    const first = series[0] as RollupBucket;
    let forecast: CapacityForecast | null = null;
    if (first.resource !== 'network') {
      // An hour's average stands for its middle (or for now, while the hour is running).
      const points: SeriesPoint[] = series.map((b) => ({ at: Math.min(b.bucketStart + HOUR_MS / 2, now), value: b.sum / b.count }));
      forecast = forecastCapacity(points, now, { backtest });
      if (!FILLS_UP.has(first.resource)) forecast = { ...forecast, daysUntilFull: null, fullBetween: null, trends: [], backtest: null };
    }
    return { host: first.host, resource: first.resource, mountpoint: first.mountpoint, forecast, series };
  });
}

/** Worst first: soonest full, then highest p95; ties by name. */
function worstFirst(a: { daysUntilFull: number | null; p95: number | null; name: string }, b: typeof a): number {
  const da = a.daysUntilFull ?? Number.POSITIVE_INFINITY;
  const db = b.daysUntilFull ?? Number.POSITIVE_INFINITY;
  if (da !== db) return da - db;
  return (b.p95 ?? -1) - (a.p95 ?? -1) || a.name.localeCompare(b.name);
}

export interface HostCapacity {
  host: string;
  daysUntilFull: number | null;
  p95: number | null;
  resources: ResourceCapacity[];
}

function byHost(resources: ResourceCapacity[]): HostCapacity[] {
  const hosts = new Map<string, ResourceCapacity[]>();
  for (const r of resources) {
    const rs = hosts.get(r.host);
    if (rs) rs.push(r);
    else hosts.set(r.host, [r]);
  }
  return [...hosts].map(([host, rs]) => {
    const ranked = rs
      .map((r) => ({ r, daysUntilFull: r.forecast?.daysUntilFull ?? null, p95: r.resource === 'network' ? null : (r.forecast?.p95 ?? null), name: `${r.resource}:${r.mountpoint}` }))
      .sort(worstFirst);
    const worst = ranked[0];
    const p95s = ranked.map((x) => x.p95).filter((p): p is number => p !== null);
    return { host, daysUntilFull: worst?.daysUntilFull ?? null, p95: p95s.length ? Math.max(...p95s) : null, resources: ranked.map((x) => x.r) };
  });
}

/** The hourly buckets of every series over complete hours, kept with the fingerprint of what they were read from. */
interface SettledHours {
  from: number;
  to: number;
  checksum: string;
  buckets: RollupBucket[];
}
const settledHours = new WeakMap<DatabaseHandle, SettledHours>();

/**
 * Every series' hourly buckets of `[from, to)`, exactly as `readHourlyFromFiveMinute` reads
 * them. The complete hours in between (all but the first, partial hour and the running one)
 * are kept from the previous read while the fingerprint of their five-minute buckets is
 * unchanged: pushes land in the running hour, so they are read again only when the hour
 * turns or a late push or a prune touches them (whichever process wrote it; the
 * fingerprint lives in the database). The fingerprint is read before the buckets, so a
 * write in between makes the next read refresh them instead of keeping them stale.
 */
async function readForecastBuckets(handle: DatabaseHandle, from: number, to: number): Promise<RollupBucket[]> {
  const first = bucketStartOf(from + HOUR_MS - 1, HOUR_MS);
  const running = bucketStartOf(to, HOUR_MS);
  if (running <= first) return readHourlyFromFiveMinute(handle.db, from, to);
  const checksum = await fiveMinuteChecksum(handle.db, first, running);
  let settled = settledHours.get(handle);
  if (!settled || settled.from !== first || settled.to !== running || settled.checksum !== checksum) {
    settled = { from: first, to: running, checksum, buckets: await readHourlyFromFiveMinute(handle.db, first, running) };
    settledHours.set(handle, settled);
  }
  // Series order does not matter (results are sorted); within a series time order does.
  return [...(await readHourlyFromFiveMinute(handle.db, from, first)), ...settled.buckets, ...(await readHourlyFromFiveMinute(handle.db, running, to))];
}

/** The complete hours the forecast read keeps for `handle` in this process, or null before the first read. */
export function keptForecastHours(handle: DatabaseHandle): { from: number; to: number } | null {
  const kept = settledHours.get(handle);
  return kept ? { from: kept.from, to: kept.to } : null;
}

/**
 * Every host with data in the last 30 days, worst first by days until full. `backtest: false`
 * leaves out the backtests (about half the work) where nobody reads them: alerts, `/metrics`.
 */
export async function evaluateCapacity(deps: CapacityDeps, options: { backtest?: boolean } = {}): Promise<HostCapacity[]> {
  const now = deps.clock.now();
  const buckets = await readForecastBuckets(deps.handle, now - FORECAST_WINDOW_MS, now + 1);
  return byHost(evaluate(buckets, now, options.backtest ?? true)).sort((a, b) => worstFirst({ ...a, name: a.host }, { ...b, name: b.host }));
}

export async function evaluateHostCapacity(deps: CapacityDeps, host: string): Promise<Result<HostCapacity>> {
  const now = deps.clock.now();
  const buckets = await readHourlyFromFiveMinute(deps.handle.db, now - FORECAST_WINDOW_MS, now + 1, host);
  const [found] = byHost(evaluate(buckets, now));
  if (!found) return fail('NOT_FOUND', `no capacity data for host ${host} in the last 30 days`);
  return ok(found);
}
