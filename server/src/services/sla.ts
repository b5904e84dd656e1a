/**
 * @module Each service's SLA for its current period: gathers the outage intervals the
 * engine needs from the database (event time, see sla/outages.ts) and evaluates them.
 *
 * Reads are bounded by time: only data overlapping [lookback, now), where the lookback
 * reaches the earliest current period start and at least 3 days back (the longest
 * burn-rate window). For every service involved at once: the incidents' member alerts,
 * earlier episodes of re-fired alerts (event log) and the incidents that took them
 * (timeline), `AgentDown` of their hosts (every episode), availability-check states, and
 * maintenance windows.
 *
 * Attribution: a service's incident downtime comes from the member alert episodes that
 * belong to that service (the alert's `service`), grouped by incident, counted when the
 * incident's priority is in the policy's list; Sightline's own alerts never count.
 * `AgentDown` counts through the `agentDown` switch alone (of the hosts listed in the
 * service's `match.hosts`), never as an incident member, so switching it off really
 * removes it. Failed checks count for the service the agent's check names. A dependency
 * without a policy of its own counts its P1/P2 incidents, failed checks and `AgentDown`
 * and propagates nothing further. Maintenance windows of a service are those of kind
 * `maintenance` whose matchers all hold for `{service: <name>}`.
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
import { evaluateCurrentSla, reportSlaPeriods, type CurrentSla } from '../sla/evaluate.js';
import { intersectIntervals } from '../sla/intervals.js';
import { effectiveDowntime, incidentOutageIntervals, serviceOwnDowntime, type AlertSpan, type IncidentSpan, type ServiceDowntimeNode } from '../sla/outages.js';
import { periodContaining } from '../sla/periods.js';
import type { Catalogue } from './catalogue.js';
import type { Clock } from './clock.js';
import { silencesInEffect } from './recurring-silences.js';

/** The longest burn-rate window (3 days) must be covered whatever the period. */
const BURN_LOOKBACK_MS = 3 * 86_400_000;

/** What a dependency without a policy of its own counts as down. */
const DEFAULT_DOWNTIME: DowntimeDefinition = { incidentPriorities: ['P1', 'P2'], availabilityChecks: true, agentDown: true };

export interface SlaDeps {
  handle: DatabaseHandle;
  clock: Clock;
  catalogue: Pick<Catalogue, 'list'>;
  /** Shares one evaluation of every service between `/metrics`, the API and the periodic pass. */
  cache?: SlaCache;
}

/**
 * The latest evaluation of every service, reused for `ttlMs` of server time while the
 * catalogue is unchanged (a policy edit shows at once). A scrape, an API read and the
 * periodic pass within the same few seconds then cost one evaluation, not three.
 */
export interface SlaCache {
  ttlMs: number;
  entry: { at: number; key: string; value: ServiceSla[] } | null;
}

export function createSlaCache(ttlMs: number): SlaCache {
  return { ttlMs, entry: null };
}

const catalogueKey = (services: readonly StoredService[]) => services.map((s) => `${s.name}@${s.updatedAt}`).join('\n');

function cached(deps: SlaDeps, services: readonly StoredService[], now: number): ServiceSla[] | null {
  const entry = deps.cache?.entry;
  if (!deps.cache || !entry || entry.key !== catalogueKey(services)) return null;
  return now >= entry.at && now - entry.at < deps.cache.ttlMs ? entry.value : null;
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

/** What was read for one service over a window. */
interface ServiceData {
  incidentAlerts: OutageAlert[];
  pastEpisodes: PastEpisodeEvent[];
  checkStates: CheckStateRow[];
}

/** Every episode of the `AgentDown` alerts of the hosts involved. */
type HostDown = AlertSpan & { host: string | null };

function groupBy<T>(items: readonly T[], key: (item: T) => string | null): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    if (k === null) continue;
    const list = out.get(k);
    if (list) list.push(item);
    else out.set(k, [item]);
  }
  return out;
}

/** Past episodes, alert by alert (see sla/episodes.ts). */
function pastEpisodesOf(events: readonly PastEpisodeEvent[]): { first: PastEpisodeEvent; episode: AlertSpan }[] {
  return [...groupBy(events, (e) => `${e.source}\u0000${e.fingerprint}`).values()].flatMap((list) => {
    const first = list[0] as PastEpisodeEvent;
    return episodesFromEvents(list, first.currentStartsAt).map((episode) => ({ first, episode }));
  });
}

const episodeKey = (source: string, fingerprint: string, startsAt: number) => `${source}\u0000${fingerprint}\u0000${startsAt}`;

type Span = IncidentSpan & { alerts: AlertSpan[] };

function ownDowntime(service: StoredService, data: ServiceData, attached: ReadonlyMap<string, EpisodeAttachment>, agentDown: readonly HostDown[], now: number): TimeInterval[] {
  const byIncident = new Map<number, Span>();
  const add = (incidentId: number, priority: Span['priority'], status: Span['status'], span: AlertSpan) => {
    const entry = byIncident.get(incidentId);
    if (entry) entry.alerts.push(span);
    else byIncident.set(incidentId, { priority, status, alerts: [span] });
  };
  // Sightline's own alerts (burn rates, targets) describe downtime; they are not downtime themselves.
  for (const a of data.incidentAlerts) {
    if (a.source === 'sightline' || a.incidentId === null || a.priority === null || a.incidentStatus === null || isAgentDown(a)) continue;
    add(a.incidentId, a.priority, a.incidentStatus, a);
  }
  // Earlier episodes of re-fired alerts, each in the incident that took it.
  for (const { first, episode } of pastEpisodesOf(data.pastEpisodes)) {
    const t = attached.get(episodeKey(first.source, first.fingerprint, episode.startsAt));
    if (t) add(t.incidentId, t.priority, t.incidentStatus, episode);
  }
  const hosts = new Set(service.match.hosts ?? []);
  const down = incidentOutageIntervals(
    agentDown.filter((a) => a.host !== null && hosts.has(a.host)),
    now,
  );
  const failedChecks = failedCheckIntervals(
    data.checkStates.map((c) => ({ check: `${c.agentId}\u0000${c.checkName}`, since: c.since, success: c.success, lastReportedAt: c.lastReportedAt, intervalMs: c.intervalMs })),
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
    silencesInEffect(db, from, to),
    pastEpisodeEvents(db, { services: names }, from, to),
    checkStatesOverlapping(db, names, from, to),
  ]);
  const agentDown: HostDown[] = [...agentDownNow, ...pastEpisodesOf(pastAgentDown).map(({ first, episode }) => ({ ...episode, host: first.host }))];
  // `AgentDown` counts through the hosts alone, never as an incident member.
  const ownEpisodes = pastEpisodes.filter((e) => !(e.source === 'agent' && e.fingerprint.startsWith('AgentDown:')));
  const attachments = ownEpisodes.length === 0 ? [] : await episodeAttachments(db, ownEpisodes.map((e) => e.startsAt));
  const attached = new Map(attachments.map((t) => [episodeKey(t.source, t.fingerprint, t.startsAt), t]));
  const alertsOf = groupBy(incidentAlerts, (a) => a.service);
  const episodesOf = groupBy(ownEpisodes, (e) => e.service);
  const checksOf = groupBy(checkStates, (c) => c.service);
  const nodes: ServiceDowntimeNode[] = involved.map((s) => ({
    name: s.name,
    dependsOn: s.dependsOn,
    propagation: s.sla?.dependencies ?? 'none',
    own: ownDowntime(s, { incidentAlerts: alertsOf.get(s.name) ?? [], pastEpisodes: episodesOf.get(s.name) ?? [], checkStates: checksOf.get(s.name) ?? [] }, attached, agentDown, now),
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

/** Every service with a policy, by name, evaluated for its current period at `clock.now()`; `fresh` skips the cache. */
export async function evaluateServiceSlas(deps: SlaDeps, options: { fresh?: boolean } = {}): Promise<ServiceSla[]> {
  const services = await deps.catalogue.list();
  const now = deps.clock.now();
  const hit = options.fresh ? null : cached(deps, services, now);
  if (hit) return hit;
  const value = await evaluateTargets(deps, services, services.filter((s): s is WithPolicy => s.sla !== undefined));
  if (deps.cache) deps.cache.entry = { at: now, key: catalogueKey(services), value };
  return value;
}

/** One service's current SLA; NOT_FOUND when the service is unknown or has no policy. */
export async function evaluateServiceSla(deps: SlaDeps, name: string): Promise<Result<ServiceSla>> {
  const services = await deps.catalogue.list();
  const service = services.find((s) => s.name === name);
  if (!service) return fail('NOT_FOUND', `no service named ${name}`);
  if (!service.sla) return fail('NOT_FOUND', `service ${name} has no SLA policy`);
  const hit = cached(deps, services, deps.clock.now())?.find((s) => s.service === name);
  if (hit) return ok(hit);
  const [evaluated] = await evaluateTargets(deps, services, [service as WithPolicy]);
  return ok(evaluated as ServiceSla);
}

/** The SLA downtime an incident caused in one period of one service's policy. */
export interface IncidentPeriodImpact {
  period: TimeInterval;
  /** Downtime while the incident was open, counted as the SLA counts it (service hours, maintenance excluded). */
  downtimeMs: number;
  /** The period's whole error budget. */
  allowedDowntimeMs: number;
  /** downtime / allowed; null when the policy allows no downtime at all. */
  budgetSpentRatio: number | null;
}

export interface IncidentServiceImpact {
  service: string;
  objectivePpm: number;
  downtimeMs: number;
  periods: IncidentPeriodImpact[];
}

/** Outage intervals that fall while an incident was open (still open: up to `now`). */
export function whileOpen(outages: readonly TimeInterval[], incident: { openedAt: number; resolvedAt: number | null }, now: number): TimeInterval[] {
  return intersectIntervals(outages, [{ start: incident.openedAt, end: incident.resolvedAt ?? now }]);
}

/**
 * The SLA downtime of an incident on each service it reached that has a policy: the
 * services' effective downtime (as `evaluateServiceSlas` gathers it) cut to the time the
 * incident was open, measured against each period it overlapped by the same availability
 * computation as the SLA reports, so the figures add up with theirs.
 */
export async function incidentSlaImpact(deps: Pick<SlaDeps, 'handle' | 'clock' | 'catalogue'>, incident: { openedAt: number; resolvedAt: number | null }, reached: readonly string[]): Promise<IncidentServiceImpact[]> {
  const services = await deps.catalogue.list();
  const targets = services.filter((s): s is WithPolicy => s.sla !== undefined && reached.includes(s.name));
  if (targets.length === 0) return [];
  const now = deps.clock.now();
  const end = Math.min(incident.resolvedAt ?? now, now);
  const from = Math.min(...targets.map((s) => periodContaining(s.sla.period, incident.openedAt).start));
  const gathered = await gatherDowntime(deps, services, targets, from, Math.max(end, from + 1), now);
  return targets.map((s) => {
    const outages = whileOpen(gathered.downtime.get(s.name) ?? [], incident, now);
    const reports = reportSlaPeriods({ policy: s.sla, outages, maintenance: gathered.maintenance.get(s.name) ?? [], now }, incident.openedAt, Math.max(end, incident.openedAt + 1));
    const periods = reports.map((r) => ({
      period: { start: r.start, end: r.end },
      downtimeMs: r.downtimeMs,
      allowedDowntimeMs: r.allowedDowntimeMs,
      budgetSpentRatio: r.allowedDowntimeMs === 0 ? null : r.downtimeMs / r.allowedDowntimeMs,
    }));
    return { service: s.name, objectivePpm: s.sla.objectivePpm, downtimeMs: periods.reduce((sum, p) => sum + p.downtimeMs, 0), periods };
  });
}
