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
import type { StoredService } from '../db/services-repo.js';
import type { AvailabilityReport } from '../sla/availability.js';
import { computeReliability } from '../sla/availability.js';
import { reportSlaPeriods } from '../sla/evaluate.js';
import { periodContaining } from '../sla/periods.js';
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
  const current = periodContaining(policy.period, now);
  if (selector.kind === 'current') return { from: current.start, to: current.start + 1 };
  const previous = periodContaining(policy.period, current.start - 1);
  return { from: previous.start, to: previous.start + 1 };
}

type WithPolicy = StoredService & { sla: SlaPolicy };

async function reportOne(deps: SlaDeps & SlaTargetDeps, services: readonly StoredService[], service: WithPolicy, selector: PeriodSelector): Promise<Result<ServiceReport>> {
  const now = deps.clock.now();
  const { from, to } = windowOf(service.sla, selector, now);
  const probe = reportSlaPeriods({ policy: service.sla, outages: [], maintenance: [], now }, from, to);
  if (probe.length > MAX_REPORT_PERIODS) return fail('VALIDATION', `the range covers ${probe.length} periods of ${service.name}; at most ${MAX_REPORT_PERIODS} per report`, { field: 'from' });
  if (probe.length === 0) return ok({ service: service.name, policy: service.sla, periods: [] });
  const start = (probe[0] as AvailabilityReport).start;
  const end = (probe[probe.length - 1] as AvailabilityReport).end;
  const gathered = await gatherDowntime(deps, services, [service], start, Math.min(end, now), now);
  const availability = reportSlaPeriods({ policy: service.sla, outages: gathered.downtime.get(service.name) ?? [], maintenance: gathered.maintenance.get(service.name) ?? [], now }, from, to);
  const incidents = await incidentsOpenedBetween(deps.handle.db, service.name, start, Math.min(end, now + 1));
  const slas = await evaluateIncidentSlas(deps, incidents);
  return ok({
    service: service.name,
    policy: service.sla,
    periods: availability.map((a) => {
      const reliability = computeReliability(a.outages, a.measuredMs);
      const inPeriod = slas.filter((s) => s.incident.openedAt >= a.start && s.incident.openedAt < a.end);
      const targets: PeriodReport['targets'] = {};
      for (const p of PRIORITIES) {
        const of = inPeriod.filter((s) => s.incident.priority === p);
        if (of.length > 0) targets[p] = { response: complianceOf(of, 'response'), resolution: complianceOf(of, 'resolution') };
      }
      return { availability: a, failures: reliability.failures, meanTimeToRestoreMs: reliability.meanTimeToRestoreMs, targets };
    }),
  });
}

/** One service's report; NOT_FOUND when the service is unknown or has no policy. */
export async function reportServiceSla(deps: SlaDeps & SlaTargetDeps, name: string, selector: PeriodSelector): Promise<Result<ServiceReport>> {
  const services = await deps.catalogue.list();
  const service = services.find((s) => s.name === name);
  if (!service) return fail('NOT_FOUND', `no service named ${name}`);
  if (!service.sla) return fail('NOT_FOUND', `service ${name} has no SLA policy`);
  return reportOne(deps, services, service as WithPolicy, selector);
}

/** Every service with a policy, by name. */
export async function reportAllSlas(deps: SlaDeps & SlaTargetDeps, selector: PeriodSelector): Promise<Result<ServiceReport[]>> {
  const services = await deps.catalogue.list();
  const out: ServiceReport[] = [];
  for (const s of services.filter((x): x is WithPolicy => x.sla !== undefined).sort((a, b) => a.name.localeCompare(b.name))) {
    const r = await reportOne(deps, services, s, selector);
    if (!r.ok) return r;
    out.push(r.value);
  }
  return ok(out);
}
