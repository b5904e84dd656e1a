/**
 * @module The canonical alert event every ingest format is normalised into.
 * Times are epoch milliseconds (UTC).
 */

/** A Prometheus label name. */
export const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export const ALERT_SOURCES = ['alertmanager', 'prometheus', 'pagerduty', 'grafana', 'api', 'agent', 'sightline'] as const;
export type AlertSource = (typeof ALERT_SOURCES)[number];

/** `acknowledged` only comes from PagerDuty-style senders. */
export type AlertEventStatus = 'firing' | 'resolved' | 'acknowledged';

export type Labels = Record<string, string>;

export interface AlertEvent {
  source: AlertSource;
  /** Sender's identity of the alert; unique within `source`. */
  fingerprint: string;
  status: AlertEventStatus;
  labels: Labels;
  annotations: Labels;
  startsAt: number;
  /** End of the alert (resolved) or of its lease (firing); null when open-ended. */
  endsAt: number | null;
  generatorUrl: string | null;
}

/** An alert event as stored in the log: its sequence number and arrival time. */
export interface StoredAlertEvent extends AlertEvent {
  id: number;
  receivedAt: number;
}

/** The current state of one alert (source, fingerprint): derived from the log by the correlator. */
export interface AlertRecord {
  id: number;
  source: AlertSource;
  fingerprint: string;
  status: 'firing' | 'resolved';
  labels: Labels;
  annotations: Labels;
  title: string;
  severity: string;
  service: string | null;
  host: string | null;
  startsAt: number;
  endsAt: number | null;
  generatorUrl: string | null;
  occurrences: number;
  firstSeenAt: number;
  lastSeenAt: number;
  incidentId: number | null;
  acknowledged: boolean;
  /** Who ended the alert: the sender, or its lease running out without a re-send. */
  resolvedBy: 'sender' | 'lease' | null;
  /** Id of the silence or maintenance window suppressing it. */
  suppressedBy: string | null;
  flapping: boolean;
  flapHistory: number[];
}

export type Severity = 'critical' | 'error' | 'warning' | 'info' | 'unknown';

const SEVERITY_ALIASES: Record<string, Severity> = {
  critical: 'critical',
  crit: 'critical',
  page: 'critical',
  p1: 'critical',
  fatal: 'critical',
  emergency: 'critical',
  high: 'critical',
  error: 'error',
  err: 'error',
  major: 'error',
  p2: 'error',
  warning: 'warning',
  warn: 'warning',
  minor: 'warning',
  medium: 'warning',
  p3: 'warning',
  info: 'info',
  informational: 'info',
  notice: 'info',
  low: 'info',
  none: 'info',
  p4: 'info',
  p5: 'info',
};

export function severityOf(labels: Labels): Severity {
  const raw = (labels.severity ?? labels.priority ?? '').trim().toLowerCase();
  return SEVERITY_ALIASES[raw] ?? 'unknown';
}

export function serviceOf(labels: Labels): string | null {
  return labels.service || labels.app || null;
}

/** Host from `host`/`hostname`/`nodename`, else `instance` without its port. */
export function hostOf(labels: Labels): string | null {
  const explicit = labels.host || labels.hostname || labels.nodename;
  if (explicit) return explicit;
  const instance = labels.instance;
  if (!instance) return null;
  // "[::1]:9100" → "::1"; "db-1:9100" → "db-1"; a bare IPv6 address has several colons and no port.
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(instance);
  if (bracketed) return bracketed[1] ?? instance;
  const parts = instance.split(':');
  if (parts.length === 2 && /^\d+$/.test(parts[1] ?? '')) return parts[0] || instance;
  return instance;
}

export function titleOf(labels: Labels, annotations: Labels): string {
  const alertname = labels.alertname ?? 'alert';
  const text = (annotations.summary || annotations.title || annotations.description || '').trim();
  return text ? `${alertname}: ${text}` : alertname;
}
