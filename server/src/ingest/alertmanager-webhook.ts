/**
 * @module Alertmanager webhook (payload version 4) and Grafana's webhook (version 1),
 * which copies Alertmanager's shape. The per-alert status and fingerprint are trusted:
 * a group notification may carry firing and resolved alerts together.
 */
import { z } from 'zod';
import type { AlertEvent, AlertSource } from '../domain/alert.js';
import { acceptBatch, MAX_ALERTS_PER_BATCH, rejectBatch, type ParsedBatch } from './batch.js';
import { fingerprintLabels } from './fingerprint.js';
import { DEFAULT_TIME_SKEW, type TimeSkew } from '../domain/time.js';
import { issuesOf, LabelSet, parseEach, Timestamp, timeSkewIssue } from './schemas.js';

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
  alerts: z.array(z.unknown()).max(MAX_ALERTS_PER_BATCH, `at most ${MAX_ALERTS_PER_BATCH} alerts per request`),
});

/** Go's zero `endsAt` (what Alertmanager and Grafana send for a firing alert) means no end. */
export function parseWebhook(body: unknown, source: Extract<AlertSource, 'alertmanager' | 'grafana'>, now: number, skew: TimeSkew = DEFAULT_TIME_SKEW): ParsedBatch {
  const envelope = WebhookEnvelope.safeParse(body);
  if (!envelope.success) return rejectBatch(issuesOf(envelope.error, -1));
  const { parsed, issues } = parseEach(WebhookAlert, envelope.data.alerts, 'alerts');
  const events: AlertEvent[] = [];
  for (const { index, value } of parsed) {
    if (value.startsAt === null) {
      issues.push({ index, path: `alerts.${index}.startsAt`, message: 'startsAt is required' });
      continue;
    }
    const skewed = timeSkewIssue(index, { startsAt: value.startsAt, endsAt: value.endsAt }, now, skew);
    if (skewed) {
      issues.push(skewed);
      continue;
    }
    const endsAt = value.endsAt ?? null;
    events.push({
      source,
      fingerprint: value.fingerprint ?? fingerprintLabels(value.labels),
      status: value.status,
      labels: value.labels,
      annotations: value.annotations ?? {},
      startsAt: value.startsAt,
      // A resolved alert without an end time ended when we heard of it.
      endsAt: value.status === 'resolved' ? (endsAt ?? now) : endsAt,
      generatorUrl: value.generatorURL ?? null,
    });
  }
  return acceptBatch(events, issues);
}
