/**
 * @module The correlator: the single writer that applies stored alert events, in log
 * order, to alert state and incidents, and the housekeeping that expires leases,
 * auto-resolves and closes incidents. Each batch is one transaction that also marks
 * its events applied, so a crash replays exactly what was not committed.
 */
import type { Logger } from 'pino';
import type { Transaction } from 'kysely';
import { hostOf, serviceOf, severityOf, titleOf, type Severity } from '../domain/alert.js';
import { higherLevel, impactOfTier, priorityOf, urgencyOf } from '../domain/incident.js';
import { chooseIncident, groupKeyOf, type GroupingConfig } from '../correlate/grouping.js';
import { markEventCorrelated, pendingAlertEvents, type StoredAlertEvent } from '../db/alert-events-repo.js';
import { expiredLeases, findAlert, insertAlert, saveAlert, type AlertRecord } from '../db/alerts-repo.js';
import type { DatabaseHandle } from '../db/connection.js';
import {
  appendTimeline,
  findIncident,
  incidentsDueForAutoResolve,
  incidentsDueForClose,
  incidentsForGroup,
  insertIncident,
  saveIncident,
  type IncidentRecord,
} from '../db/incidents-repo.js';
import type { Database } from '../db/schema.js';
import type { Clock } from './clock.js';
import type { ServerMetrics } from './metrics.js';

export interface CorrelatorOptions {
  grouping: GroupingConfig;
  /** An incident whose alerts have all resolved stays open this long (event time) in case one re-fires. */
  resolveHoldDownMs: number;
  /** Resolved incidents close after this long. */
  closeAfterMs: number;
  /** Service tier (1 = most critical) for the impact part of priority; null when unknown. */
  tierOf(service: string | null): number | null;
  batchSize?: number;
}

export interface Correlator {
  /** Applies every pending event, then runs housekeeping. Resolves when nothing is pending. */
  drain(): Promise<void>;
  /** Asks for a drain soon; coalesces many calls into one pass. */
  kick(): void;
  start(housekeepingIntervalMs: number): void;
  stop(): Promise<void>;
}

type Trx = Transaction<Database>;

export function createCorrelator(
  handle: DatabaseHandle,
  clock: Clock,
  options: CorrelatorOptions,
  metrics: ServerMetrics,
  log: Logger,
): Correlator {
  const lock = handle.dialect === 'postgres';
  const batchSize = options.batchSize ?? 500;
  let running: Promise<void> | null = null;
  let rerun = false;
  let timer: NodeJS.Timeout | null = null;
  let stopped = false;

  async function timeline(trx: Trx, incidentId: number, at: number, kind: string, message: string, data?: unknown) {
    await appendTimeline(trx, { incidentId, at, kind, actor: 'sightline', message, data });
  }

  function recomputePriority(incident: IncidentRecord): void {
    if (!incident.priorityOverridden) incident.priority = priorityOf(incident.impact, incident.urgency);
  }

  async function resolveAlert(trx: Trx, alert: AlertRecord, endsAt: number, now: number, reason: string): Promise<void> {
    alert.status = 'resolved';
    alert.endsAt = endsAt;
    alert.lastSeenAt = now;
    await saveAlert(trx, alert);
    if (alert.incidentId === null) return;
    const incident = await findIncident(trx, alert.incidentId, lock);
    if (!incident) return;
    incident.firingCount = Math.max(0, incident.firingCount - 1);
    incident.lastActivityAt = Math.max(incident.lastActivityAt, endsAt);
    if (incident.firingCount === 0) incident.resolveAfter = incident.lastActivityAt + options.resolveHoldDownMs;
    incident.updatedAt = now;
    await saveIncident(trx, incident);
    await timeline(trx, incident.id, endsAt, 'alert_resolved', `${alert.title} resolved (${reason})`, {
      alertId: alert.id,
      source: alert.source,
      fingerprint: alert.fingerprint,
    });
  }

  /** A new firing episode of an alert: dedup onto its incident, join a group, or open an incident. */
  async function attachFiring(trx: Trx, event: StoredAlertEvent, existing: AlertRecord | null, now: number): Promise<AlertRecord> {
    const labels = event.labels;
    const severity: Severity = severityOf(labels);
    const service = serviceOf(labels);
    const title = titleOf(labels, event.annotations);
    const groupKey = groupKeyOf(labels, options.grouping.groupBy);

    const previous = existing?.incidentId != null ? await findIncident(trx, existing.incidentId, lock) : null;
    const group = await incidentsForGroup(trx, groupKey, lock);
    const candidates = previous && !group.some((g) => g.id === previous.id) ? [previous, ...group] : group;
    const decision = chooseIncident(event.startsAt, candidates, options.grouping);

    const alert: AlertRecord = existing
      ? { ...existing, occurrences: existing.occurrences + 1 }
      : {
          id: 0,
          source: event.source,
          fingerprint: event.fingerprint,
          status: 'firing',
          labels,
          annotations: event.annotations,
          title,
          severity,
          service,
          host: hostOf(labels),
          startsAt: event.startsAt,
          endsAt: null,
          generatorUrl: event.generatorUrl,
          occurrences: 1,
          firstSeenAt: event.receivedAt,
          lastSeenAt: event.receivedAt,
          incidentId: null,
          acknowledged: false,
        };
    Object.assign(alert, {
      status: 'firing',
      labels,
      annotations: event.annotations,
      title,
      severity,
      service,
      host: hostOf(labels),
      startsAt: event.startsAt,
      endsAt: event.status === 'firing' ? event.endsAt : null,
      generatorUrl: event.generatorUrl,
      lastSeenAt: event.receivedAt,
      acknowledged: false,
    });
    if (!existing) alert.id = await insertAlert(trx, alert);

    const urgency = urgencyOf(severity);
    let incident: IncidentRecord;
    if (decision) {
      incident = (candidates.find((c) => c.id === decision.incidentId) as IncidentRecord);
      const method = previous && decision.incidentId === previous.id ? 'fingerprint' : 'group';
      if (alert.incidentId !== incident.id) incident.alertCount += 1;
      incident.firingCount += 1;
      incident.openedAt = Math.min(incident.openedAt, event.startsAt);
      incident.lastActivityAt = Math.max(incident.lastActivityAt, event.startsAt);
      incident.resolveAfter = null;
      incident.urgency = higherLevel(incident.urgency, urgency);
      recomputePriority(incident);
      incident.updatedAt = now;
      if (decision.reopens) {
        incident.status = incident.wasAcknowledged ? 'acknowledged' : 'open';
        incident.resolvedAt = null;
        incident.resolution = null;
        await timeline(trx, incident.id, event.startsAt, 'reopened', `Reopened: ${title} fired again within the resolve hold-down`);
      }
      await saveIncident(trx, incident);
      const why = method === 'fingerprint' ? 'same fingerprint re-fired' : `same grouping key ${groupKey}`;
      await timeline(trx, incident.id, event.startsAt, 'alert_joined', `${title} joined: ${why}`, {
        alertId: alert.id,
        source: alert.source,
        fingerprint: alert.fingerprint,
        method,
        groupKey,
        score: 1,
        gapMs: decision.gapMs,
      });
    } else {
      const impact = impactOfTier(options.tierOf(service));
      const fresh: Omit<IncidentRecord, 'id'> = {
        title,
        status: 'open',
        priority: priorityOf(impact, urgency),
        priorityOverridden: false,
        impact,
        urgency,
        service,
        host: alert.host,
        groupKey,
        openedAt: event.startsAt,
        lastActivityAt: event.startsAt,
        createdAt: now,
        updatedAt: now,
        acknowledgedAt: null,
        resolvedAt: null,
        closedAt: null,
        resolveAfter: null,
        resolution: null,
        wasAcknowledged: false,
        alertCount: 1,
        firingCount: 1,
        assignee: null,
      };
      incident = { ...fresh, id: await insertIncident(trx, fresh) };
      metrics.incidentsOpened.inc({ priority: incident.priority });
      await timeline(trx, incident.id, event.startsAt, 'opened', `Opened by ${title}`, {
        alertId: alert.id,
        source: alert.source,
        fingerprint: alert.fingerprint,
        method: 'new',
        groupKey,
      });
    }
    alert.incidentId = incident.id;
    await saveAlert(trx, alert);
    return alert;
  }

  async function applyEvent(trx: Trx, event: StoredAlertEvent, now: number): Promise<void> {
    const existing = await findAlert(trx, event.source, event.fingerprint);
    const hasLabels = Object.keys(event.labels).length > 0;
    switch (event.status) {
      case 'acknowledged': {
        if (!existing) return;
        existing.acknowledged = true;
        existing.lastSeenAt = event.receivedAt;
        await saveAlert(trx, existing);
        if (existing.incidentId === null) return;
        const incident = await findIncident(trx, existing.incidentId, lock);
        if (!incident || incident.status !== 'open') return;
        incident.status = 'acknowledged';
        incident.acknowledgedAt = event.receivedAt;
        incident.wasAcknowledged = true;
        incident.updatedAt = now;
        await saveIncident(trx, incident);
        await appendTimeline(trx, { incidentId: incident.id, at: event.receivedAt, kind: 'acknowledged', actor: event.source, message: `Acknowledged by ${event.source} (${existing.title})`, data: null });
        return;
      }
      case 'firing': {
        if (existing?.status === 'firing') {
          // Same episode re-sent: refresh the lease and annotations; counts stay as they are.
          existing.endsAt = event.endsAt;
          existing.startsAt = Math.min(existing.startsAt, event.startsAt);
          if (hasLabels) existing.annotations = event.annotations;
          existing.lastSeenAt = event.receivedAt;
          await saveAlert(trx, existing);
          return;
        }
        // A firing event no newer than the resolved episode we hold arrived late: stale.
        if (existing && event.startsAt <= existing.startsAt) return;
        if (!hasLabels) return;
        await attachFiring(trx, event, existing, now);
        return;
      }
      case 'resolved': {
        if (existing?.status === 'firing') {
          if (event.startsAt < existing.startsAt && hasLabels) return; // end of an older episode
          await resolveAlert(trx, existing, event.endsAt ?? now, now, 'resolved by sender');
          return;
        }
        // Resolved without a firing we saw (e.g. a backfill of history): record the whole episode.
        if (!hasLabels || (existing && event.startsAt <= existing.startsAt)) return;
        const alert = await attachFiring(trx, event, existing, now);
        await resolveAlert(trx, alert, event.endsAt ?? now, now, 'resolved by sender');
        return;
      }
    }
  }

  async function applyPending(): Promise<number> {
    let applied = 0;
    for (;;) {
      const now = clock.now();
      const count = await handle.db.transaction().execute(async (trx) => {
        const events = await pendingAlertEvents(trx, batchSize, lock);
        for (const event of events) {
          await applyEvent(trx, event, now);
          await markEventCorrelated(trx, event.id, event.revision);
        }
        return events.length;
      });
      applied += count;
      if (count < batchSize) return applied;
    }
  }

  async function housekeeping(): Promise<void> {
    const now = clock.now();
    await handle.db.transaction().execute(async (trx) => {
      for (const alert of await expiredLeases(trx, now, 1000)) {
        await resolveAlert(trx, alert, alert.endsAt ?? now, now, 'not re-sent before its lease ended');
      }
      for (const incident of await incidentsDueForAutoResolve(trx, now, 1000, lock)) {
        incident.status = 'resolved';
        incident.resolution = 'auto';
        incident.resolvedAt = incident.lastActivityAt;
        incident.updatedAt = now;
        await saveIncident(trx, incident);
        await timeline(trx, incident.id, incident.resolveAfter ?? now, 'resolved', `Auto-resolved: all ${incident.alertCount} alert(s) resolved and the hold-down passed`);
      }
      for (const incident of await incidentsDueForClose(trx, now - options.closeAfterMs, 1000, lock)) {
        incident.status = 'closed';
        incident.closedAt = now;
        incident.updatedAt = now;
        await saveIncident(trx, incident);
        await timeline(trx, incident.id, now, 'closed', 'Closed: resolved and the close grace period passed');
      }
    });
  }

  async function pass(): Promise<void> {
    await applyPending();
    await housekeeping();
    // Housekeeping may have expired leases; those changed nothing pending, so one pass suffices.
  }

  function runOnce(): Promise<void> {
    if (running) {
      rerun = true;
      return running;
    }
    running = (async () => {
      try {
        do {
          rerun = false;
          await pass();
        } while (rerun && !stopped);
      } catch (error) {
        metrics.correlatorErrors.inc();
        log.error({ err: error }, 'correlator pass failed; will retry');
      } finally {
        running = null;
      }
    })();
    return running;
  }

  return {
    async drain() {
      // Waits for an in-flight pass, then runs one that sees everything committed so far.
      if (running) await running;
      await runOnce();
    },
    kick() {
      if (stopped) return;
      if (running) rerun = true;
      else setImmediate(() => void runOnce());
    },
    start(intervalMs) {
      stopped = false;
      timer = setInterval(() => void runOnce(), intervalMs);
      timer.unref();
      void runOnce();
    },
    async stop() {
      stopped = true;
      if (timer) clearInterval(timer);
      timer = null;
      if (running) await running;
    },
  };
}
