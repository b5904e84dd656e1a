/** @module Capacity vocabulary shared by the engine, the repository and the services. */

export type CapacityResource = 'cpu' | 'memory' | 'filesystem' | 'network';

export type CounterName = 'cpu.total' | 'cpu.idle' | 'network.bytes';

/** The latest cumulative reading of each counter of one host. */
export type CounterState = Map<CounterName, { at: number; value: number }>;

/** '5m' buckets and '1h' buckets. */
export type Resolution = '5m' | '1h';

/** One bucket of one series: avg = sum / count. `mountpoint` is '' except for filesystems. */
export interface RollupBucket {
  host: string;
  resource: CapacityResource;
  mountpoint: string;
  bucketStart: number;
  sum: number;
  count: number;
  max: number;
}

const DAY_MS = 86_400_000;

/**
 * What a forecast tells a reader: full in so many days, not within the horizon (a slow trend
 * extrapolated past it), or not filling at all (flat or falling).
 */
export type FullIn = { kind: 'days'; days: number } | { kind: 'beyond-horizon'; horizonMs: number } | { kind: 'not-filling' };

export function fullIn(daysUntilFull: number | null, horizonMs: number): FullIn {
  if (daysUntilFull === null) return { kind: 'not-filling' };
  if (daysUntilFull * DAY_MS > horizonMs) return { kind: 'beyond-horizon', horizonMs };
  return { kind: 'days', days: daysUntilFull };
}

/** "a year", "2 years", "90 days": whole years when the horizon is one. */
export function describeHorizon(horizonMs: number): string {
  const days = horizonMs / DAY_MS;
  if (days % 365 === 0) return days === 365 ? 'a year' : `${days / 365} years`;
  return days === 1 ? 'a day' : `${Math.round(days * 10) / 10} days`;
}

/** "< 1 day", "5.5 days", "20 days", "not within a year", "not filling". */
export function describeFullIn(f: FullIn): string {
  if (f.kind === 'not-filling') return 'not filling';
  if (f.kind === 'beyond-horizon') return `not within ${describeHorizon(f.horizonMs)}`;
  if (f.days < 1) return '< 1 day';
  return `${f.days < 10 ? f.days.toFixed(1) : Math.round(f.days)} days`;
}
