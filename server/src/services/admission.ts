/**
 * @module Backpressure for ingest: a sender is told to come back later (429 with
 * Retry-After, as PagerDuty's and OTLP's protocols expect) rather than the server falling
 * over — when the correlator's backlog is too long, or when a token exceeds its rate.
 */
import type { Clock } from './clock.js';

export type Admission = { ok: true } | { ok: false; reason: 'backlog' | 'rate'; retryAfterSeconds: number; message: string };

export interface AdmissionControl {
  admit(tokenId: string): Admission;
  /** Events stored and not yet correlated, as this process counts them. */
  stored(count: number): void;
  correlated(count: number): void;
  setBacklog(count: number): void;
  backlog(): number;
}

export function createAdmissionControl(clock: Clock, options: { maxBacklog: number; requestsPerSecond: number; burst: number }): AdmissionControl {
  let backlog = 0;
  const buckets = new Map<string, { tokens: number; at: number }>();
  return {
    admit(tokenId) {
      if (backlog > options.maxBacklog) {
        return { ok: false, reason: 'backlog', retryAfterSeconds: 5, message: `correlation is ${backlog} events behind; retry later` };
      }
      if (options.requestsPerSecond <= 0) return { ok: true };
      const now = clock.now();
      const bucket = buckets.get(tokenId) ?? { tokens: options.burst, at: now };
      bucket.tokens = Math.min(options.burst, bucket.tokens + ((now - bucket.at) / 1000) * options.requestsPerSecond);
      bucket.at = now;
      buckets.set(tokenId, bucket);
      if (bucket.tokens < 1) {
        const wait = Math.max(1, Math.ceil((1 - bucket.tokens) / options.requestsPerSecond));
        return { ok: false, reason: 'rate', retryAfterSeconds: wait, message: `rate limit of ${options.requestsPerSecond} requests/s for this token exceeded` };
      }
      bucket.tokens -= 1;
      return { ok: true };
    },
    stored(count) {
      backlog += count;
    },
    correlated(count) {
      backlog = Math.max(0, backlog - count);
    },
    setBacklog(count) {
      backlog = count;
    },
    backlog: () => backlog,
  };
}
