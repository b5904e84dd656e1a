/**
 * @module Sightline's own batch format, `POST /api/v1/alerts`:
 * `{"alerts":[{"labels","annotations"?,"status"?,"startsAt"?,"endsAt"?,"fingerprint"?}]}`.
 * A firing alert stays firing until a resolved one is sent, unless `endsAt` is given,
 * which then acts as a lease. Without `status`, an `endsAt` not after now means resolved.
 */
import { z } from 'zod';
import type { AlertEvent } from '../domain/alert.js';
import { acceptBatch, checkAlert, refuseOversizedBatch, rejectBatch, type AlertChecks, type ParsedBatch } from './batch.js';
import { fingerprintLabels } from './fingerprint.js';
import { DEFAULT_TIME_SKEW, type TimeSkew } from '../domain/time.js';
import { DEFAULT_ALERT_LIMITS, type AlertLimits } from './limits.js';
import { issuesOf, LabelSet, parseEach, PrometheusLabelSet, Timestamp } from './schemas.js';

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
  alerts: z.array(z.unknown()).min(1, 'at least one alert is required'),
});

export function parseNative(body: unknown, now: number, skew: TimeSkew = DEFAULT_TIME_SKEW, limits: AlertLimits = DEFAULT_ALERT_LIMITS): ParsedBatch {
  const batch = NativeBatch.safeParse(body);
  if (!batch.success) return rejectBatch(issuesOf(batch.error, -1));
  const oversized = refuseOversizedBatch(batch.data.alerts.length, limits);
  if (oversized) return oversized;
  const { parsed, issues } = parseEach(NativeAlert, batch.data.alerts, 'alerts');
  const events: AlertEvent[] = [];
  const checks: AlertChecks = { now, skew, limits, issues, truncated: [] };
  for (const { index, value } of parsed) {
    const givenEnd = value.endsAt ?? null;
    const status = value.status ?? (givenEnd !== null && givenEnd <= now ? 'resolved' : 'firing');
    const startsAt = value.startsAt ?? (status === 'resolved' && givenEnd !== null ? givenEnd : now);
    const endsAt = status === 'resolved' ? (givenEnd ?? Math.max(now, startsAt)) : givenEnd;
    if (endsAt !== null && endsAt < startsAt) {
      issues.push({ index, path: `alerts.${index}.endsAt`, message: 'endsAt must not be before startsAt' });
      continue;
    }
    const annotations = checkAlert(index, value, checks);
    if (annotations === null) continue;
    events.push({
      source: 'api',
      fingerprint: value.fingerprint ?? fingerprintLabels(value.labels),
      status,
      labels: value.labels,
      annotations,
      startsAt,
      endsAt,
      generatorUrl: value.generatorURL ?? null,
    });
  }
  return acceptBatch(events, issues, checks.truncated);
}
