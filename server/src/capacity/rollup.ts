/**
 * @module Rollups: samples become 5-minute buckets keeping sum, count and max, so buckets
 * written by several pushes merge exactly (avg = sum/count). Five-minute buckets are
 * later folded into hourly ones; both are pruned by age.
 */
import type { Resolution, RollupBucket } from '../domain/capacity.js';
import type { CapacitySample } from './observations.js';

export type { Resolution, RollupBucket };

export const FIVE_MINUTES_MS = 5 * 60_000;
export const HOUR_MS = 60 * 60_000;
export const DAY_MS = 24 * HOUR_MS;

export const bucketStartOf = (at: number, size: number) => at - (((at % size) + size) % size);

/** Folds samples into buckets of `size` ms, sorted by series then time. */
export function bucketSamples(samples: CapacitySample[], size = FIVE_MINUTES_MS): RollupBucket[] {
  const out = new Map<string, RollupBucket>();
  for (const s of samples) {
    const bucketStart = bucketStartOf(s.at, size);
    const key = `${s.host}\u0000${s.resource}\u0000${s.mountpoint}\u0000${bucketStart}`;
    const b = out.get(key);
    if (b) {
      b.sum += s.value;
      b.count += 1;
      b.max = Math.max(b.max, s.value);
    } else out.set(key, { host: s.host, resource: s.resource, mountpoint: s.mountpoint, bucketStart, sum: s.value, count: 1, max: s.value });
  }
  return [...out.values()].sort((a, b) => seriesKey(a).localeCompare(seriesKey(b)) || a.bucketStart - b.bucketStart);
}

export const seriesKey = (b: { host: string; resource: string; mountpoint: string }) => `${b.host}\u0000${b.resource}\u0000${b.mountpoint}`;

/** Merges buckets of one series into coarser ones (5-minute → hourly), exactly. */
export function coarsenBuckets(buckets: RollupBucket[], size: number): RollupBucket[] {
  const out = new Map<string, RollupBucket>();
  for (const b of buckets) {
    const bucketStart = bucketStartOf(b.bucketStart, size);
    const key = `${seriesKey(b)}\u0000${bucketStart}`;
    const o = out.get(key);
    if (o) {
      o.sum += b.sum;
      o.count += b.count;
      o.max = Math.max(o.max, b.max);
    } else out.set(key, { ...b, bucketStart });
  }
  return [...out.values()].sort((a, b) => seriesKey(a).localeCompare(seriesKey(b)) || a.bucketStart - b.bucketStart);
}

/** Nearest-rank percentile (q in 0–1) of the values; null for none. */
export function percentile(values: number[], q: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[rank - 1] as number;
}
