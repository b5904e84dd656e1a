/** @module Time and randomness as arguments, so tests can pin them. */
import { performance } from 'node:perf_hooks';

export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
  /** Monotonic milliseconds, for durations. */
  monotonic(): number;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
};

/** Uniform in [0, 1). */
export type Random = () => number;
export const systemRandom: Random = Math.random;
