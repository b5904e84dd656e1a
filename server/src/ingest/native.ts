/**
 * @module Sightline's own batch format, `POST /api/v1/alerts`:
 * `{"alerts":[{"labels","annotations"?,"status"?,"startsAt"?,"endsAt"?,"fingerprint"?}]}`.
 * A firing alert stays firing until a resolved one is sent, unless `endsAt` is given,
 * which then acts as a lease. Without `status`, an `endsAt` not after now means resolved.
 */
import { z } from 'zod';
import type { AlertEvent } from '../domain/alert.js';
import { acceptBatch, MAX_ALERTS_PER_BATCH, rejectBatch, type ParsedBatch } from './batch.js';
import { fingerprintLabels } from './fingerprint.js';
import { DEFAULT_TIME_SKEW, type TimeSkew } from '../domain/time.js';
import { issuesOf, LabelSet, parseEach, PrometheusLabelSet, Timestamp, timeSkewIssue } from './schemas.js';

export const NativeAlert = z.object({
  labels: PrometheusLabelSet,
  annotations: LabelSet.optional(),
  status: z.enum(['firing', 'resolved']).optional(),
  startsAt: Timestamp.optional(),
  endsAt: Timestamp.optional(),
  fingerprint: z.string().min(1).max(128).optional(),
  generatorURL: z.string().max(8192).optional(),
});

export const NativeBatch = z.object({
  alerts: z.array(z.unknown()).min(1, 'at least one alert is required').max(MAX_ALERTS_PER_BATCH, `at most ${MAX_ALERTS_PER_BATCH} alerts per request`),
});

export function parseNative(body: unknown, now: number, skew: TimeSkew = DEFAULT_TIME_SKEW): ParsedBatch {
  const batch = NativeBatch.safeParse(body);
  if (!batch.success) return rejectBatch(issuesOf(batch.error, -1));
  const { parsed, issues } = parseEach(NativeAlert, batch.data.alerts, 'alerts');
  const events: AlertEvent[] = [];
  for (const { index, value } of parsed) {
    const skewed = timeSkewIssue(index, { startsAt: value.startsAt, endsAt: value.endsAt }, now, skew);
    if (skewed) {
      issues.push(skewed);
      continue;
    }
    const givenEnd = value.endsAt ?? null;
    const status = value.status ?? (givenEnd !== null && givenEnd <= now ? 'resolved' : 'firing');
    const startsAt = value.startsAt ?? (status === 'resolved' && givenEnd !== null ? givenEnd : now);
    const endsAt = status === 'resolved' ? (givenEnd ?? Math.max(now, startsAt)) : givenEnd;
    if (endsAt !== null && endsAt < startsAt) {
      issues.push({ index, path: `alerts.${index}.endsAt`, message: 'endsAt must not be before startsAt' });
      continue;
    }
    events.push({
      source: 'api',
      fingerprint: value.fingerprint ?? fingerprintLabels(value.labels),
      status,
      labels: value.labels,
      annotations: value.annotations ?? {},
      startsAt,
      endsAt,
      generatorUrl: value.generatorURL ?? null,
    });
  }
  return acceptBatch(events, issues);
}
