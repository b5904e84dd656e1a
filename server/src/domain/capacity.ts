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
