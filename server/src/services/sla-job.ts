/**
 * @module The periodic SLA pass (run by the process that owns the writes):
 *
 * - multiwindow multi-burn-rate alerts: each service rule that fires (sla/burn-rate.ts)
 *   is a Sightline alert `SlaErrorBudgetBurn` with the service's `service` label, so it
 *   becomes (or joins) an incident of that service; it resolves when the rule stops firing;
 * - response and resolution warnings: at 75 % and 90 % of a running target, and at its
 *   breach, a timeline entry (`sla_warning`, `sla_breached`) on the incident, which the
 *   notifier sends to webhooks; each level once per incident and target;
 * - the same as Sightline alerts `SlaTargetAtRisk` / `SlaTargetBreached` while the clock
 *   runs, labelled with the incident (`incident_id`) but not its service, so they never
 *   join the incident they watch (which could then not auto-resolve) and never count as
 *   downtime.
 */
import { formatDuration } from '../domain/duration.js';
import { appendTimelineEntries } from '../db/incidents-repo.js';
import { incidentsWithRunningTargets, insertNotices, writtenNotices } from '../db/sla-repo.js';
import { newTargetNotices } from '../sla/target-notices.js';
import { reconcileInternalAlerts, type DesiredAlert, type InternalAlertDeps, type ReconcileResult } from './internal-alerts.js';
import { evaluateServiceSlas, type ServiceSla, type SlaDeps } from './sla.js';
import { evaluateIncidentSlas, type IncidentSla, type SlaTargetDeps } from './sla-targets.js';

export type SlaJobDeps = SlaDeps & SlaTargetDeps & InternalAlertDeps;

/** Resolved incidents are looked at for this long after, so a late breach is still recorded. */
const RESOLVED_LOOKBACK_MS = 86_400_000;
const MAX_INCIDENTS = 5_000;

export interface SlaPassResult {
  services: number;
  burnAlerts: ReconcileResult;
  targetAlerts: ReconcileResult;
  /** Timeline entries written. */
  notices: number;
}

const fmt = (n: number) => (Math.round(n * 100) / 100).toString();
const isoOf = (ms: number | null) => (ms === null ? 'not due while on hold' : new Date(ms).toISOString());

/** The burn-rate alerts that should fire now, one per service and firing rule. */
export function desiredBurnAlerts(slas: readonly ServiceSla[]): DesiredAlert[] {
  return slas.flatMap((s) =>
    s.current.burn.alerts
      .filter((a) => a.firing)
      .map((a) => ({
        key: `${s.service}:${a.rule.long}:${a.rule.short}`,
        labels: { alertname: 'SlaErrorBudgetBurn', service: s.service, severity: a.rule.severity === 'page' ? 'critical' : 'warning', slo_window: `${a.rule.long}/${a.rule.short}` },
        annotations: {
          summary: `${s.service} is burning its error budget ${fmt(a.longBurnRate)}× over ${a.rule.long} and ${fmt(a.shortBurnRate)}× over ${a.rule.short} (threshold ${fmt(a.threshold)}×)`,
          description: `${fmt((1 - s.current.availability.budgetRemainingRatio) * 100)} % of the period's error budget is spent; objective ${s.policy.objectivePpm / 10_000} %.`,
        },
      })),
  );
}

const TARGET_WORD = { response: 'Response', resolution: 'Resolution' } as const;

/** Target alerts that should fire now: a running clock at 75 % or more. */
export function desiredTargetAlerts(slas: readonly IncidentSla[]): DesiredAlert[] {
  return slas.flatMap((s) =>
    (['response', 'resolution'] as const).flatMap((target) => {
      const e = s[target];
      if (!e || e.met !== null || e.state === 'ok') return [];
      const breached = e.state === 'breached';
      return [
        {
          key: `${s.incident.id}:${target}:${breached ? 'breached' : 'at-risk'}`,
          labels: {
            alertname: breached ? 'SlaTargetBreached' : 'SlaTargetAtRisk',
            incident_id: String(s.incident.id),
            sla_target: target,
            priority: s.incident.priority,
            severity: breached ? 'warning' : 'info',
            ...(s.incident.service ? { sla_service: s.incident.service } : {}),
          },
          annotations: {
            summary: `${TARGET_WORD[target]} target of incident #${s.incident.id} ${breached ? 'breached' : `${Math.floor(e.percentElapsed)} % used`}: ${s.incident.title}`,
            description: `${s.incident.priority}, due ${isoOf(e.dueAt)}.`,
          },
        },
      ];
    }),
  );
}

function noticeMessage(s: IncidentSla, target: 'response' | 'resolution', level: string): string {
  const e = s[target];
  const agreed = target === 'response' ? s.target.respondMs : s.target.resolveMs;
  const of = `${s.incident.priority} target ${agreed === null ? '' : formatDuration(agreed)}`.trim();
  if (level === 'breached') return `${TARGET_WORD[target]} target breached (${of}, was due ${isoOf(e?.dueAt ?? null)})`;
  return `${TARGET_WORD[target]} target ${level} % used (${of}, due ${isoOf(e?.dueAt ?? null)})`;
}

/** Writes the new warnings and breaches of `slas` to their timelines; returns how many entries were written. */
async function writeNotices(deps: SlaJobDeps, slas: readonly IncidentSla[]): Promise<number> {
  const now = deps.clock.now();
  const written = await writtenNotices(deps.handle.db, slas.map((s) => s.incident.id));
  let entries = 0;
  for (const s of slas) {
    const fresh = newTargetNotices(s, written.get(s.incident.id) ?? new Set(), now);
    if (fresh.length === 0) continue;
    entries += await deps.handle.db.transaction().execute(async (trx) => {
      // The notice rows decide: a level another pass recorded first is not written twice.
      const inserted = await insertNotices(trx, fresh.map((n) => ({ incidentId: s.incident.id, target: n.target, level: n.level, at: n.at })));
      const announce = fresh.filter((n, i) => n.announce && inserted[i]);
      await appendTimelineEntries(
        trx,
        announce.map((n) => ({
          incidentId: s.incident.id,
          at: n.at,
          kind: n.level === 'breached' ? 'sla_breached' : 'sla_warning',
          actor: 'sightline',
          message: noticeMessage(s, n.target, n.level),
          data: { target: n.target, level: n.level, priority: s.incident.priority, dueAt: s[n.target]?.dueAt ?? null, percentElapsed: s[n.target]?.percentElapsed ?? null },
        })),
      );
      return announce.length;
    });
  }
  return entries;
}

/** One SLA pass at `clock.now()`. */
export async function runSlaEvaluation(deps: SlaJobDeps): Promise<SlaPassResult> {
  const slas = await evaluateServiceSlas(deps, { fresh: true });
  const burnAlerts = await reconcileInternalAlerts(deps, 'sla-burn', desiredBurnAlerts(slas));
  const incidents = await incidentsWithRunningTargets(deps.handle.db, deps.clock.now() - RESOLVED_LOOKBACK_MS, MAX_INCIDENTS);
  const incidentSlas = await evaluateIncidentSlas(deps, incidents);
  const notices = await writeNotices(deps, incidentSlas);
  const targetAlerts = await reconcileInternalAlerts(deps, 'sla-target', desiredTargetAlerts(incidentSlas));
  return { services: slas.length, burnAlerts, targetAlerts, notices };
}
