/**
 * @module Any service's SLA for its current or an earlier period: the SLA of a past
 * period is the one evaluated as of that period's last millisecond, so the same code
 * (and the same outage derivation) serves today and history.
 */
import type { SlaPeriod, TimeInterval } from '../domain/sla.js';
import { periodContaining } from '../sla/periods.js';
import { incidentsReachingDuring, type OutageIncident } from '../db/sla-repo.js';
import { evaluateServiceSlas, type ServiceSla, type SlaDeps } from './sla.js';

/** The period `offset` periods before the one containing `now` (0: the current one). */
export function periodAtOffset(period: SlaPeriod, now: number, offset: number): TimeInterval {
  let p = periodContaining(period, now);
  for (let k = 0; k < offset; k++) p = periodContaining(period, p.start - 1);
  return p;
}

/** Every service with a policy, for the period `offset` periods back, by service name. */
export async function evaluateSlaPeriod(deps: SlaDeps, offset: number): Promise<ServiceSla[]> {
  if (offset === 0) return evaluateServiceSlas(deps);
  const now = deps.clock.now();
  const services = (await deps.catalogue.list()).filter((s) => s.sla !== undefined);
  // Services sharing a period kind share an evaluation instant: one evaluation per instant.
  const instants = new Map<number, Set<string>>();
  for (const s of services) {
    const p = periodAtOffset(s.sla!.period, now, offset);
    const asOf = Math.min(now, p.end - 1);
    instants.set(asOf, (instants.get(asOf) ?? new Set()).add(s.name));
  }
  const results: ServiceSla[] = [];
  for (const [asOf, names] of instants) {
    const evaluated = await evaluateServiceSlas({ ...deps, clock: { now: () => asOf } });
    results.push(...evaluated.filter((e) => names.has(e.service)));
  }
  return results.sort((a, b) => a.service.localeCompare(b.service));
}

/** One outage of a service's period and the incidents of that service open during it. */
export interface ExplainedOutage extends TimeInterval {
  incidents: OutageIncident[];
}

/**
 * Each outage of each service's period with the incidents that reached the service while it
 * lasted (none: a failed check, an agent down or a dependency's outage counted it).
 */
export async function explainOutages(deps: Pick<SlaDeps, 'handle'>, items: readonly ServiceSla[]): Promise<Map<string, ExplainedOutage[]>> {
  const explained = new Map<string, ExplainedOutage[]>();
  const withOutages = items.filter((s) => s.current.availability.outages.length > 0);
  if (withOutages.length === 0) return explained;
  const from = Math.min(...withOutages.flatMap((s) => s.current.availability.outages.map((o) => o.start)));
  const to = Math.max(...withOutages.flatMap((s) => s.current.availability.outages.map((o) => o.end)));
  const incidents = await incidentsReachingDuring(deps.handle.db, withOutages.map((s) => s.service), from, to);
  for (const s of withOutages) {
    const own = incidents.filter((i) => i.service === s.service);
    explained.set(
      s.service,
      [...s.current.availability.outages]
        .sort((a, b) => a.start - b.start)
        .map((o) => ({ start: o.start, end: o.end, incidents: own.filter((i) => i.openedAt < o.end && (i.resolvedAt === null || i.resolvedAt > o.start)) })),
    );
  }
  return explained;
}
