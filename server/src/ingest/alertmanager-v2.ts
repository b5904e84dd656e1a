/**
 * @module Alertmanager API v2 `POST /api/v2/alerts` (postable alerts), the endpoint
 * Prometheus's `alerting.alertmanagers` sends to. Semantics follow Alertmanager:
 * a missing `startsAt` is now (or `endsAt` when only that is given), a missing
 * `endsAt` is a lease of `resolveTimeout`, and an `endsAt` not after now means resolved.
 */
import { z } from 'zod';
import type { AlertEvent } from '../domain/alert.js';
import { acceptBatch, checkAlert, refuseOversizedBatch, rejectBatch, type AlertChecks, type ParsedBatch } from './batch.js';
import { fingerprintLabels } from './fingerprint.js';
import { DEFAULT_TIME_SKEW, type TimeSkew } from '../domain/time.js';
import { DEFAULT_ALERT_LIMITS, type AlertLimits } from './limits.js';
import { LabelSet, parseEach, PrometheusLabelSet, Timestamp } from './schemas.js';

export const PostableAlert = z.object({
  labels: PrometheusLabelSet,
  annotations: LabelSet.optional(),
  startsAt: Timestamp.optional(),
  endsAt: Timestamp.optional(),
  generatorURL: z.string().max(8192).optional(),
});

export function parseAlertmanagerV2(body: unknown, now: number, resolveTimeoutMs: number, skew: TimeSkew = DEFAULT_TIME_SKEW, limits: AlertLimits = DEFAULT_ALERT_LIMITS): ParsedBatch {
  if (!Array.isArray(body)) return rejectBatch([{ index: -1, path: '', message: 'expected a JSON array of alerts' }]);
  const oversized = refuseOversizedBatch(body.length, limits, '');
  if (oversized) return oversized;
  const { parsed, issues } = parseEach(PostableAlert, body, 'alerts');
  const events: AlertEvent[] = [];
  const checks: AlertChecks = { now, skew, limits, issues, truncated: [] };
  for (const { index, value } of parsed) {
    const givenEnd = value.endsAt ?? null;
    const startsAt = value.startsAt ?? givenEnd ?? now;
    const endsAt = givenEnd ?? now + resolveTimeoutMs;
    if (givenEnd !== null && givenEnd < startsAt) {
      issues.push({ index, path: `alerts.${index}.endsAt`, message: 'start time must be before end time' });
      continue;
    }
    const annotations = checkAlert(index, value, checks);
    if (annotations === null) continue;
    events.push({
      source: 'prometheus',
      fingerprint: fingerprintLabels(value.labels),
      status: endsAt <= now ? 'resolved' : 'firing',
      labels: value.labels,
      annotations,
      startsAt,
      endsAt,
      generatorUrl: value.generatorURL ?? null,
    });
  }
  return acceptBatch(events, issues, checks.truncated);
}
