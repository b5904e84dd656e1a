/**
 * @module Any service's SLA for its current or an earlier period: the SLA of a past
 * period is the one evaluated as of that period's last millisecond, so the same code
 * (and the same outage derivation) serves today and history.
 */
import type { SlaPeriod, TimeInterval } from '../domain/sla.js';
import { periodContaining } from '../sla/periods.js';
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
