/**
 * @module SLA reports: per service and period, the availability (SLI, budget, downtime,
 * maintenance excluded, the outages) and the response/resolution compliance of the
 * incidents opened in the period, per priority. Periods follow the service's policy; a
 * period still running is measured up to now. Which periods: those overlapping an
 * explicit [from, to), or the current one, or the one before it.
 */
import type { Priority } from '../domain/incident.js';
import { PRIORITIES } from '../domain/incident.js';
import { fail, ok, type Result } from '../domain/result.js';
import type { SlaPolicy } from '../domain/sla.js';
import { incidentsOpenedBetween } from '../db/sla-repo.js';
import { signalsOverlapping, type SlaSignalRecord } from '../db/sla-signals-repo.js';
import type { StoredService } from '../db/services-repo.js';
import type { AvailabilityReport } from '../sla/availability.js';
import { computeReliability } from '../sla/availability.js';
import { reportSlaPeriods } from '../sla/evaluate.js';
import { periodBefore, periodContaining } from '../sla/periods.js';
import { gatherDowntime, type SlaDeps } from './sla.js';
import { evaluateIncidentSlas, type IncidentSla, type SlaTargetDeps } from './sla-targets.js';

export type PeriodSelector = { kind: 'current' } | { kind: 'previous' } | { kind: 'range'; from: number; to: number };

/** At most this many periods in one report (e.g. over two years of weeks). */
export const MAX_REPORT_PERIODS = 120;

export interface TargetCompliance {
  /** Incidents with this target agreed. */
  incidents: number;
  met: number;
  breached: number;
  /** Clock still running and not breached yet. */
  running: number;
  /** met / (met + breached); null when none has finished. */
  compliance: number | null;
}

export interface PeriodReport {
  availability: AvailabilityReport;
  failures: number;
  meanTimeToRestoreMs: number | null;
  targets: Partial<Record<Priority, { response: TargetCompliance; resolution: TargetCompliance }>>;
  /** Burn-rate episodes (SLA signals) of the service that overlap the period. */
  signals: SlaSignalRecord[];
}

export interface ServiceReport {
  service: string;
  policy: SlaPolicy;
  periods: PeriodReport[];
}

function complianceOf(slas: readonly IncidentSla[], target: 'response' | 'resolution'): TargetCompliance {
  const evaluated = slas.map((s) => s[target]).filter((e) => e !== null);
  const met = evaluated.filter((e) => e.met === true).length;
  const breached = evaluated.filter((e) => e.breached).length;
  return { incidents: evaluated.length, met, breached, running: evaluated.length - met - breached, compliance: met + breached === 0 ? null : met / (met + breached) };
}

/** [from, to) of the selected periods of `policy` at `now`. */
function windowOf(policy: SlaPolicy, selector: PeriodSelector, now: number): { from: number; to: number } {
  if (selector.kind === 'range') return selector;
  // Exactly one period: its own bounds select it, for calendar and rolling periods alike.
  const period = selector.kind === 'current' ? periodContaining(policy.period, now) : periodBefore(policy.period, now);
  return { from: period.start, to: period.end };
}

type WithPolicy = StoredService & { sla: SlaPolicy };

/** The periods each service's report covers, checked against the limit. */
function plan(service: WithPolicy, selector: PeriodSelector, now: number): Result<{ service: WithPolicy; from: number; to: number; start: number; end: number } | { service: WithPolicy; empty: true }> {
  const { from, to } = windowOf(service.sla, selector, now);
  const periods = reportSlaPeriods({ policy: service.sla, outages: [], maintenance: [], now }, from, to);
  if (periods.length > MAX_REPORT_PERIODS) return fail('VALIDATION', `the range covers ${periods.length} periods of ${service.name}; at most ${MAX_REPORT_PERIODS} per report`, { field: 'from' });
  if (periods.length === 0) return ok({ service, empty: true });
  return ok({ service, from, to, start: (periods[0] as AvailabilityReport).start, end: (periods[periods.length - 1] as AvailabilityReport).end });
}

/** Reports of `targets`, from one read of the downtime and the incidents of them all. */
async function reportMany(deps: SlaDeps & SlaTargetDeps, services: readonly StoredService[], targets: readonly WithPolicy[], selector: PeriodSelector): Promise<Result<ServiceReport[]>> {
  const now = deps.clock.now();
  const plans = [];
  for (const t of targets) {
    const p = plan(t, selector, now);
    if (!p.ok) return p;
    plans.push(p.value);
  }
  const spans = plans.filter((p) => !('empty' in p)) as { service: WithPolicy; from: number; to: number; start: number; end: number }[];
  if (spans.length === 0) return ok(targets.map((t) => ({ service: t.name, policy: t.sla, periods: [] })));
  const start = Math.min(...spans.map((p) => p.start));
  const end = Math.max(...spans.map((p) => p.end));
  const gathered = await gatherDowntime(deps, services, spans.map((p) => p.service), start, Math.min(end, now), now);
  const incidents = await incidentsOpenedBetween(deps.handle.db, spans.map((p) => p.service.name), start, Math.min(end, now + 1));
  const slas = await evaluateIncidentSlas(deps, incidents);
  const signals = await signalsOverlapping(deps.handle.db, spans.map((p) => p.service.name), start, Math.min(end, now + 1));
  return ok(
    plans.map((p) => {
      if ('empty' in p) return { service: p.service.name, policy: p.service.sla, periods: [] };
      const name = p.service.name;
      const availability = reportSlaPeriods({ policy: p.service.sla, outages: gathered.downtime.get(name) ?? [], maintenance: gathered.maintenance.get(name) ?? [], now }, p.from, p.to);
      const mine = slas.filter((s) => s.incident.service === name);
      return {
        service: name,
        policy: p.service.sla,
        periods: availability.map((a) => {
          const reliability = computeReliability(a.outages, a.measuredMs);
          const inPeriod = mine.filter((s) => s.incident.openedAt >= a.start && s.incident.openedAt < a.end);
          const targets: PeriodReport['targets'] = {};
          for (const priority of PRIORITIES) {
            const of = inPeriod.filter((s) => s.incident.priority === priority);
            if (of.length > 0) targets[priority] = { response: complianceOf(of, 'response'), resolution: complianceOf(of, 'resolution') };
          }
          const overlapping = signals.filter((x) => x.service === name && x.startedAt < a.end && (x.endedAt === null || x.endedAt > a.start));
          return { availability: a, failures: reliability.failures, meanTimeToRestoreMs: reliability.meanTimeToRestoreMs, targets, signals: overlapping };
        }),
      };
    }),
  );
}

/** One service's report; NOT_FOUND when the service is unknown or has no policy. */
export async function reportServiceSla(deps: SlaDeps & SlaTargetDeps, name: string, selector: PeriodSelector): Promise<Result<ServiceReport>> {
  const services = await deps.catalogue.list();
  const service = services.find((s) => s.name === name);
  if (!service) return fail('NOT_FOUND', `no service named ${name}`);
  if (!service.sla) return fail('NOT_FOUND', `service ${name} has no SLA policy`);
  const reports = await reportMany(deps, services, [service as WithPolicy], selector);
  return reports.ok ? ok(reports.value[0] as ServiceReport) : reports;
}

/** Every service with a policy, by name. */
export async function reportAllSlas(deps: SlaDeps & SlaTargetDeps, selector: PeriodSelector): Promise<Result<ServiceReport[]>> {
  const services = await deps.catalogue.list();
  const targets = services.filter((x): x is WithPolicy => x.sla !== undefined).sort((a, b) => a.name.localeCompare(b.name));
  return reportMany(deps, services, targets, selector);
}
