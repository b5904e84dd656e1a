/** @module Domain records → API JSON (ISO 8601 timestamps, camelCase). */
import type { AlertRecord } from '../db/alerts-repo.js';
import type { IncidentRecord, TimelineEntry } from '../db/incidents-repo.js';
import type { RankedChange } from '../changes/rank.js';

export const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

export function presentIncident(i: IncidentRecord) {
  return {
    id: i.id,
    title: i.title,
    status: i.status,
    priority: i.priority,
    priorityOverridden: i.priorityOverridden,
    impact: i.impact,
    urgency: i.urgency,
    service: i.service,
    host: i.host,
    groupKey: i.groupKey,
    rootCauseService: i.rootCauseService,
    alertCount: i.alertCount,
    firingCount: i.firingCount,
    assignee: i.assignee,
    openedAt: iso(i.openedAt),
    lastActivityAt: iso(i.lastActivityAt),
    acknowledgedAt: iso(i.acknowledgedAt),
    resolvedAt: iso(i.resolvedAt),
    closedAt: iso(i.closedAt),
    resolution: i.resolution,
    createdAt: iso(i.createdAt),
    updatedAt: iso(i.updatedAt),
  };
}

export function presentAlert(a: AlertRecord) {
  return {
    id: a.id,
    source: a.source,
    fingerprint: a.fingerprint,
    status: a.status,
    title: a.title,
    severity: a.severity,
    service: a.service,
    host: a.host,
    labels: a.labels,
    annotations: a.annotations,
    startsAt: iso(a.startsAt),
    endsAt: iso(a.endsAt),
    generatorURL: a.generatorUrl,
    occurrences: a.occurrences,
    firstSeenAt: iso(a.firstSeenAt),
    lastSeenAt: iso(a.lastSeenAt),
    acknowledged: a.acknowledged,
    suppressedBy: a.suppressedBy,
    flapping: a.flapping,
  };
}

export function presentTimeline(t: TimelineEntry) {
  return { id: t.id, at: iso(t.at), kind: t.kind, actor: t.actor, message: t.message, data: t.data };
}

/** A ranked change of an incident ("what changed?"). */
export function presentRankedChange(c: RankedChange) {
  return {
    id: c.id,
    service: c.service,
    summary: c.summary,
    kind: c.kind,
    version: c.version,
    startedAt: iso(c.startedAt),
    score: c.score,
    reasons: c.reasons,
    ...(c.likelyCause ? { likelyCause: true as const } : {}),
  };
}
