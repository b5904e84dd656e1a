/**
 * @module PagerDuty Events API v2 (`POST /v2/enqueue`): one event per request.
 * `trigger` opens (or re-triggers) the alert named by `dedup_key`; a trigger without
 * one gets a fresh key, returned to the sender. `acknowledge` and `resolve` need the key.
 * Mapping: `payload.source` → host, `payload.group` → service, `payload.class`
 * (else `component`) → alertname, `summary` → annotation.
 */
import { z } from 'zod';
import type { AlertEvent, Labels } from '../domain/alert.js';
import { DEFAULT_TIME_SKEW, timeSkewProblem, type TimeSkew } from '../domain/time.js';
import { Timestamp } from './schemas.js';

const Payload = z.object({
  summary: z.string().min(1).max(1024),
  source: z.string().min(1).max(255),
  severity: z.enum(['critical', 'error', 'warning', 'info']),
  timestamp: Timestamp.optional(),
  component: z.string().max(255).optional(),
  group: z.string().max(255).optional(),
  class: z.string().max(255).optional(),
  custom_details: z.unknown().optional(),
});

export const PagerDutyEvent = z
  .looseObject({
    routing_key: z.string().min(1).max(256),
    event_action: z.enum(['trigger', 'acknowledge', 'resolve']),
    dedup_key: z.string().min(1).max(255).optional(),
    payload: Payload.optional(),
    client: z.string().max(1024).optional(),
    client_url: z.string().max(8192).optional(),
  })
  .superRefine((event, ctx) => {
    if (event.event_action === 'trigger' && !event.payload) {
      ctx.addIssue({ code: 'custom', path: ['payload'], message: "'payload' is required for event_action trigger" });
    }
    if (event.event_action !== 'trigger' && !event.dedup_key) {
      ctx.addIssue({ code: 'custom', path: ['dedup_key'], message: `'dedup_key' is required for event_action ${event.event_action}` });
    }
  });
export type PagerDutyEvent = z.output<typeof PagerDutyEvent>;

export type PagerDutyParse =
  | { ok: true; event: AlertEvent; dedupKey: string; routingKey: string }
  | { ok: false; errors: string[] };

/** `newDedupKey` names a trigger that came without a `dedup_key`. */
export function parsePagerDuty(body: unknown, now: number, newDedupKey: () => string, skew: TimeSkew = DEFAULT_TIME_SKEW): PagerDutyParse {
  const result = PagerDutyEvent.safeParse(body);
  if (!result.success) {
    return { ok: false, errors: result.error.issues.map((i) => (i.path.length ? `'${i.path.join('.')}': ${i.message}` : i.message)) };
  }
  const event = result.data;
  const timestamp = event.payload?.timestamp;
  const skewed = timestamp === null || timestamp === undefined ? null : timeSkewProblem(timestamp, now, skew);
  if (skewed) return { ok: false, errors: [`'payload.timestamp': ${skewed}`] };
  const dedupKey = event.dedup_key ?? newDedupKey();
  const labels: Labels = {};
  const annotations: Labels = {};
  let startsAt = now;
  if (event.payload) {
    const p = event.payload;
    labels.alertname = p.class || p.component || 'PagerDutyEvent';
    labels.severity = p.severity;
    labels.host = p.source;
    if (p.group) labels.service = p.group;
    if (p.component) labels.component = p.component;
    annotations.summary = p.summary;
    if (p.custom_details !== undefined) annotations.details = detailsText(p.custom_details);
    startsAt = p.timestamp ?? now;
  }
  const status = event.event_action === 'trigger' ? 'firing' : event.event_action === 'resolve' ? 'resolved' : 'acknowledged';
  return {
    ok: true,
    dedupKey,
    routingKey: event.routing_key,
    event: {
      source: 'pagerduty',
      fingerprint: dedupKey,
      status,
      labels,
      annotations,
      startsAt,
      endsAt: status === 'resolved' ? now : null,
      generatorUrl: event.client_url ?? null,
    },
  };
}

/** `custom_details` as text, at most 64 KiB; a structure too deep to serialise is named, not thrown. */
function detailsText(details: unknown): string {
  try {
    return (JSON.stringify(details) ?? '').slice(0, 65_536);
  } catch {
    return '[custom_details could not be serialised]';
  }
}
