/**
 * @module Outgoing notifications, the pure parts: which timeline entries notify, the
 * bodies sent (Sightline JSON and Slack-compatible), how a response is judged, how long
 * to wait before a retry, and the timeline cursor that tolerates late commits.
 */
import { mergedInto } from './incident.js';

export const NOTIFICATION_EVENTS = ['opened', 'acknowledged', 'resolved', 'reopened', 'priority_changed', 'sla_warning', 'sla_breached', 'merged', 'incident_service_added', 'sla_burn'] as const;
export type NotificationEvent = (typeof NOTIFICATION_EVENTS)[number];
/** Events about an incident, read from its timeline; `sla_burn` is about a service. */
export type IncidentNotificationEvent = Exclude<NotificationEvent, 'sla_burn'>;

/** `suppressed`: not sent, because the incident's alerts were silenced before it went out. */
export type DeliveryState = 'pending' | 'delivered' | 'failed' | 'suppressed';

/** A timeline entry saying that silences left its incident with nothing firing. */
export function silencesIncident(kind: string, data: unknown): boolean {
  return kind === 'silenced' && isObject(data) && data.incidentSilenced === true;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Why a timeline entry stops its incident's notifications that were not delivered yet, or
 * null: silences left it with nothing firing, or it was merged into another incident (its
 * fault goes on there, and that incident notifies).
 */
export function stopsNotifications(kind: string, data: unknown): string | null {
  if (silencesIncident(kind, data)) return `not sent: the incident's alerts were silenced (silence ${String((data as { silence?: unknown }).silence)})`;
  const into = mergedInto(kind, data);
  if (into !== null) return `not sent: the incident was merged into #${into}`;
  return null;
}

/**
 * The event a timeline entry stands for, or null. People's lifecycle actions carry
 * `data.action`, because their `kind` is the status reached (a reopen reaches `open`, a
 * resume may reach `acknowledged`); the correlator's entries are known by kind alone.
 * `merged` is the absorbed incident's entry only: the surviving one goes on notifying.
 * `incident_service_added`: the fault reached another service after people acknowledged
 * the incident (the correlator marks that `service_reached` entry `announced`).
 */
export function notificationEventOf(kind: string, data: unknown): IncidentNotificationEvent | null {
  if (isObject(data) && typeof data.action === 'string') {
    switch (data.action) {
      case 'acknowledge':
        return 'acknowledged';
      case 'resolve':
        return 'resolved';
      case 'reopen':
        return 'reopened';
      default:
        return null;
    }
  }
  switch (kind) {
    case 'opened':
    case 'acknowledged':
    case 'resolved':
    case 'reopened':
    case 'sla_warning':
    case 'sla_breached':
      return kind;
    case 'merged':
      return mergedInto(kind, data) === null ? null : 'merged';
    case 'service_reached':
      return isObject(data) && data.announced === true && typeof data.service === 'string' ? 'incident_service_added' : null;
    case 'updated':
      // A priority edit that left the priority as it was is not a change.
      if (!isObject(data) || !('priority' in data)) return null;
      if (typeof data.priorityFrom === 'string' && data.priorityFrom === data.priorityTo) return null;
      return 'priority_changed';
    default:
      return null;
  }
}

/** What a notification says about its incident: the incident as it was when queued. */
export interface IncidentSnapshot {
  id: number;
  title: string;
  status: string;
  priority: string;
  impact: string;
  urgency: string;
  service: string | null;
  host: string | null;
  rootCauseService: string | null;
  assignee: string | null;
  alertCount: number;
  firingCount: number;
  openedAt: number;
  acknowledgedAt: number | null;
  resolvedAt: number | null;
}

export interface NotificationContent {
  event: IncidentNotificationEvent;
  idempotencyKey: string;
  at: number;
  actor: string;
  message: string;
  incident: IncidentSnapshot;
  /** The priority before a `priority_changed`, when the entry recorded it. */
  previousPriority: string | null;
  /** Links to the incident, when the server knows its public URL. */
  links: IncidentLinks | null;
  /** For `merged`: the incident it went into, and links to that one. */
  mergedInto?: { id: number; links: IncidentLinks | null };
  /** For `incident_service_added`: the service the fault reached. */
  addedService?: string;
  /** For `opened`: the change flagged as its likely cause, in words ("deploy v2.3.1 of payments 4 min before"). */
  likelyCause?: string;
}

export interface IncidentLinks {
  /** The incident's page in the web UI. */
  url: string;
  /** The incident in the API (needs a `read` token). */
  apiUrl: string;
}

/** Where people find an incident, from the server's `publicUrl` (no trailing slash); null without one. */
export function incidentLinks(publicUrl: string | null, incidentId: number): IncidentLinks | null {
  if (!publicUrl) return null;
  return { url: `${publicUrl}/ui/incidents/${incidentId}`, apiUrl: `${publicUrl}/api/v1/incidents/${incidentId}` };
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function renderJsonPayload(n: NotificationContent): Record<string, unknown> {
  const i = n.incident;
  return {
    event: n.event,
    idempotencyKey: n.idempotencyKey,
    at: iso(n.at),
    actor: n.actor,
    message: n.message,
    ...(n.event === 'priority_changed' ? { previousPriority: n.previousPriority } : {}),
    ...(n.event === 'merged' && n.mergedInto ? { mergedInto: { id: n.mergedInto.id, url: n.mergedInto.links?.url ?? null } } : {}),
    ...(n.event === 'incident_service_added' && n.addedService ? { service: n.addedService } : {}),
    ...(n.likelyCause ? { likelyCause: n.likelyCause } : {}),
    incident: {
      id: i.id,
      title: i.title,
      status: i.status,
      priority: i.priority,
      impact: i.impact,
      urgency: i.urgency,
      service: i.service,
      host: i.host,
      rootCauseService: i.rootCauseService,
      assignee: i.assignee,
      alertCount: i.alertCount,
      firingCount: i.firingCount,
      openedAt: iso(i.openedAt),
      acknowledgedAt: iso(i.acknowledgedAt),
      resolvedAt: iso(i.resolvedAt),
      url: n.links?.url ?? null,
      apiUrl: n.links?.apiUrl ?? null,
    },
  };
}

const EVENT_WORDS: Record<IncidentNotificationEvent, string> = {
  opened: 'opened',
  acknowledged: 'acknowledged',
  resolved: 'resolved',
  reopened: 'reopened',
  priority_changed: 'priority changed',
  sla_warning: 'nearing its SLA target',
  sla_breached: 'breached its SLA target',
  merged: 'merged',
  incident_service_added: 'affects another service',
};

/** Slack's mrkdwn needs only these three escaped. */
const escapeMrkdwn = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A Slack-compatible message (incoming webhooks, and Mattermost/Rocket.Chat which accept the same). */
export function renderSlackPayload(n: NotificationContent): Record<string, unknown> {
  const i = n.incident;
  const change = n.event === 'priority_changed' && n.previousPriority ? ` (${n.previousPriority} → ${i.priority})` : '';
  const into = n.event === 'merged' && n.mergedInto ? n.mergedInto : null;
  const words = n.event === 'incident_service_added' && n.addedService ? `now affects ${n.addedService}` : EVENT_WORDS[n.event];
  const subject = `[${i.priority}] Incident #${i.id} ${words}${change}`;
  const text = `${subject}${into ? ` into #${into.id}` : ''}: ${i.title}${n.likelyCause ? ` (likely cause: ${n.likelyCause})` : ''}`;
  const fields = [
    `*Priority:* ${i.priority}`,
    `*Status:* ${i.status.replace('_', ' ')}`,
    `*Service:* ${i.service ?? '—'}`,
    ...(i.host ? [`*Host:* ${i.host}`] : []),
    ...(n.likelyCause ? [`*Likely cause:* ${n.likelyCause}`] : []),
  ];
  // Slack links are <url|label>; the URL is ours (validated http(s)), the label escaped.
  // A merge links both incidents, and the plain text the one where work goes on.
  const link = (url: string | undefined, label: string) => (url ? `<${url}|${escapeMrkdwn(label)}>` : escapeMrkdwn(label));
  const headline = into
    ? `*${link(n.links?.url, subject)} into ${link(into.links?.url, `#${into.id}`)}: ${escapeMrkdwn(i.title)}*`
    : `*${link(n.links?.url, text)}*`;
  const url = into ? into.links?.url : n.links?.url;
  return {
    text: url ? `${text} ${url}` : text,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: headline } },
      { type: 'section', fields: fields.map((f) => ({ type: 'mrkdwn', text: escapeMrkdwn(f) })) },
      { type: 'context', elements: [{ type: 'mrkdwn', text: escapeMrkdwn(`${n.message} · ${iso(n.at)}`) }] },
    ],
  };
}

/** A burn-rate episode of a service's error budget, as notified once when it begins. */
export interface SignalNotificationContent {
  idempotencyKey: string;
  at: number;
  message: string;
  service: string;
  /** 'page' (fast burn) or 'ticket' (slow burn). */
  severity: string;
  /** Windows, burn rates, threshold and budget spent. */
  details: Record<string, unknown>;
  /** Incidents whose downtime burned the budget, with links when the server knows its public URL. */
  incidents: { id: number; title: string; links: IncidentLinks | null }[];
  /** The service's SLA page, when the server knows its public URL. */
  slaUrl: string | null;
}

/** The `sla_burn` body in Sightline JSON. */
export function renderSignalJsonPayload(n: SignalNotificationContent): Record<string, unknown> {
  return {
    event: 'sla_burn',
    idempotencyKey: n.idempotencyKey,
    at: iso(n.at),
    actor: 'sightline',
    message: n.message,
    signal: { service: n.service, severity: n.severity, ...n.details, url: n.slaUrl },
    incidents: n.incidents.map((i) => ({ id: i.id, title: i.title, url: i.links?.url ?? null, apiUrl: i.links?.apiUrl ?? null })),
  };
}

/** The `sla_burn` message, Slack-compatible. */
export function renderSignalSlackPayload(n: SignalNotificationContent): Record<string, unknown> {
  const subject = `[SLA ${n.severity}] ${n.service} is burning its error budget`;
  const link = (url: string | null | undefined, label: string) => (url ? `<${url}|${escapeMrkdwn(label)}>` : escapeMrkdwn(label));
  const incidents = n.incidents.map((i) => link(i.links?.url, `#${i.id} ${i.title}`)).join(', ');
  return {
    text: n.slaUrl ? `${subject}: ${n.message} ${n.slaUrl}` : `${subject}: ${n.message}`,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `*${link(n.slaUrl, subject)}*` } },
      { type: 'section', text: { type: 'mrkdwn', text: escapeMrkdwn(n.message) } },
      ...(incidents ? [{ type: 'context', elements: [{ type: 'mrkdwn', text: `Incidents: ${incidents}` }] }] : []),
    ],
  };
}

export type DeliveryOutcome =
  | { kind: 'delivered' }
  | { kind: 'retry'; error: string; retryAfterMs: number | null }
  | { kind: 'failed'; error: string };

/** 2xx delivered; 408, 429 and 5xx are worth another try; any other answer will not change. */
export function judgeResponse(status: number, retryAfterMs: number | null, bodySnippet: string): DeliveryOutcome {
  if (status >= 200 && status < 300) return { kind: 'delivered' };
  const error = `HTTP ${status}${bodySnippet ? `: ${bodySnippet}` : ''}`;
  if (status === 408 || status === 429 || status >= 500) return { kind: 'retry', error, retryAfterMs };
  return { kind: 'failed', error };
}

/** `Retry-After` (RFC 9110 §10.2.3): delay-seconds or an HTTP-date; null when absent or unreadable. */
export function parseRetryAfter(value: string | null, now: number): number | null {
  if (!value) return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

/**
 * The wait before attempt `attempt + 1` (attempt counts from 1): exponential from
 * `minMs` with jitter (uniform in [base, 2·base), so retries of many rows spread out),
 * at least what the receiver asked for in `Retry-After`, never more than `maxMs`.
 * `random` is in [0, 1).
 */
export function retryDelay(attempt: number, bounds: { minMs: number; maxMs: number }, random: number, retryAfterMs: number | null = null): number {
  const base = bounds.minMs * 2 ** Math.min(Math.max(0, attempt - 1), 40);
  const jittered = Math.round(base * (1 + random));
  return Math.min(bounds.maxMs, Math.max(jittered, retryAfterMs ?? 0));
}

/** Ids below the cursor that were not visible yet when it passed them, and since when. */
export interface GapRange {
  from: number;
  to: number;
  since: number;
}

export interface TimelineCursor {
  position: number;
  gaps: GapRange[];
}

/**
 * Moves the timeline cursor past the ids a scan saw. Ids come from a sequence, but on
 * PostgreSQL a transaction can commit after one that took a larger id; the scan then sees
 * a hole. Holes are remembered as gap ranges and scanned again on every pass, until the
 * missing ids appear (a late commit) or `graceMs` has passed (a rollback or skipped
 * sequence values never fill). So a late commit is only missed if its transaction ran
 * longer than `graceMs`. On SQLite writers commit in id order and gaps do not occur.
 *
 * `seen` holds the ids found inside the old gaps and those above the old position,
 * ascending; the scan above the position must have read a contiguous prefix (by id).
 * At most `maxGaps` ranges are kept, the newest; the count of the others is returned.
 */
export function advanceCursor(
  cursor: TimelineCursor,
  seen: readonly number[],
  now: number,
  graceMs: number,
  maxGaps = 1000,
): { cursor: TimelineCursor; expired: number; dropped: number } {
  const below = seen.filter((id) => id <= cursor.position);
  const above = seen.filter((id) => id > cursor.position);
  let gaps: GapRange[] = [];
  // Split the old gaps around the ids that turned up in them.
  for (const gap of cursor.gaps) {
    let from = gap.from;
    for (const id of below) {
      if (id < from || id > gap.to) continue;
      if (id > from) gaps.push({ from, to: id - 1, since: gap.since });
      from = id + 1;
    }
    if (from <= gap.to) gaps.push({ from, to: gap.to, since: gap.since });
  }
  const kept = gaps.filter((g) => now - g.since < graceMs);
  const expired = gaps.length - kept.length;
  gaps = kept;
  let position = cursor.position;
  for (const id of above) {
    if (id > position + 1) gaps.push({ from: position + 1, to: id - 1, since: now });
    position = id;
  }
  const dropped = Math.max(0, gaps.length - maxGaps);
  if (dropped) gaps = gaps.slice(dropped);
  return { cursor: { position, gaps }, expired, dropped };
}
