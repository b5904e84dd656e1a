/**
 * @module Alertmanager webhook (payload version 4) and Grafana's webhook (version 1),
 * which copies Alertmanager's shape. The per-alert status and fingerprint are trusted:
 * a group notification may carry firing and resolved alerts together.
 */
import { z } from 'zod';
import type { AlertEvent, AlertSource } from '../domain/alert.js';
import { acceptBatch, checkAlert, refuseOversizedBatch, rejectBatch, type AlertChecks, type ParsedBatch } from './batch.js';
import { fingerprintLabels } from './fingerprint.js';
import { DEFAULT_TIME_SKEW, type TimeSkew } from '../domain/time.js';
import { DEFAULT_ALERT_LIMITS, type AlertLimits } from './limits.js';
import { issuesOf, LabelSet, parseEach, Timestamp } from './schemas.js';

export const WebhookAlert = z.object({
  status: z.enum(['firing', 'resolved']),
  labels: LabelSet.refine((l) => Object.keys(l).length > 0, 'at least one label is required'),
  annotations: LabelSet.optional(),
  startsAt: Timestamp,
  endsAt: Timestamp.optional(),
  generatorURL: z.string().max(8192).optional(),
  fingerprint: z.string().min(1).max(128).optional(),
});

// Unknown envelope fields (`notification_reason`, `routeLabels`, Grafana's `orgId`, …) pass through untouched.
export const WebhookEnvelope = z.looseObject({
  version: z.string().optional(),
  status: z.string().optional(),
  alerts: z.array(z.unknown()),
});

/** Go's zero `endsAt` (what Alertmanager and Grafana send for a firing alert) means no end. */
export function parseWebhook(body: unknown, source: Extract<AlertSource, 'alertmanager' | 'grafana'>, now: number, skew: TimeSkew = DEFAULT_TIME_SKEW, limits: AlertLimits = DEFAULT_ALERT_LIMITS): ParsedBatch {
  const envelope = WebhookEnvelope.safeParse(body);
  if (!envelope.success) return rejectBatch(issuesOf(envelope.error, -1));
  const oversized = refuseOversizedBatch(envelope.data.alerts.length, limits);
  if (oversized) return oversized;
  const { parsed, issues } = parseEach(WebhookAlert, envelope.data.alerts, 'alerts');
  const events: AlertEvent[] = [];
  const checks: AlertChecks = { now, skew, limits, issues, truncated: [] };
  for (const { index, value } of parsed) {
    if (value.startsAt === null) {
      issues.push({ index, path: `alerts.${index}.startsAt`, message: 'startsAt is required' });
      continue;
    }
    const annotations = checkAlert(index, value, checks);
    if (annotations === null) continue;
    const endsAt = value.endsAt ?? null;
    events.push({
      source,
      fingerprint: value.fingerprint ?? fingerprintLabels(value.labels),
      status: value.status,
      labels: value.labels,
      annotations,
      startsAt: value.startsAt,
      // A resolved alert without an end time ended when we heard of it.
      endsAt: value.status === 'resolved' ? (endsAt ?? now) : endsAt,
      generatorUrl: value.generatorURL ?? null,
    });
  }
  return acceptBatch(events, issues, checks.truncated);
}
