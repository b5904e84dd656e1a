/**
 * @module SLA signals: what Sightline says about a service's error budget and about the
 * response/resolution clocks of incidents. They are notifications, not alerts: they never
 * open an incident, never keep one open, and never count in MTTA/MTTR, target compliance,
 * downtime or problem candidates.
 *
 * Why not through the alert log: a burn-rate rule fires on downtime that has already
 * happened (the long windows run for hours after the fault is fixed), so an alert for it
 * opens incidents about incidents. The event log is for what senders say about the world;
 * a signal is derived from the log (incidents, check states), like an SLA figure, and is
 * kept as such:
 *
 * - burn-rate episodes (`sla_signals`, one row per service, severity and episode) with
 *   the incidents whose downtime burned the budget meanwhile (`sla_signal_incidents`).
 *   The periodic pass opens an episode when a severity starts firing and ends it when it
 *   stops; the `sla_burn` notification is queued in the outbox in the transaction that
 *   opens the episode, keyed by the episode, so a restart or a second writer neither loses
 *   it nor sends it twice (a partial unique index admits one active episode per service
 *   and severity). The rows are the pass's memory: after a restart it carries on from them;
 *   should they be lost, the next pass opens the episodes that fire at that moment again.
 * - response/resolution warnings and breaches (`sla_target_notices` and the incident's
 *   timeline, `sla_warning` and `sla_breached`; see sla-job.ts).
 *
 * A service may opt in to paging on its fast burn (`sla.pageOnFastBurn`): then the fastest
 * rule (1 h over 5 min) is also raised as Sightline's alert `SlaErrorBudgetBurn` through
 * the event log, labelled `sla_page` so the correlator gives each episode an incident of
 * its own that nothing else joins; it resolves when the short window clears.
 */
import type { ServerConfig } from '../config.js';
import { incidentLinks, renderSignalJsonPayload, renderSignalSlackPayload } from '../domain/notification.js';
import type { DatabaseHandle } from '../db/connection.js';
import { incidentSnapshots, insertOutboxRows, type NewOutboxRow } from '../db/notifications-repo.js';
import { noticesOfIncident } from '../db/sla-repo.js';
import { activeSignals, endSignal, incidentsBurning, linkSignalIncidents, openSignal, signalsOfIncident, signalsOverlapping, type SignalSeverity, type SlaSignalRecord } from '../db/sla-signals-repo.js';
import { BURN_WINDOWS, type BurnRateAlert } from '../sla/burn-rate.js';
import type { DesiredAlert } from './internal-alerts.js';
import type { Clock } from './clock.js';
import type { ServiceSla } from './sla.js';

export type { SlaSignalRecord };

export interface SignalDeps {
  handle: DatabaseHandle;
  clock: Clock;
  config: Readonly<Pick<ServerConfig, 'notifications' | 'publicUrl'>>;
}

export interface SignalPassResult {
  started: number;
  ended: number;
}

/** A burn-rate signal that fires now: the fastest firing rule of its severity speaks for it. */
export interface DesiredSignal {
  service: string;
  severity: SignalSeverity;
  message: string;
  data: Record<string, unknown>;
  /** The long window of the fastest firing rule: incidents open within it burned the budget. */
  windowMs: number;
  sla: ServiceSla;
}

const fmt = (n: number) => (Math.round(n * 100) / 100).toString();

function describe(s: ServiceSla, fastest: BurnRateAlert, firing: readonly BurnRateAlert[]): { message: string; data: Record<string, unknown> } {
  const spent = 1 - s.current.availability.budgetRemainingRatio;
  return {
    message: `${s.service} is burning its error budget ${fmt(fastest.longBurnRate)}× over ${fastest.rule.long} and ${fmt(fastest.shortBurnRate)}× over ${fastest.rule.short} (threshold ${fmt(fastest.threshold)}×); ${fmt(spent * 100)} % of the period's budget is spent`,
    data: {
      windows: firing.map((f) => `${f.rule.long}/${f.rule.short}`),
      longBurnRate: fastest.longBurnRate,
      shortBurnRate: fastest.shortBurnRate,
      threshold: fastest.threshold,
      budgetSpentRatio: spent,
      objective: s.policy.objectivePpm / 10_000,
    },
  };
}

/** The burn-rate signals that fire now, one per service and severity (page, ticket). */
export function desiredSignals(slas: readonly ServiceSla[]): DesiredSignal[] {
  return slas.flatMap((s) => {
    const firing = s.current.burn.alerts.filter((a) => a.firing);
    return (['page', 'ticket'] as const).flatMap((severity) => {
      // Rules come fastest first.
      const mine = firing.filter((f) => f.rule.severity === severity);
      const fastest = mine[0];
      if (!fastest) return [];
      return [{ service: s.service, severity, ...describe(s, fastest, mine), windowMs: BURN_WINDOWS[fastest.rule.long], sla: s }];
    });
  });
}

/**
 * Sightline's paging alerts, for services that opted in: the fastest rule (the first) while
 * it fires. `sla_page` keeps each episode an incident of its own (see correlate/engine.ts);
 * the service is `sla_service`, not `service`, so the alert never counts as the service's.
 */
export function desiredPagingAlerts(slas: readonly ServiceSla[]): DesiredAlert[] {
  return slas.flatMap((s) => {
    const fast = s.current.burn.alerts[0];
    if (!s.policy.pageOnFastBurn || !fast?.firing) return [];
    const { message } = describe(s, fast, [fast]);
    return [
      {
        key: `${s.service}:fast`,
        labels: { alertname: 'SlaErrorBudgetBurn', sla_service: s.service, sla_page: 'fast-burn', severity: 'critical' },
        annotations: { summary: `Fast burn of ${s.service}'s error budget`, description: message },
      },
    ];
  });
}

const keyOf = (service: string, severity: string) => `${service}\u0000${severity}`;

/** Opens, refreshes and ends burn-rate episodes at `clock.now()`; queues `sla_burn` for each new one. */
export async function reconcileSignals(deps: SignalDeps, desired: readonly DesiredSignal[]): Promise<SignalPassResult> {
  const now = deps.clock.now();
  const db = deps.handle.db;
  const active = new Map((await activeSignals(db)).map((s) => [keyOf(s.service, s.severity), s]));
  const webhooks = deps.config.notifications.webhooks.filter((w) => w.events.includes('sla_burn'));
  const publicUrl = deps.config.publicUrl ?? null;
  let started = 0;
  let ended = 0;
  for (const d of desired) {
    const burning = await incidentsBurning(db, d.service, d.sla.policy.downtime.incidentPriorities, now - d.windowMs, now);
    const current = active.get(keyOf(d.service, d.severity));
    active.delete(keyOf(d.service, d.severity));
    if (current) {
      // Incidents that burned the budget since the episode began join it.
      await linkSignalIncidents(db, current.id, burning.filter((id) => !current.incidentIds.includes(id)));
      continue;
    }
    const opened = await db.transaction().execute(async (trx) => {
      const id = await openSignal(trx, { service: d.service, severity: d.severity, startedAt: now, message: d.message, data: { ...d.data, severity: d.severity } });
      if (id === null) return false;
      await linkSignalIncidents(trx, id, burning);
      if (webhooks.length === 0) return true;
      const snapshots = await incidentSnapshots(trx, burning);
      const incidents = burning.flatMap((i) => {
        const snap = snapshots.get(i);
        return snap ? [{ id: i, title: snap.title, links: incidentLinks(publicUrl, i) }] : [];
      });
      const rows: NewOutboxRow[] = webhooks.map((w) => {
        const content = {
          idempotencyKey: `${w.name}:sla_burn:${id}`,
          at: now,
          message: d.message,
          service: d.service,
          severity: d.severity,
          details: d.data,
          incidents,
          slaUrl: publicUrl ? `${publicUrl}/ui/sla` : null,
        };
        const payload = w.format === 'slack' ? renderSignalSlackPayload(content) : renderSignalJsonPayload(content);
        return { idempotencyKey: content.idempotencyKey, webhook: w.name, incidentId: 0, timelineId: 0, event: 'sla_burn', at: now, payload: JSON.stringify(payload) };
      });
      await insertOutboxRows(trx, rows, now);
      return true;
    });
    if (opened) started++;
  }
  for (const s of active.values()) if (await endSignal(db, s.id, now)) ended++;
  return { started, ended };
}

/** A signal as shown on an incident: a burn episode it burned into, or a warning or breach of its own targets. */
export type IncidentSignal =
  | { kind: 'burn'; signal: SlaSignalRecord }
  | { kind: 'target'; event: 'sla_warning' | 'sla_breached'; target: string; level: string; at: number };

/** The SLA signals of an incident, oldest first: burn episodes its downtime burned into, then its target notices. */
export async function listIncidentSignals(deps: { handle: DatabaseHandle }, incidentId: number): Promise<IncidentSignal[]> {
  const [burns, notices] = await Promise.all([signalsOfIncident(deps.handle.db, incidentId), noticesOfIncident(deps.handle.db, incidentId)]);
  return [
    ...burns.map((signal) => ({ kind: 'burn' as const, signal })),
    ...notices.map((n) => ({ kind: 'target' as const, event: n.level === 'breached' ? ('sla_breached' as const) : ('sla_warning' as const), target: n.target, level: n.level, at: n.at })),
  ];
}

/** Burn-rate episodes of `services` that overlap [from, to), oldest first. */
export async function listServiceSignals(deps: { handle: DatabaseHandle }, services: readonly string[], from: number, to: number): Promise<SlaSignalRecord[]> {
  return signalsOverlapping(deps.handle.db, services, from, to);
}
