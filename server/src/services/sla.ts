/**
 * @module Each service's SLA for its current period: gathers the outage intervals the
 * engine needs from the database (event time, see sla/outages.ts) and evaluates them.
 *
 * Reads are bounded by time: only alerts overlapping [lookback, now), where the lookback
 * reaches the earliest current period start and at least 3 days back (the longest
 * burn-rate window). One query for the incidents' member alerts of every service involved,
 * one for `AgentDown` of their hosts, one for maintenance windows.
 *
 * Attribution: a service's incident downtime comes from the member alerts that belong to
 * that service (the alert's `service`), grouped by incident, counted when the incident's
 * priority is in the policy's list. `AgentDown` counts through the `agentDown` switch
 * alone (of the hosts listed in the service's `match.hosts`), never as an incident member,
 * so switching it off really removes it. A dependency without a policy of its own counts
 * its P1/P2 incidents and `AgentDown` and propagates nothing further. Maintenance windows
 * of a service are those of kind `maintenance` whose matchers all hold for
 * `{service: <name>}`.
 */
import { fail, ok, type Result } from '../domain/result.js';
import type { DowntimeDefinition, SlaPolicy, TimeInterval } from '../domain/sla.js';
import { matchesAll } from '../domain/matchers.js';
import { agentDownAlertsOverlapping, incidentAlertsOverlapping, type OutageAlert } from '../db/alerts-repo.js';
import type { DatabaseHandle } from '../db/connection.js';
import type { StoredService } from '../db/services-repo.js';
import { silencesEndingAfter } from '../db/silences-repo.js';
import { evaluateCurrentSla, type CurrentSla } from '../sla/evaluate.js';
import { effectiveDowntime, incidentOutageIntervals, serviceOwnDowntime, type IncidentSpan, type ServiceDowntimeNode } from '../sla/outages.js';
import { periodContaining } from '../sla/periods.js';
import type { Catalogue } from './catalogue.js';
import type { Clock } from './clock.js';

/** The longest burn-rate window (3 days) must be covered whatever the period. */
const BURN_LOOKBACK_MS = 3 * 86_400_000;

/** What a dependency without a policy of its own counts as down. */
const DEFAULT_DOWNTIME: DowntimeDefinition = { incidentPriorities: ['P1', 'P2'], availabilityChecks: true, agentDown: true };

export interface SlaDeps {
  handle: DatabaseHandle;
  clock: Clock;
  catalogue: Pick<Catalogue, 'list'>;
}

export interface ServiceSla {
  service: string;
  policy: SlaPolicy;
  current: CurrentSla;
  evaluatedAt: number;
}

const isAgentDown = (a: OutageAlert) => a.source === 'agent' && a.alertname === 'AgentDown';

/** Services reachable from `roots` through `dependsOn` (roots included), known to the catalogue. */
function dependencyClosure(roots: readonly StoredService[], byName: ReadonlyMap<string, StoredService>): StoredService[] {
  const seen = new Map(roots.map((s) => [s.name, s]));
  const stack = [...roots];
  for (let s = stack.pop(); s; s = stack.pop()) {
    if ((s.sla?.dependencies ?? 'none') === 'none') continue;
    for (const name of s.dependsOn) {
      const dep = byName.get(name);
      if (dep && !seen.has(name)) {
        seen.set(name, dep);
        stack.push(dep);
      }
    }
  }
  return [...seen.values()];
}

function ownDowntime(service: StoredService, incidentAlerts: readonly OutageAlert[], agentDown: readonly OutageAlert[], now: number): TimeInterval[] {
  const byIncident = new Map<number, IncidentSpan & { alerts: OutageAlert[] }>();
  for (const a of incidentAlerts) {
    if (a.service !== service.name || a.incidentId === null || a.priority === null || a.incidentStatus === null || isAgentDown(a)) continue;
    const span = byIncident.get(a.incidentId) ?? { priority: a.priority, status: a.incidentStatus, alerts: [] };
    span.alerts.push(a);
    byIncident.set(a.incidentId, span);
  }
  const hosts = new Set(service.match.hosts ?? []);
  const down = incidentOutageIntervals(
    agentDown.filter((a) => a.host !== null && hosts.has(a.host)),
    now,
  );
  // Failed availability checks are not stored as intervals yet: none count for now.
  return serviceOwnDowntime({ incidents: [...byIncident.values()], failedChecks: [], agentDown: down }, service.sla?.downtime ?? DEFAULT_DOWNTIME, now);
}

type WithPolicy = StoredService & { sla: SlaPolicy };

/** Evaluates `targets` (services with a policy) against the whole catalogue `services`. */
async function evaluateTargets(deps: SlaDeps, services: readonly StoredService[], targets: readonly WithPolicy[]): Promise<ServiceSla[]> {
  if (targets.length === 0) return [];
  const now = deps.clock.now();
  const from = Math.min(now - BURN_LOOKBACK_MS, ...targets.map((s) => periodContaining(s.sla.period, now).start));
  const involved = dependencyClosure(targets, new Map(services.map((s) => [s.name, s])));
  const hosts = [...new Set(involved.flatMap((s) => s.match.hosts ?? []))];
  const db = deps.handle.db;
  const [incidentAlerts, agentDown, windows] = await Promise.all([
    incidentAlertsOverlapping(db, involved.map((s) => s.name), from, now),
    agentDownAlertsOverlapping(db, hosts, from, now),
    silencesEndingAfter(db, from),
  ]);

  const nodes: ServiceDowntimeNode[] = involved.map((s) => ({
    name: s.name,
    dependsOn: s.dependsOn,
    propagation: s.sla?.dependencies ?? 'none',
    own: ownDowntime(s, incidentAlerts, agentDown, now),
  }));
  const downtime = effectiveDowntime(nodes);
  const maintenance = windows.filter((w) => w.kind === 'maintenance');

  return targets.map((s) => ({
    service: s.name,
    policy: s.sla,
    evaluatedAt: now,
    current: evaluateCurrentSla({
      policy: s.sla,
      outages: downtime.get(s.name) ?? [],
      maintenance: maintenance.filter((w) => matchesAll(w.matchers, { service: s.name })).map((w) => ({ start: w.startsAt, end: w.endsAt })),
      now,
    }),
  }));
}

/** Every service with a policy, by name, evaluated for its current period at `clock.now()`. */
export async function evaluateServiceSlas(deps: SlaDeps): Promise<ServiceSla[]> {
  const services = await deps.catalogue.list();
  return evaluateTargets(deps, services, services.filter((s): s is WithPolicy => s.sla !== undefined));
}

/** One service's current SLA; NOT_FOUND when the service is unknown or has no policy. */
export async function evaluateServiceSla(deps: SlaDeps, name: string): Promise<Result<ServiceSla>> {
  const services = await deps.catalogue.list();
  const service = services.find((s) => s.name === name);
  if (!service) return fail('NOT_FOUND', `no service named ${name}`);
  if (!service.sla) return fail('NOT_FOUND', `service ${name} has no SLA policy`);
  const [evaluated] = await evaluateTargets(deps, services, [service as WithPolicy]);
  return ok(evaluated as ServiceSla);
}
