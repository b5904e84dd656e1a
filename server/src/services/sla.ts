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
import { checkStatesOverlapping, episodeAttachments, pastEpisodeEvents, type CheckStateRow, type EpisodeAttachment, type PastEpisodeEvent } from '../db/sla-repo.js';
import { failedCheckIntervals } from '../sla/check-outages.js';
import { episodesFromEvents } from '../sla/episodes.js';
import type { DatabaseHandle } from '../db/connection.js';
import type { StoredService } from '../db/services-repo.js';
import { silencesEndingAfter } from '../db/silences-repo.js';
import { evaluateCurrentSla, type CurrentSla } from '../sla/evaluate.js';
import { effectiveDowntime, incidentOutageIntervals, serviceOwnDowntime, type AlertSpan, type IncidentSpan, type ServiceDowntimeNode } from '../sla/outages.js';
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

/** What was read for a set of services over a window. */
interface DowntimeData {
  incidentAlerts: OutageAlert[];
  /** Every episode of the `AgentDown` alerts of the hosts involved. */
  agentDown: (AlertSpan & { host: string | null })[];
  pastEpisodes: PastEpisodeEvent[];
  attachments: EpisodeAttachment[];
  checkStates: CheckStateRow[];
}

/** Past episodes, alert by alert (see sla/episodes.ts). */
function pastEpisodesOf(events: readonly PastEpisodeEvent[]): { events: PastEpisodeEvent[]; episode: AlertSpan }[] {
  const byAlert = new Map<string, PastEpisodeEvent[]>();
  for (const e of events) {
    const key = `${e.source}\u0000${e.fingerprint}`;
    byAlert.set(key, [...(byAlert.get(key) ?? []), e]);
  }
  return [...byAlert.values()].flatMap((list) => episodesFromEvents(list, (list[0] as PastEpisodeEvent).currentStartsAt).map((episode) => ({ events: list, episode })));
}

type Span = IncidentSpan & { alerts: AlertSpan[] };

function ownDowntime(service: StoredService, data: DowntimeData, now: number): TimeInterval[] {
  const byIncident = new Map<number, Span>();
  const add = (incidentId: number, priority: Span['priority'], status: Span['status'], span: AlertSpan) => {
    const entry = byIncident.get(incidentId) ?? { priority, status, alerts: [] };
    entry.alerts.push(span);
    byIncident.set(incidentId, entry);
  };
  // Sightline's own alerts (burn rates, targets) describe downtime; they are not downtime themselves.
  for (const a of data.incidentAlerts) {
    if (a.service !== service.name || a.source === 'sightline' || a.incidentId === null || a.priority === null || a.incidentStatus === null || isAgentDown(a)) continue;
    add(a.incidentId, a.priority, a.incidentStatus, a);
  }
  // Earlier episodes of re-fired alerts, each in the incident that took it.
  const attached = new Map(data.attachments.map((t) => [`${t.source}\u0000${t.fingerprint}\u0000${t.startsAt}`, t]));
  for (const { events, episode } of pastEpisodesOf(data.pastEpisodes.filter((e) => e.service === service.name))) {
    const first = events[0] as PastEpisodeEvent;
    const t = attached.get(`${first.source}\u0000${first.fingerprint}\u0000${episode.startsAt}`);
    if (t) add(t.incidentId, t.priority, t.incidentStatus, episode);
  }
  const hosts = new Set(service.match.hosts ?? []);
  const down = incidentOutageIntervals(
    data.agentDown.filter((a) => a.host !== null && hosts.has(a.host)),
    now,
  );
  const failedChecks = failedCheckIntervals(
    data.checkStates.filter((c) => c.service === service.name).map((c) => ({ check: `${c.agentId}\u0000${c.checkName}`, since: c.since, success: c.success, lastReportedAt: c.lastReportedAt, intervalMs: c.intervalMs })),
    now,
  );
  return serviceOwnDowntime({ incidents: [...byIncident.values()], failedChecks, agentDown: down }, service.sla?.downtime ?? DEFAULT_DOWNTIME, now);
}

type WithPolicy = StoredService & { sla: SlaPolicy };

export interface GatheredDowntime {
  /** Effective downtime (dependencies propagated) of each target service over the window. */
  downtime: Map<string, TimeInterval[]>;
  /** Maintenance windows of each target service. */
  maintenance: Map<string, TimeInterval[]>;
}

/**
 * Reads what counts as downtime of `targets` (and of the dependencies they propagate from)
 * over [from, to), `to` no later than `now`, and derives each one's effective downtime.
 */
export async function gatherDowntime(deps: Pick<SlaDeps, 'handle'>, services: readonly StoredService[], targets: readonly StoredService[], from: number, to: number, now: number): Promise<GatheredDowntime> {
  const involved = dependencyClosure(targets, new Map(services.map((s) => [s.name, s])));
  const names = involved.map((s) => s.name);
  const hosts = [...new Set(involved.flatMap((s) => s.match.hosts ?? []))];
  const db = deps.handle.db;
  const [incidentAlerts, agentDownNow, pastAgentDown, windows, pastEpisodes, checkStates] = await Promise.all([
    incidentAlertsOverlapping(db, names, from, to),
    agentDownAlertsOverlapping(db, hosts, from, to),
    pastEpisodeEvents(db, { agentDownHosts: hosts }, from, to),
    silencesEndingAfter(db, from),
    pastEpisodeEvents(db, { services: names }, from, to),
    checkStatesOverlapping(db, names, from, to),
  ]);
  const agentDown = [...agentDownNow, ...pastEpisodesOf(pastAgentDown).map(({ events, episode }) => ({ ...episode, host: (events[0] as PastEpisodeEvent).host }))];
  const attachments = pastEpisodes.length === 0 ? [] : await episodeAttachments(db, pastEpisodes.map((e) => e.startsAt));
  const data: DowntimeData = { incidentAlerts, agentDown, pastEpisodes: pastEpisodes.filter((e) => !(e.source === 'agent' && e.fingerprint.startsWith('AgentDown:'))), attachments, checkStates };
  const nodes: ServiceDowntimeNode[] = involved.map((s) => ({
    name: s.name,
    dependsOn: s.dependsOn,
    propagation: s.sla?.dependencies ?? 'none',
    own: ownDowntime(s, data, now),
  }));
  const downtime = effectiveDowntime(nodes);
  const maintenanceWindows = windows.filter((w) => w.kind === 'maintenance' && w.startsAt < to);
  return {
    downtime: new Map(targets.map((s) => [s.name, downtime.get(s.name) ?? []])),
    maintenance: new Map(targets.map((s) => [s.name, maintenanceWindows.filter((w) => matchesAll(w.matchers, { service: s.name })).map((w) => ({ start: w.startsAt, end: w.endsAt }))])),
  };
}

/** Evaluates `targets` (services with a policy) against the whole catalogue `services`. */
async function evaluateTargets(deps: SlaDeps, services: readonly StoredService[], targets: readonly WithPolicy[]): Promise<ServiceSla[]> {
  if (targets.length === 0) return [];
  const now = deps.clock.now();
  const from = Math.min(now - BURN_LOOKBACK_MS, ...targets.map((s) => periodContaining(s.sla.period, now).start));
  const gathered = await gatherDowntime(deps, services, targets, from, now, now);
  return targets.map((s) => ({
    service: s.name,
    policy: s.sla,
    evaluatedAt: now,
    current: evaluateCurrentSla({ policy: s.sla, outages: gathered.downtime.get(s.name) ?? [], maintenance: gathered.maintenance.get(s.name) ?? [], now }),
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
