/**
 * @module The periodic SLA pass (run by the process that owns the writes, the leader):
 *
 * - burn-rate signals: each service's multiwindow multi-burn-rate rules (sla/burn-rate.ts)
 *   become episodes of an SLA signal, one per service and severity, notified once as
 *   `sla_burn` (services/sla-signals.ts); they are not alerts and open no incident, unless
 *   the service opted in to paging on its fast burn (`pageOnFastBurn`);
 * - response and resolution warnings: at 75 % and 90 % of a running target, and at its
 *   breach, a timeline entry (`sla_warning`, `sla_breached`) on the incident, which the
 *   notifier sends to webhooks; each level once per incident and target.
 */
import { formatDuration } from '../domain/duration.js';
import { appendTimelineEntries } from '../db/incidents-repo.js';
import { incidentsWithRunningTargets, insertNotices, writtenNotices } from '../db/sla-repo.js';
import { newTargetNotices } from '../sla/target-notices.js';
import { reconcileInternalAlerts, type InternalAlertDeps, type ReconcileResult } from './internal-alerts.js';
import { evaluateServiceSlas, type SlaDeps } from './sla.js';
import { desiredPagingAlerts, desiredSignals, reconcileSignals, type SignalDeps, type SignalPassResult } from './sla-signals.js';
import { evaluateIncidentSlas, type IncidentSla, type SlaTargetDeps } from './sla-targets.js';

export type SlaJobDeps = SlaDeps & SlaTargetDeps & InternalAlertDeps & SignalDeps;

/** Resolved incidents are looked at for this long after, so a late breach is still recorded. */
const RESOLVED_LOOKBACK_MS = 86_400_000;
const MAX_INCIDENTS = 5_000;

export interface SlaPassResult {
  services: number;
  /** Burn-rate episodes begun and ended. */
  signals: SignalPassResult;
  /** Fast-burn pages of the services that opted in (alerts through the event log). */
  pages: ReconcileResult;
  /** Timeline entries written. */
  notices: number;
}

const isoOf = (ms: number | null) => (ms === null ? 'not due while on hold' : new Date(ms).toISOString());

const TARGET_WORD = { response: 'Response', resolution: 'Resolution' } as const;

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
  const signals = await reconcileSignals(deps, desiredSignals(slas));
  // Earlier versions raised every burn rate (`<service>:page|ticket`) as an alert: reconciling
  // the family resolves any of those still firing, so their incidents resolve too.
  const pages = await reconcileInternalAlerts(deps, 'sla-burn', desiredPagingAlerts(slas));
  const incidents = await incidentsWithRunningTargets(deps.handle.db, deps.clock.now() - RESOLVED_LOOKBACK_MS, MAX_INCIDENTS);
  const incidentSlas = await evaluateIncidentSlas(deps, incidents);
  const notices = await writeNotices(deps, incidentSlas);
  // Likewise the target alerts of earlier versions (`SlaTargetAtRisk`, `SlaTargetBreached`).
  await reconcileInternalAlerts(deps, 'sla-target', []);
  return { services: slas.length, signals, pages, notices };
}
