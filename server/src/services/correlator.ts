/**
 * @module The correlator: the single writer that applies stored alert events, in log
 * order, to alert state and incidents, and the housekeeping that expires leases,
 * auto-resolves and closes incidents. Each batch is one transaction that also marks
 * its events applied, so a crash replays exactly what was not committed.
 */
import type { Logger } from 'pino';
import type { Transaction } from 'kysely';
import { hostOf, serviceOf, severityOf, titleOf, type Severity } from '../domain/alert.js';
import { higherLevel, impactOfTier, priorityOf, urgencyOf } from '../domain/incident.js';
import { chooseIncident, groupKeyOf, type GroupingConfig, type JoinDecision } from '../correlate/grouping.js';
import { maskTitle, titleSimilarity } from '../correlate/similarity.js';
import { inhibitorOf, isInhibitionSource, recordStateChange, ruleFor, silencesInForce, suppressionFor, type FlapConfig, type GroupingRule, type InhibitRule } from '../correlate/noise.js';
import type { Silence } from '../domain/silence.js';
import { silencesEndingAfter } from '../db/silences-repo.js';
import type { ServiceGraph } from '../correlate/topology.js';
import { alertEventsById, anyPendingEvent, markEventsCorrelated, pendingAlertEvents, pendingEventHeads, type StoredAlertEvent } from '../db/alert-events-repo.js';
import { expiredLeases, findAlerts, firingAlerts, insertAlerts, moveAlerts, saveAlert, suppressedFiringAlerts, unsuppressedFiringAlerts, type AlertRecord } from '../db/alerts-repo.js';
import type { DatabaseHandle } from '../db/connection.js';
import {
  addIncidentMembership,
  appendTimelineEntries,
  findIncident,
  hostsOfIncident,
  incidentsTouchingHost,
  openIncidentsTouchingServices,
  servicesReached,
  incidentsTouchingServices,
  recentIncidents,
  servicesOfIncident,
  incidentsDueForAutoResolve,
  incidentsDueForClose,
  incidentsForGroup,
  insertIncident,
  saveIncident,
  touchedByPeople,
  type IncidentRecord,
  type TimelineEntry,
} from '../db/incidents-repo.js';
import type { Database } from '../db/schema.js';
import { recordConfigurationItems } from '../db/services-repo.js';
import type { ServerConfig } from '../config.js';
import type { Clock } from './clock.js';
import { LeadershipLostError, type Leadership } from './leadership.js';

export interface CorrelatorOptions {
  grouping: GroupingConfig;
  /** An incident whose alerts have all resolved stays open this long (event time) in case one re-fires. */
  resolveHoldDownMs: number;
  /** The fingerprint layer: a re-fire within this long (event time) of its own previous episode's end joins that episode's incident. */
  reopenWindowMs: number;
  /** Resolved incidents close after this long. */
  closeAfterMs: number;
  /** The service catalogue as it is now (it can be edited while the server runs). */
  catalogue(): ServiceGraph;
  /** Topology layer: join incidents on services at most this many hops away; null switches it off. */
  topologyHops: number | null;
  /**
   * How a fault spreads, measured from the incident's opening (event time): a dependant N
   * hops down joins within N × `spreadPerHopMs` (at most the join window); a dependency of
   * the root-cause candidate (the cause showing up after its symptoms) within `upstreamMs`.
   */
  topologyTiming?: { spreadPerHopMs: number; upstreamMs: number };
  /**
   * A fault's own alerts on its root-cause service come within this long of its incident's
   * opening: once the incident has spread to other services, a new alert on the root-cause
   * service later is a new fault there, and the
   * grouping-key, topology and similarity layers do not put it in that incident (a re-fire of
   * one of its alerts within the reopen window still rejoins, and explicit rules still apply).
   * Null or absent: no such limit.
   */
  rootOnsetWindowMs?: number | null;
  /**
   * Topology layer: when a service's alerts reach an incident whose root-cause candidate it is,
   * fresh incidents opened only by symptoms of it (on services that depend on it within
   * `topologyHops`, opened within the upstream window before it or the spread time after,
   * untouched by people) are merged into that incident. Absent: off.
   */
  mergeSymptomIncidents?: boolean;
  /**
   * Topology layer: an incident whose fault has already reached a service (holds an alert
   * there) takes that service's further alerts within this long of its first one there, even
   * once the spread time for the service's distance from the root has passed. Null or absent: off.
   */
  serviceOnsetWindowMs?: number | null;
  /** Null switches the similarity layer off. */
  similarity: { sameHost: boolean; titleThreshold: number } | null;
  /** Explicit grouping rules, tried before the default grouping key. */
  rules: readonly GroupingRule[];
  flap: FlapConfig;
  inhibitRules: readonly InhibitRule[];
  batchSize?: number;
  /** Events this thread just stored, taken from memory instead of read back (see KeptEvents). */
  kept?: KeptEvents;
  /** Told how many stored events each batch applied (for the ingest backlog). */
  onApplied?(count: number): void;
  /**
   * Several replicas: kicks are ignored unless this replica leads, and every transaction
   * is fenced, so a replica that lost the lease cannot commit. Absent: always leads.
   */
  leadership?: Pick<Leadership, 'isLeader' | 'fence'>;
}

/** The options that come from the configuration: the same wherever the correlator runs. */
export function correlatorSettings(config: Readonly<ServerConfig>): Omit<CorrelatorOptions, 'catalogue' | 'onApplied' | 'leadership' | 'batchSize'> {
  const c = config.correlation;
  return {
    grouping: { groupBy: c.groupBy, joinWindowMs: c.joinWindow, maxIncidentSpanMs: c.maxIncidentSpan },
    resolveHoldDownMs: c.resolveHoldDown,
    closeAfterMs: c.closeAfter,
    topologyHops: c.layers.topology ? c.topologyHops : null,
    reopenWindowMs: c.reopenWindow ?? c.resolveHoldDown,
    topologyTiming: { spreadPerHopMs: c.topologySpreadPerHop, upstreamMs: c.topologyUpstreamWindow },
    rootOnsetWindowMs: c.rootOnsetWindow,
    mergeSymptomIncidents: c.mergeSymptomIncidents,
    serviceOnsetWindowMs: c.serviceOnsetWindow,
    similarity: c.layers.similarity ? c.similarity : null,
    rules: c.rules.map((r) => ({ name: r.name, matchers: r.match, groupBy: r.groupBy, joinWindowMs: r.joinWindow })),
    flap: { windowMs: c.flap.window, threshold: c.flap.threshold },
    inhibitRules: c.inhibitRules.map((r) => ({ sourceMatchers: r.sourceMatch, targetMatchers: r.targetMatch, equal: r.equal })),
  };
}

/**
 * Events the writer on the same connection has just committed, kept for the correlator,
 * which then reads only the pending ids and revisions and takes the events from here (no
 * reading back and parsing of every row). An event missing here, or changed since (another
 * revision), is read from the table as usual. Bounded: the oldest are dropped first.
 */
export class KeptEvents {
  private readonly byId = new Map<number, StoredAlertEvent>();

  constructor(private readonly limit = 20_000) {}

  /** Only after the commit: ids of a rolled-back insert may be used again. */
  add(events: readonly StoredAlertEvent[]): void {
    for (const e of events) this.byId.set(e.id, e);
    for (const id of this.byId.keys()) {
      if (this.byId.size <= this.limit) break;
      this.byId.delete(id);
    }
  }

  take(id: number, revision: number): StoredAlertEvent | undefined {
    const e = this.byId.get(id);
    if (e === undefined) return undefined;
    this.byId.delete(id);
    return e.revision === revision ? e : undefined;
  }

  get size(): number {
    return this.byId.size;
  }
}

/** The counters the correlator moves (a subset of the server's metrics). */
export interface CorrelatorMetrics {
  incidentsOpened: { inc(labels: { priority: string }): void };
  alertsSuppressed: { inc(labels: { kind: string }): void };
  correlatorErrors: { inc(): void };
}

/**
 * Correlation inside the writer's transaction, for a writer on the correlator's own
 * connection (the ingest thread): when no stored event waits, the events of an append are
 * stored as correlated and applied before the one commit, so the sender's 2xx comes with its
 * incidents up to date and the log is written once. If applying fails, the writer stores the
 * events as pending instead and the correlator's own passes take them.
 */
export interface InlineCorrelation {
  /** Within the writer's transaction, before it appends: may the events be applied here? */
  ready(trx: Transaction<Database>): Promise<boolean>;
  /** Events correlated with their append: at most this many per transaction (the rest wait as pending). */
  readonly maxEvents: number;
  /** Applies the just-appended events (log order) within the writer's transaction; the answer is to be called once it committed. */
  apply(trx: Transaction<Database>, events: readonly StoredAlertEvent[]): Promise<() => void>;
  /** Applying failed (the transaction was rolled back). */
  failed(error: unknown): void;
}

export interface Correlator {
  /** Applies every pending event, then runs housekeeping. Resolves when nothing is pending. */
  drain(): Promise<void>;
  /** Asks for a drain soon; coalesces many calls into one pass. With `housekeeping`, that pass also runs it. */
  kick(housekeeping?: boolean): void;
  start(housekeepingIntervalMs: number): void;
  stop(): Promise<void>;
}

type Trx = Transaction<Database>;

/**
 * The most events correlated inside one append's transaction. A larger group (a storm that
 * piled up requests while the thread was busy) is stored as pending and correlated by the
 * passes in batches, so no transaction grows without bound, other writers never wait long
 * for the lock, and the backlog (and with it the 429s of backpressure) shows the overload.
 */
const INLINE_MAX_EVENTS = 1000;

/** How long a kick waits to gather more events; well under any human-visible delay. */
const KICK_DELAY_MS = 20;
const alertKey = (source: string, fingerprint: string) => `${source}\u0000${fingerprint}`;

/**
 * The state one batch reads and changes, kept in memory and written back once at the end:
 * a storm of N alerts costs a handful of multi-row statements, not several queries each.
 * Objects are shared between the maps, so a change made through one is seen through all.
 */
class UnitOfWork {
  readonly alerts = new Map<string, AlertRecord | null>();
  readonly newAlerts = new Set<AlertRecord>();
  readonly dirtyAlerts = new Set<AlertRecord>();
  readonly incidents = new Map<number, IncidentRecord>();
  readonly groups = new Map<string, IncidentRecord[]>();
  readonly dirtyIncidents = new Set<IncidentRecord>();
  readonly timeline: Omit<TimelineEntry, 'id'>[] = [];
  /** Hosts seen in this batch, recorded as configuration items. */
  readonly seenHosts = new Set<string>();
  /** Silences and maintenance windows that may cover events of this batch. */
  silences: Silence[] = [];
  /** Counter increments, made once the batch is committed (a rolled-back batch is applied again). */
  private readonly counted: (() => void)[] = [];

  count(increment: () => void): void {
    this.counted.push(increment);
  }

  /** After the commit: moves the counters. */
  committed(): void {
    for (const increment of this.counted.splice(0)) increment();
  }
  private firing: AlertRecord[] | null = null;

  /** Firing alerts as of now in this batch: stored ones (loaded once) and this batch's. */
  async firingAlerts(): Promise<AlertRecord[]> {
    this.firing ??= (await firingAlerts(this.trx, 5000)).map((a) => (this.alerts.get(alertKey(a.source, a.fingerprint)) as AlertRecord | undefined) ?? a);
    const seen = new Set(this.firing);
    for (const a of this.alerts.values()) if (a && !seen.has(a)) this.firing.push(a);
    return this.firing.filter((a) => a.status === 'firing');
  }

  async loadSilences(since: number): Promise<void> {
    this.silences = await silencesEndingAfter(this.trx, since);
  }

  constructor(
    readonly trx: Trx,
    private readonly lock: boolean,
  ) {}

  async preloadAlerts(keys: readonly { source: string; fingerprint: string }[]): Promise<void> {
    const bySource = new Map<string, Set<string>>();
    for (const { source, fingerprint } of keys) {
      if (this.alerts.has(alertKey(source, fingerprint))) continue;
      const set = bySource.get(source) ?? new Set<string>();
      set.add(fingerprint);
      bySource.set(source, set);
    }
    for (const [source, fingerprints] of bySource) {
      for (const fp of fingerprints) this.alerts.set(alertKey(source, fp), null);
      for (const alert of await findAlerts(this.trx, source, [...fingerprints])) this.alerts.set(alertKey(source, alert.fingerprint), alert);
    }
  }

  alert(source: string, fingerprint: string): AlertRecord | null {
    return this.alerts.get(alertKey(source, fingerprint)) ?? null;
  }

  addAlert(alert: AlertRecord): void {
    this.alerts.set(alertKey(alert.source, alert.fingerprint), alert);
    this.newAlerts.add(alert);
  }

  touchAlert(alert: AlertRecord): void {
    if (!this.newAlerts.has(alert)) this.dirtyAlerts.add(alert);
  }

  private remember(incident: IncidentRecord): IncidentRecord {
    const known = this.incidents.get(incident.id);
    if (known) return known;
    this.incidents.set(incident.id, incident);
    return incident;
  }

  async incident(id: number): Promise<IncidentRecord | null> {
    const known = this.incidents.get(id);
    if (known) return known;
    const loaded = await findIncident(this.trx, id, this.lock);
    return loaded ? this.remember(loaded) : null;
  }

  /**
   * The incident as this batch knows it, or as stored, without locking or keeping it: for
   * checks that most candidates fail. Whatever the batch then changes goes through `incident`.
   */
  async peekIncident(id: number): Promise<IncidentRecord | null> {
    return this.incidents.get(id) ?? (await findIncident(this.trx, id, false));
  }

  async group(key: string): Promise<IncidentRecord[]> {
    let list = this.groups.get(key);
    if (!list) {
      list = (await incidentsForGroup(this.trx, key, this.lock)).map((i) => this.remember(i));
      this.groups.set(key, list);
    }
    return list;
  }

  async addIncident(fresh: Omit<IncidentRecord, 'id'>): Promise<IncidentRecord> {
    const incident = this.remember({ ...fresh, id: await insertIncident(this.trx, fresh) });
    (await this.group(incident.groupKey)).push(incident);
    return incident;
  }

  touchIncident(incident: IncidentRecord): void {
    this.dirtyIncidents.add(incident);
  }

  private readonly services = new Map<number, Set<string>>();
  private readonly hosts = new Map<number, Set<string>>();

  async servicesOf(incidentId: number): Promise<Set<string>> {
    let set = this.services.get(incidentId);
    if (!set) {
      set = new Set(await servicesOfIncident(this.trx, incidentId));
      this.services.set(incidentId, set);
    }
    return set;
  }

  private readonly pendingServices: { incidentId: number; service: string }[] = [];
  private readonly pendingHosts: { incidentId: number; host: string }[] = [];

  /**
   * Records that the incident touches `service` and `host` (written at flush; lookups below
   * see them at once). True when the service is new to the incident.
   */
  async addMembership(incidentId: number, service: string | null, host: string | null): Promise<boolean> {
    const services = await this.servicesOf(incidentId);
    const newService = service !== null && !services.has(service);
    if (newService) {
      services.add(service);
      this.pendingServices.push({ incidentId, service });
    }
    let hosts = this.hosts.get(incidentId);
    if (!hosts) {
      hosts = new Set<string>();
      this.hosts.set(incidentId, hosts);
    }
    if (host !== null && !hosts.has(host)) {
      hosts.add(host);
      this.pendingHosts.push({ incidentId, host });
    }
    return newService;
  }

  /** Hosts the incident touches: stored, and added in this batch. */
  async hostsOf(incidentId: number): Promise<string[]> {
    const hosts = new Set(await hostsOfIncident(this.trx, incidentId));
    for (const p of this.pendingHosts) if (p.incidentId === incidentId) hosts.add(p.host);
    return [...hosts].sort();
  }

  /** True when anyone but the correlator acted on the incident (stored, or in this batch: a silence's note). */
  async touchedByPeople(incidentId: number): Promise<boolean> {
    return this.timeline.some((t) => t.incidentId === incidentId && t.actor !== 'sightline') || (await touchedByPeople(this.trx, incidentId));
  }

  /**
   * The alerts of incident `from` now belong to `to`: the stored rows move at once, and the
   * copies this batch holds follow, so what it writes back at flush agrees.
   */
  async moveAlerts(from: number, to: number): Promise<void> {
    await moveAlerts(this.trx, from, to);
    for (const a of [...this.alerts.values(), ...(this.firing ?? [])]) if (a && a.incidentId === from) a.incidentId = to;
  }

  /** incident → service → when the fault reached it (its `service_reached` entries). */
  private readonly reached = new Map<number, Map<string, number>>();

  /**
   * When the incident's fault reached `service`: its first alert there, from its
   * `service_reached` timeline entry; for the service that opened the incident (and has no
   * such entry), the incident's opening.
   */
  async reachedAt(incident: IncidentRecord, service: string): Promise<number | null> {
    // A merge records the opening service's time before the incident's opening moves earlier.
    const recorded = (await this.reachOf(incident.id)).get(service);
    if (recorded !== undefined) return recorded;
    return service === incident.service ? incident.openedAt : null;
  }

  /**
   * Records on the timeline that the incident's fault reached `service` at `at` (event time).
   * Called once per service new to the incident, so nothing needs to be read first.
   */
  noteReached(incidentId: number, service: string, at: number, message: string): void {
    let pending = this.pendingReach.get(incidentId);
    if (!pending) this.pendingReach.set(incidentId, (pending = new Map()));
    pending.set(service, Math.min(pending.get(service) ?? Infinity, at));
    this.reached.get(incidentId)?.set(service, Math.min(this.reached.get(incidentId)?.get(service) ?? Infinity, at));
    this.note(incidentId, at, 'service_reached', message, { service });
  }

  private readonly pendingReach = new Map<number, Map<string, number>>();

  private async reachOf(incidentId: number): Promise<Map<string, number>> {
    let reach = this.reached.get(incidentId);
    if (!reach) {
      reach = await servicesReached(this.trx, incidentId);
      for (const [service, at] of this.pendingReach.get(incidentId) ?? []) reach.set(service, Math.min(reach.get(service) ?? Infinity, at));
      this.reached.set(incidentId, reach);
    }
    return reach;
  }

  async incidentsTouching(services: string[]): Promise<{ incidentId: number; service: string }[]> {
    const wanted = new Set(services);
    return [...(await incidentsTouchingServices(this.trx, services)), ...this.pendingServices.filter((p) => wanted.has(p.service))];
  }

  /**
   * Incidents `open` that touch any of `services` and opened within [from, to]: as stored, and
   * as this batch changed them (added a service, reopened, moved the opening), so the answer
   * does not depend on how events fell into batches. The caller re-checks each.
   */
  async openIncidentsTouching(services: string[], from: number, to: number): Promise<number[]> {
    const wanted = new Set(services);
    const ids = new Set(await openIncidentsTouchingServices(this.trx, services, from, to));
    for (const p of this.pendingServices) if (wanted.has(p.service)) ids.add(p.incidentId);
    for (const [id, incident] of this.incidents) {
      if (ids.has(id) || incident.status !== 'open' || incident.openedAt < from || incident.openedAt > to) continue;
      for (const service of await this.servicesOf(id)) {
        if (!wanted.has(service)) continue;
        ids.add(id);
        break;
      }
    }
    return [...ids].sort((x, y) => x - y);
  }

  async incidentsOnHost(host: string): Promise<number[]> {
    const ids = new Set(await incidentsTouchingHost(this.trx, host));
    for (const p of this.pendingHosts) if (p.host === host) ids.add(p.incidentId);
    return [...ids];
  }

  /** Incidents active since `since`: from the database, and as changed in this batch. */
  async recentIncidents(since: number): Promise<IncidentRecord[]> {
    const found = new Map<number, IncidentRecord>();
    // Locked like every other incident the batch may write back (PostgreSQL).
    for (const i of await recentIncidents(this.trx, since, 200, this.lock)) found.set(i.id, this.remember(i));
    for (const i of this.incidents.values()) if (i.lastActivityAt >= since) found.set(i.id, i);
    return [...found.values()];
  }

  note(incidentId: number, at: number, kind: string, message: string, data: unknown = null, actor = 'sightline'): void {
    this.timeline.push({ incidentId, at, kind, actor, message, data });
  }

  async flush(now: number): Promise<void> {
    await recordConfigurationItems(this.trx, 'host', [...this.seenHosts].sort(), 'alerts', now);
    await insertAlerts(this.trx, [...this.newAlerts]);
    for (const alert of this.dirtyAlerts) await saveAlert(this.trx, alert);
    for (const incident of this.dirtyIncidents) await saveIncident(this.trx, incident);
    await appendTimelineEntries(this.trx, this.timeline);
    await addIncidentMembership(this.trx, this.pendingServices, this.pendingHosts);
  }
}

export function createCorrelator(
  handle: DatabaseHandle,
  clock: Clock,
  options: CorrelatorOptions,
  metrics: CorrelatorMetrics,
  log: Logger,
): Correlator & { inline: InlineCorrelation } {
  const lock = handle.dialect === 'postgres';
  const batchSize = options.batchSize ?? 1000;
  const fence = options.leadership?.fence;
  let running: Promise<void> | null = null;
  let rerun = false;
  let timer: NodeJS.Timeout | null = null;
  let stopped = false;

  /** Applies the matrix (unless a person overrode it); an escalation is on the timeline, so it notifies. */
  function recomputePriority(work: UnitOfWork, incident: IncidentRecord, at: number, cause: string): void {
    if (incident.priorityOverridden) return;
    const before = incident.priority;
    incident.priority = priorityOf(incident.impact, incident.urgency);
    if (incident.priority !== before) {
      work.note(incident.id, at, 'updated', `Priority ${before} → ${incident.priority}: ${cause}`, { priority: incident.priority, priorityFrom: before, priorityTo: incident.priority });
    }
  }

  async function resolveAlert(work: UnitOfWork, alert: AlertRecord, endsAt: number, now: number, by: 'sender' | 'lease'): Promise<void> {
    const reason = by === 'sender' ? 'resolved by sender' : 'not re-sent before its lease ended';
    alert.status = 'resolved';
    alert.endsAt = endsAt;
    alert.resolvedBy = by;
    alert.lastSeenAt = now;
    noteStateChange(work, alert, endsAt);
    work.touchAlert(alert);
    // A suppressed alert is not counted as firing in any incident.
    if (alert.incidentId === null || alert.suppressedBy !== null) return;
    const incident = await work.incident(alert.incidentId);
    if (!incident) return;
    incident.firingCount = Math.max(0, incident.firingCount - 1);
    incident.lastActivityAt = Math.max(incident.lastActivityAt, endsAt);
    if (incident.firingCount === 0) incident.resolveAfter = incident.lastActivityAt + options.resolveHoldDownMs;
    incident.updatedAt = now;
    work.touchIncident(incident);
    work.note(incident.id, endsAt, 'alert_resolved', `${alert.title} resolved (${reason})`, { source: alert.source, fingerprint: alert.fingerprint });
  }

  /** Tracks flapping: a flapping alert is marked, and its re-fires do not page again. */
  function noteStateChange(work: UnitOfWork, alert: AlertRecord, at: number): void {
    const was = alert.flapping;
    const { history, flapping } = recordStateChange(alert.flapHistory, at, options.flap);
    alert.flapHistory = history;
    alert.flapping = flapping;
    if (flapping && !was && alert.incidentId !== null) {
      work.note(alert.incidentId, at, 'flapping', `${alert.title} is flapping (${history.length} state changes within ${Math.round(options.flap.windowMs / 60_000)} min): its re-fires will not page`, {
        source: alert.source,
        fingerprint: alert.fingerprint,
      });
    }
  }

  type Layer = 'fingerprint' | 'rule' | 'group' | 'topology' | 'similarity';
  interface Attachment {
    incident: IncidentRecord;
    decision: JoinDecision;
    method: Layer;
    score: number;
    why: string;
    evidence: Record<string, unknown>;
  }

  /**
   * Which incidents a new alert on `service` at `at` must not join: those whose root-cause
   * candidate is `service`, whose fault reached it more than `rootOnsetWindowMs` before the alert (a
   * fault's own alerts on its root come within that window; later ones are a new fault there)
   * and that have spread to other services (a fault on one service alone keeps gathering its
   * alerts by the grouping key).
   */
  async function closedToRoot(work: UnitOfWork, service: string | null, at: number) {
    const windowMs = options.rootOnsetWindowMs ?? null;
    const spread = new Map<number, boolean>();
    const has = async (incident: IncidentRecord): Promise<boolean> => {
      if (windowMs === null || service === null || (incident.rootCauseService ?? incident.service) !== service) return false;
      // Measured from the fault's first alert on that service (which may have joined later, or
      // be later than an opening moved earlier by a merge).
      if (at - ((await work.reachedAt(incident, service)) ?? incident.openedAt) <= windowMs) return false;
      let known = spread.get(incident.id);
      if (known === undefined) spread.set(incident.id, (known = (await work.servicesOf(incident.id)).size > 1));
      return known;
    };
    return {
      has,
      async without(incidents: readonly IncidentRecord[]): Promise<IncidentRecord[]> {
        const kept: IncidentRecord[] = [];
        for (const i of incidents) if (!(await has(i))) kept.push(i);
        return kept;
      },
    };
  }

  /**
   * True when the fault of `incident`, which holds alerts on `service`, reached it (its first
   * alert there began) within `serviceOnsetWindowMs` of `at`: a service's alerts for one fault
   * come in a burst, so they stay together even once the spread time from the incident's
   * opening has passed for that service's distance.
   */
  async function reachedRecently(work: UnitOfWork, incident: IncidentRecord, service: string, at: number): Promise<boolean> {
    const windowMs = options.serviceOnsetWindowMs ?? null;
    // Only an incident that could take the alert at all is worth the lookup.
    if (windowMs === null || !chooseIncident(at, [incident], options.grouping)) return false;
    const first = await work.reachedAt(incident, service);
    return first !== null && Math.abs(at - first) <= windowMs;
  }

  /**
   * The correlation layers, first match wins: (1) the alert's own previous incident,
   * (2) the grouping key, (3) topology: an incident on a service within N hops,
   * (4) similarity: an incident on the same host, or with a similar masked title.
   */
  async function findAttachment(
    work: UnitOfWork,
    event: StoredAlertEvent,
    existing: AlertRecord | null,
    ctx: { at: number; service: string | null; host: string | null; groupKey: string; masked: string[]; rule: GroupingRule | null },
  ): Promise<Attachment | null> {
    const { at } = ctx;
    // A re-fire soon after its previous episode ended (a flap, or the fault coming back
    // inside the reopen window) belongs to that episode's incident; a later one is a new
    // episode like any other, and the layers below decide.
    const refire = existing?.endsAt != null && at - existing.endsAt <= options.reopenWindowMs;
    const previous = existing?.incidentId != null && refire ? await work.incident(existing.incidentId) : null;
    const closed = await closedToRoot(work, ctx.service, at);
    const group = ctx.rule ? await work.group(ctx.groupKey) : await closed.without(await work.group(ctx.groupKey));
    const window = ctx.rule?.joinWindowMs != null ? { ...options.grouping, joinWindowMs: ctx.rule.joinWindowMs } : options.grouping;
    const first = chooseIncident(at, previous && !group.includes(previous) ? [previous, ...group] : group, window, previous?.id ?? null);
    const graph = options.catalogue();
    /** Layer 3: the incident whose root-cause candidate this alert's service is linked to by dependencies, closest first. */
    const byTopology = async (): Promise<Attachment | null> => {
      const hopsLimit = options.topologyHops;
      if (hopsLimit === null || !ctx.service || !graph.get(ctx.service)) return null;
      const service = ctx.service;
      // A fault spreads along dependencies from its root within minutes: an alert joins an
      // incident when its service depends on the incident's root-cause candidate (directly,
      // or through a member the fault already reached) and it started within hops × the
      // spread time of the incident's opening, or within the service onset window of the
      // fault's first alert on this very service; or when its service is a dependency of the
      // root that showed up shortly after. Any other link through members (siblings sharing
      // a dependency, dependencies of symptoms) would chain unrelated faults together.
      const near = graph.within(ctx.service, hopsLimit);
      const membersOf = new Map<number, Set<string>>();
      for (const m of await work.incidentsTouching([...near.keys()])) {
        const set = membersOf.get(m.incidentId) ?? new Set<string>();
        set.add(m.service);
        membersOf.set(m.incidentId, set);
      }
      // `symptom`: this alert's service depends on the root (the fault spread down to it).
      // `hops`: the shortest such path, directly or through a member. `nearest`: how far the
      // closest service the fault has already reached on such a path (`via`: a member that
      // depends on the root, or the root) is; 0 when it already reached this service.
      interface Link {
        incident: IncidentRecord;
        hops: number;
        nearest: number;
        root: string;
        via: string;
        symptom: boolean;
        onset: boolean;
      }
      const linked: Link[] = [];
      const timing = options.topologyTiming ?? { spreadPerHopMs: options.grouping.joinWindowMs, upstreamMs: options.grouping.joinWindowMs };
      for (const id of [...membersOf.keys()].sort((x, y) => x - y)) {
        const incident = await work.incident(id);
        const root = incident?.rootCauseService ?? incident?.service;
        // One that could not take the alert anyway (inactive, outside the join window) is not weighed.
        if (!incident || !root || !chooseIncident(at, [incident], options.grouping) || (await closed.has(incident))) continue;
        // Late arrivals (starting before the incident opened) are judged by the same distance.
        const since = Math.abs(at - incident.openedAt);
        let hops = graph.dependencyHops(service, root, hopsLimit);
        let nearest = hops;
        let via = root;
        for (const member of [...(membersOf.get(id) as Set<string>)].sort()) {
          if (member === root) continue;
          const toMember = graph.dependencyHops(service, member, hopsLimit);
          const memberToRoot = toMember === null ? null : graph.dependencyHops(member, root, hopsLimit);
          if (toMember === null || memberToRoot === null) continue;
          if (nearest === null || toMember < nearest || (toMember === nearest && toMember + memberToRoot < (hops ?? Infinity))) {
            nearest = toMember;
            via = member;
          }
          if (hops === null || toMember + memberToRoot < hops) hops = toMember + memberToRoot;
        }
        if (hops !== null && nearest !== null) {
          const spreading = since <= Math.min(options.grouping.joinWindowMs, timing.spreadPerHopMs * Math.max(1, hops));
          const onset = !spreading && membersOf.get(id)?.has(service) === true && (await reachedRecently(work, incident, service, at));
          if (spreading || onset) {
            linked.push({ incident, hops, nearest, root, via, symptom: true, onset });
            continue;
          }
        }
        const up = graph.dependencyHops(root, service, hopsLimit);
        if (up !== null && since <= Math.min(options.grouping.joinWindowMs, timing.upstreamMs)) linked.push({ incident, hops: up, nearest: up, root, via: root, symptom: false, onset: false });
      }
      // The closest service the fault has already reached decides (the evidence of its path),
      // then the length of the whole path to the root.
      const levels = [...new Map(linked.map((l) => [`${l.nearest}/${l.hops}`, l])).values()].sort((x, y) => x.nearest - y.nearest || x.hops - y.hops);
      for (const { nearest, hops } of levels) {
        let level = linked.filter((l) => l.hops === hops && l.nearest === nearest);
        // Equally near: an incident the fault already brought to this service keeps its alerts
        // together, rather than the one with the latest activity.
        const reached = level.filter((l) => membersOf.get(l.incident.id)?.has(service));
        if (reached.length > 0 && reached.length < level.length && chooseIncident(at, reached.map((l) => l.incident), options.grouping)) level = reached;
        const decision = chooseIncident(at, level.map((l) => l.incident), options.grouping);
        if (decision) {
          const { incident, root, via, symptom, onset } = level.find((l) => l.incident.id === decision.incidentId) as Link;
          const through = via === root ? '' : via === service ? `, a service the fault already reached` : ` through ${via}, which it already reached`;
          const burst = onset ? `; within ${Math.round((options.serviceOnsetWindowMs ?? 0) / 1000)} s of the fault's first alert on ${service}` : '';
          return {
            incident,
            decision,
            method: 'topology',
            score: 1 / (1 + hops),
            why: symptom
              ? `${service} depends on ${root}, the incident's root-cause candidate (${hops} hop(s)${through})${burst}`
              : `${service} is a dependency of ${root}, the incident's root-cause candidate (${hops} hop(s))`,
            evidence: { service, root, via, hops, direction: symptom ? 'depends-on-root' : 'dependency-of-root', ...(onset ? { onset: true } : {}) },
          };
        }
      }
      return null;
    };

    if (first) {
      const incident = (await work.incident(first.incidentId)) as IncidentRecord;
      if (previous && first.incidentId === previous.id) return { incident, decision: first, method: 'fingerprint', score: 1, why: 'same fingerprint re-fired', evidence: {} };
      if (ctx.rule) return { incident, decision: first, method: 'rule', score: 1, why: `grouping rule ${ctx.rule.name} (${ctx.groupKey})`, evidence: { rule: ctx.rule.name, groupKey: ctx.groupKey } };
      // A fault spreads along dependencies within minutes: when an incident opened after this
      // service's own is linked to this alert through the topology (within those minutes of
      // its opening), the alert belongs to that fresher fault rather than to the older incident.
      const fresher = await byTopology();
      if (fresher && fresher.incident.id !== incident.id && fresher.incident.openedAt > incident.openedAt) {
        return { ...fresher, why: `${fresher.why}; preferred to the older incident #${incident.id} of the same grouping key` };
      }
      return { incident, decision: first, method: 'group', score: 1, why: `same grouping key ${ctx.groupKey}`, evidence: { groupKey: ctx.groupKey } };
    }

    const topology = await byTopology();
    if (topology) return topology;

    const similarity = options.similarity;
    if (similarity?.sameHost && ctx.host) {
      // A host's trouble shows on what runs there within minutes of the incident's opening;
      // later, an alert on a busy host is as likely to be a fault of its own.
      const soon = options.topologyTiming?.spreadPerHopMs ?? options.grouping.joinWindowMs;
      const candidates = await closed.without(
        (await Promise.all((await work.incidentsOnHost(ctx.host)).map((id) => work.incident(id)))).filter((i): i is IncidentRecord => i !== null && Math.abs(at - i.openedAt) <= soon),
      );
      const decision = chooseIncident(at, candidates, options.grouping);
      if (decision) {
        return {
          incident: (await work.incident(decision.incidentId)) as IncidentRecord,
          decision,
          method: 'similarity',
          score: 1,
          why: `same host ${ctx.host}`,
          evidence: { host: ctx.host },
        };
      }
    }

    if (similarity && ctx.masked.length > 0) {
      const recent = await work.recentIncidents(at - options.grouping.joinWindowMs);
      // Wording alone never joins two different known services: that is the topology
      // layer's call (or the catalogue says they are unrelated).
      const unrelated = (incident: IncidentRecord) => ctx.service !== null && incident.service !== null && incident.service !== ctx.service;
      const scored = (await closed.without(recent))
        .filter((incident) => !unrelated(incident))
        .map((incident) => ({ incident, score: titleSimilarity(ctx.masked, incident.maskedTitle) }))
        .filter((c) => c.score >= similarity.titleThreshold)
        .sort((x, y) => y.score - x.score || x.incident.id - y.incident.id);
      for (const { incident, score } of scored) {
        const decision = chooseIncident(at, [incident], options.grouping);
        if (decision) {
          return {
            incident,
            decision,
            method: 'similarity',
            score: Math.round(score * 1000) / 1000,
            why: `title similar to "${incident.title}" (${Math.round(score * 100)}%)`,
            evidence: { titleSimilarity: score },
          };
        }
      }
    }
    return null;
  }

  /**
   * Symptoms can outrun their cause: alerts on services that depend on `root` may open
   * incidents of their own before the first alert on `root` itself arrives at `at`, which then
   * joins or opens `incident` as its root-cause candidate. Those incidents are that fault too,
   * and are merged into `incident` when they are fresh and nobody has acted on them yet:
   * - symptom-only: every service they touch depends on `root`, within `topologyHops`;
   * - opened at most the upstream window before `at` (the cause showing up after its
   *   symptoms), or after it within the spread time of their hops (a late-arriving cause);
   * - still `open`, never acknowledged, no assignee, no priority override, and no one but the
   *   correlator on their timeline.
   * Candidates come from the service index (incidents touching those dependants), so this
   * costs a bounded lookup once per service joining an incident as its root-cause candidate.
   */
  async function mergeSymptomIncidents(work: UnitOfWork, incident: IncidentRecord, root: string, at: number, now: number): Promise<void> {
    const hopsLimit = options.topologyHops;
    if (!options.mergeSymptomIncidents || hopsLimit === null) return;
    const graph = options.catalogue();
    const hopsTo = new Map<string, number | null>();
    const hopsOf = (service: string) => {
      if (!hopsTo.has(service)) hopsTo.set(service, graph.dependencyHops(service, root, hopsLimit));
      return hopsTo.get(service) ?? null;
    };
    const dependants = [...graph.within(root, hopsLimit).keys()].filter((s) => s !== root && hopsOf(s) !== null).sort();
    if (dependants.length === 0) return;
    const timing = options.topologyTiming ?? { spreadPerHopMs: options.grouping.joinWindowMs, upstreamMs: options.grouping.joinWindowMs };
    const join = options.grouping.joinWindowMs;
    const ids = await work.openIncidentsTouching(dependants, at - Math.min(join, timing.upstreamMs), at + Math.min(join, timing.spreadPerHopMs * hopsLimit));
    const untouched = (i: IncidentRecord | null): i is IncidentRecord => i !== null && i.status === 'open' && !i.wasAcknowledged && i.assignee === null && !i.priorityOverridden;
    /** How far the candidate's own root is from this root, and whether its timing and span fit; null when it does not. */
    const fit = (other: IncidentRecord, services: string[], hops: number[]) => {
      const otherRoot = other.rootCauseService ?? other.service ?? (services[0] as string);
      const rootHops = hopsOf(otherRoot) ?? Math.min(...hops);
      const lead = at - other.openedAt;
      if (lead > Math.min(join, timing.upstreamMs) || -lead > Math.min(join, timing.spreadPerHopMs * rootHops)) return null;
      const span = Math.max(incident.lastActivityAt, other.lastActivityAt) - Math.min(incident.openedAt, other.openedAt);
      return span > options.grouping.maxIncidentSpanMs ? null : { rootHops, lead };
    };
    for (const id of ids) {
      if (id === incident.id) continue;
      // Checked unlocked first: most candidates fail, and locking them all (PostgreSQL) would
      // hold people's actions on them until the batch commits.
      const peeked = await work.peekIncident(id);
      if (!untouched(peeked)) continue;
      const services = [...(await work.servicesOf(id))].sort();
      const hops = services.map((s) => (s === root ? null : hopsOf(s)));
      if (services.length === 0 || hops.some((h) => h === null)) continue;
      if (!fit(peeked, services, hops as number[]) || (await work.touchedByPeople(id))) continue;
      // Locked (PostgreSQL) and checked again: a person may have acted on it meanwhile.
      const other = await work.incident(id);
      if (!untouched(other) || (await work.touchedByPeople(id))) continue;
      const fits = fit(other, services, hops as number[]);
      if (!fits) continue;
      const { rootHops, lead } = fits;
      const evidence = { root, services, hops: rootHops, leadMs: lead };
      const why = `its services (${services.join(', ')}) depend on ${root}, the root-cause candidate of #${incident.id} (${rootHops} hop(s)), whose alerts came ${Math.round(Math.abs(lead) / 1000)} s ${lead >= 0 ? 'after' : 'before'} it opened`;
      await mergeIncident(work, other, incident, at, now, { why, score: 1 / (1 + rootHops), evidence });
    }
  }

  /**
   * Merges `from` into `into` inside the batch: its alerts, services and hosts move over,
   * counts and span add up, and `from` is cancelled as "merged into #N". Both timelines say
   * why (method, score, evidence), at event time `at`, so a replay writes the same.
   */
  async function mergeIncident(
    work: UnitOfWork,
    from: IncidentRecord,
    into: IncidentRecord,
    at: number,
    now: number,
    reason: { why: string; score: number; evidence: Record<string, unknown> },
  ): Promise<void> {
    await work.moveAlerts(from.id, into.id);
    const graph = options.catalogue();
    for (const service of [...(await work.servicesOf(from.id))].sort()) {
      if (!(await work.addMembership(into.id, service, null))) continue;
      const reached = (await work.reachedAt(from, service)) ?? from.openedAt;
      work.noteReached(into.id, service, reached, `Fault reached ${service} (with #${from.id})`);
    }
    for (const host of await work.hostsOf(from.id)) await work.addMembership(into.id, null, host);
    // The opening moves earlier below: keep when the fault reached the opening service.
    if (into.service !== null && from.openedAt < into.openedAt && (await work.reachedAt(into, into.service)) === into.openedAt) {
      work.noteReached(into.id, into.service, into.openedAt, `Fault reached ${into.service}`);
    }
    const moved = from.alertCount;
    into.alertCount += from.alertCount;
    into.firingCount += from.firingCount;
    into.openedAt = Math.min(into.openedAt, from.openedAt);
    into.lastActivityAt = Math.max(into.lastActivityAt, from.lastActivityAt);
    into.resolveAfter = into.firingCount === 0 ? into.lastActivityAt + options.resolveHoldDownMs : null;
    into.urgency = higherLevel(into.urgency, from.urgency);
    into.impact = higherLevel(into.impact, from.impact);
    recomputePriority(work, into, at, `#${from.id} merged in`);
    into.updatedAt = now;
    Object.assign(from, { status: 'cancelled', resolution: `merged into #${into.id}`, alertCount: 0, firingCount: 0, resolveAfter: null, updatedAt: now });
    work.touchIncident(from);
    work.touchIncident(into);
    const data = { method: 'topology', score: reason.score, evidence: reason.evidence, alerts: moved };
    work.note(from.id, at, 'merged', `Merged into #${into.id} (${moved} alert(s) moved): ${reason.why}`, { ...data, into: into.id });
    work.note(into.id, at, 'merged', `#${from.id} merged in (${moved} alert(s)): ${reason.why}`, { ...data, from: from.id });
    const root = graph.mostUpstream([...(await work.servicesOf(into.id))]);
    if (root && root !== into.rootCauseService) {
      into.rootCauseService = root;
      work.note(into.id, at, 'root_cause', `Root-cause candidate: ${root} (most upstream affected service)`, { service: root });
    }
  }

  /**
   * A new firing episode of an alert: attach it to an incident through the layers, or open
   * one. `joinAt` is the event time the windows are measured at: the episode's start, or
   * for an alert released from a silence or inhibition, the release.
   */
  async function attachFiring(work: UnitOfWork, event: StoredAlertEvent, existing: AlertRecord | null, now: number, newEpisode = true, joinAt = event.startsAt): Promise<AlertRecord> {
    const labels = event.labels;
    const severity: Severity = severityOf(labels);
    const host = hostOf(labels);
    const graph = options.catalogue();
    const service = graph.serviceFor(labels, host, serviceOf(labels));
    const title = titleOf(labels, event.annotations);
    const matchedRule = ruleFor(labels, options.rules);
    const groupKey = matchedRule?.groupKey ?? groupKeyOf(labels, options.grouping.groupBy, service);
    const masked = maskTitle(title, host ? [host] : []);
    if (host) work.seenHosts.add(host);
    const attachment = await findAttachment(work, event, existing, { at: joinAt, service, host, groupKey, masked, rule: matchedRule?.rule ?? null });

    const alert = storeEpisode(work, event, existing, { title, severity, service, host }, null, newEpisode ? 1 : 0);
    if (newEpisode) noteStateChange(work, alert, event.startsAt);

    const urgency = urgencyOf(severity);
    const ref = { source: alert.source, fingerprint: alert.fingerprint };
    let incident: IncidentRecord;
    if (attachment) {
      incident = attachment.incident;
      const { decision } = attachment;
      if (alert.incidentId !== incident.id) incident.alertCount += 1;
      incident.firingCount += 1;
      incident.openedAt = Math.min(incident.openedAt, event.startsAt);
      incident.lastActivityAt = Math.max(incident.lastActivityAt, joinAt);
      incident.resolveAfter = null;
      incident.urgency = higherLevel(incident.urgency, urgency);
      // Impact follows the most critical service the incident touches.
      incident.impact = higherLevel(incident.impact, impactOfTier(graph.tierOf(service)));
      recomputePriority(work, incident, event.startsAt, `${title} joined`);
      incident.updatedAt = now;
      if (decision.reopens) {
        incident.status = incident.wasAcknowledged ? 'acknowledged' : 'open';
        incident.resolvedAt = null;
        incident.resolution = null;
        // A flapping alert reopens quietly: the incident is back, but nobody is paged again.
        if (alert.flapping) work.note(incident.id, event.startsAt, 'reopened_flapping', `Reopened by flapping ${title} (not paged again)`);
        else work.note(incident.id, event.startsAt, 'reopened', `Reopened: ${title} fired again within the resolve hold-down`);
      }
      work.touchIncident(incident);
      work.note(incident.id, event.startsAt, 'alert_joined', `${title} joined: ${attachment.why}`, {
        ...ref,
        method: attachment.method,
        score: attachment.score,
        groupKey,
        gapMs: decision.gapMs,
        evidence: attachment.evidence,
      });
    } else {
      const impact = impactOfTier(graph.tierOf(service));
      incident = await work.addIncident({
        title,
        status: 'open',
        priority: priorityOf(impact, urgency),
        priorityOverridden: false,
        impact,
        urgency,
        service,
        host,
        groupKey,
        openedAt: event.startsAt,
        lastActivityAt: joinAt,
        createdAt: now,
        updatedAt: now,
        acknowledgedAt: null,
        resolvedAt: null,
        closedAt: null,
        resolveAfter: null,
        resolution: null,
        wasAcknowledged: false,
        alertCount: 1,
        firingCount: 1,
        assignee: null,
        rootCauseService: service,
        maskedTitle: masked,
      });
      work.count(() => metrics.incidentsOpened.inc({ priority: incident.priority }));
      work.note(incident.id, event.startsAt, 'opened', `Opened by ${title}`, { ...ref, method: 'new', groupKey });
    }
    const newService = await work.addMembership(incident.id, service, host);
    if (newService) {
      if (service !== null && service !== incident.service) work.noteReached(incident.id, service, event.startsAt, `Fault reached ${service} (${title})`);
      const root = graph.mostUpstream([...(await work.servicesOf(incident.id))]);
      if (root && root !== incident.rootCauseService) {
        incident.rootCauseService = root;
        work.touchIncident(incident);
        work.note(incident.id, event.startsAt, 'root_cause', `Root-cause candidate: ${root} (most upstream affected service)`, { service: root });
      }
    }
    alert.incidentId = incident.id;
    if (newService && service !== null && incident.rootCauseService === service) await mergeSymptomIncidents(work, incident, service, joinAt, now);
    return alert;
  }

  /**
   * A new episode covered by a silence or maintenance window (at its start, in event time)
   * is stored as a suppressed alert: visible, never in an incident, never paged. Returns the
   * alert when it was suppressed.
   */
  async function suppress(work: UnitOfWork, event: StoredAlertEvent, existing: AlertRecord | null, now: number): Promise<AlertRecord | null> {
    const silence = suppressionFor(event.labels, event.startsAt, work.silences, now, event.status === 'firing' ? null : event.endsAt);
    const inhibitor = !silence && options.inhibitRules.length ? await inhibitorFor(work, event.source, event.fingerprint, event.labels) : null;
    if (!silence && !inhibitor) return null;
    const reason = silence ? silence.id : `inhibited:${inhibitor?.source}/${inhibitor?.fingerprint}`;
    const labels = event.labels;
    const host = hostOf(labels);
    const about = { title: titleOf(labels, event.annotations), severity: severityOf(labels), service: options.catalogue().serviceFor(labels, host, serviceOf(labels)), host };
    work.count(() => metrics.alertsSuppressed.inc({ kind: silence ? silence.kind : 'inhibition' }));
    return storeEpisode(work, event, existing, about, reason, 1);
  }

  /**
   * Writes a firing episode into the alert's state (creating the alert when new). A
   * suppressed episode (`suppressedBy`) leaves any incident; otherwise the caller attaches it.
   */
  function storeEpisode(
    work: UnitOfWork,
    event: StoredAlertEvent,
    existing: AlertRecord | null,
    about: { title: string; severity: Severity; service: string | null; host: string | null },
    suppressedBy: string | null,
    newOccurrences: number,
  ): AlertRecord {
    const fields = {
      status: 'firing' as const,
      labels: event.labels,
      annotations: event.annotations,
      ...about,
      startsAt: event.startsAt,
      endsAt: event.status === 'firing' ? event.endsAt : null,
      generatorUrl: event.generatorUrl,
      lastSeenAt: event.receivedAt,
      acknowledged: false,
      resolvedBy: null,
      suppressedBy,
      ...(suppressedBy !== null ? { incidentId: null } : {}),
    };
    if (existing) {
      Object.assign(existing, fields, { occurrences: existing.occurrences + newOccurrences });
      work.touchAlert(existing);
      return existing;
    }
    const alert: AlertRecord = { id: 0, source: event.source, fingerprint: event.fingerprint, occurrences: 1, firstSeenAt: event.receivedAt, incidentId: null, flapping: false, flapHistory: [], ...fields };
    work.addAlert(alert);
    return alert;
  }

  async function inhibitorFor(work: UnitOfWork, source: string, fingerprint: string, labels: AlertRecord['labels']): Promise<AlertRecord | null> {
    const firing = (await work.firingAlerts()).filter((a) => a.suppressedBy === null && isInhibitionSource(a.labels, options.inhibitRules));
    const key = (a: { source: string; fingerprint: string }) => `${a.source}/${a.fingerprint}`;
    const found = inhibitorOf({ key: `${source}/${fingerprint}`, labels }, firing.map((a) => ({ key: key(a), labels: a.labels })), options.inhibitRules);
    return found ? (firing.find((a) => key(a) === found.key) ?? null) : null;
  }

  /** A source that fires after its targets mutes them too: they leave their incidents' firing count. */
  async function inhibitLateTargets(work: UnitOfWork, source: AlertRecord, now: number): Promise<void> {
    if (!options.inhibitRules.length || !isInhibitionSource(source.labels, options.inhibitRules)) return;
    const sourceKey = `${source.source}/${source.fingerprint}`;
    for (const target of await work.firingAlerts()) {
      if (target === source || target.suppressedBy !== null) continue;
      const by = inhibitorOf({ key: `${target.source}/${target.fingerprint}`, labels: target.labels }, [{ key: sourceKey, labels: source.labels }], options.inhibitRules);
      if (!by) continue;
      target.suppressedBy = `inhibited:${sourceKey}`;
      work.touchAlert(target);
      work.count(() => metrics.alertsSuppressed.inc({ kind: 'inhibition' }));
      if (target.incidentId === null) continue;
      const incident = await work.incident(target.incidentId);
      if (!incident) continue;
      incident.firingCount = Math.max(0, incident.firingCount - 1);
      if (incident.firingCount === 0) incident.resolveAfter = incident.lastActivityAt + options.resolveHoldDownMs;
      incident.updatedAt = now;
      work.touchIncident(incident);
      work.note(incident.id, source.startsAt, 'inhibited', `${target.title} inhibited by ${source.title}`, { source: target.source, fingerprint: target.fingerprint, by: sourceKey });
    }
  }

  /**
   * A silence or maintenance window in force also mutes the matching alerts that were
   * already firing when it began: each is marked suppressed and stops counting as firing in
   * its incident, from the silence's start (event time). An incident left with nothing
   * firing says so on its timeline (`incidentSilenced`): its undelivered notifications are
   * not sent, and it auto-resolves after the hold-down unless something else fires.
   * Each silence is swept once per process; alerts arriving later are judged on arrival.
   */
  const swept = new Set<string>();
  async function silenceFiringAlerts(work: UnitOfWork, silences: readonly Silence[], now: number): Promise<void> {
    const due = silencesInForce(silences, now).filter((x) => !swept.has(x.id));
    if (due.length === 0) return;
    for (let after = 0; ; ) {
      const page = await unsuppressedFiringAlerts(work.trx, after, 1000);
      for (const stored of page) {
        const alert = work.alert(stored.source, stored.fingerprint) ?? stored;
        if (alert.status !== 'firing' || alert.suppressedBy !== null) continue;
        const silence = suppressionFor(alert.labels, alert.startsAt, due, now);
        if (!silence) continue;
        if (!work.alert(alert.source, alert.fingerprint)) work.alerts.set(alertKey(alert.source, alert.fingerprint), alert);
        alert.suppressedBy = silence.id;
        work.touchAlert(alert);
        work.count(() => metrics.alertsSuppressed.inc({ kind: silence.kind }));
        if (alert.incidentId === null) continue;
        const incident = await work.incident(alert.incidentId);
        if (!incident) continue;
        const at = Math.max(alert.startsAt, silence.startsAt);
        incident.firingCount = Math.max(0, incident.firingCount - 1);
        incident.lastActivityAt = Math.max(incident.lastActivityAt, at);
        const incidentSilenced = incident.firingCount === 0;
        if (incidentSilenced) incident.resolveAfter = incident.lastActivityAt + options.resolveHoldDownMs;
        incident.updatedAt = now;
        work.touchIncident(incident);
        const what = silence.kind === 'maintenance' ? 'maintenance window' : 'silence';
        work.note(
          incident.id,
          at,
          'silenced',
          `${alert.title} silenced by ${what} ${silence.id}${silence.comment ? ` (${silence.comment})` : ''}${incidentSilenced ? ': nothing else fires, no further pages' : ''}`,
          { source: alert.source, fingerprint: alert.fingerprint, silence: silence.id, kind: silence.kind, incidentSilenced },
          silence.createdBy,
        );
      }
      if (page.length < 1000) break;
      after = (page[page.length - 1] as AlertRecord).id;
    }
    for (const x of due) swept.add(x.id);
  }

  async function applyEvent(work: UnitOfWork, event: StoredAlertEvent, now: number): Promise<void> {
    const existing = work.alert(event.source, event.fingerprint);
    const hasLabels = Object.keys(event.labels).length > 0;
    switch (event.status) {
      case 'acknowledged': {
        if (!existing) return;
        existing.acknowledged = true;
        existing.lastSeenAt = event.receivedAt;
        work.touchAlert(existing);
        if (existing.incidentId === null) return;
        const incident = await work.incident(existing.incidentId);
        if (!incident || incident.status !== 'open') return;
        incident.status = 'acknowledged';
        incident.acknowledgedAt = event.receivedAt;
        incident.wasAcknowledged = true;
        incident.updatedAt = now;
        work.touchIncident(incident);
        work.note(incident.id, event.receivedAt, 'acknowledged', `Acknowledged by ${event.source} (${existing.title})`, null, event.source);
        return;
      }
      case 'firing': {
        if (existing?.status === 'firing') {
          // Same episode re-sent: refresh the lease and annotations; counts stay as they are.
          existing.endsAt = event.endsAt;
          existing.startsAt = Math.min(existing.startsAt, event.startsAt);
          if (hasLabels) existing.annotations = event.annotations;
          existing.lastSeenAt = event.receivedAt;
          work.touchAlert(existing);
          return;
        }
        // A firing event no newer than the resolved episode we hold arrived late: stale.
        // Except after a lease ran out: a re-send with a later lease means the sender was
        // only silent for a while and the fault goes on, so the alert fires again.
        if (existing && event.startsAt <= existing.startsAt) {
          const leaseRenewed =
            existing.resolvedBy === 'lease' && event.startsAt === existing.startsAt && event.endsAt !== null && event.endsAt > (existing.endsAt ?? Infinity);
          if (!leaseRenewed) return;
        }
        if (!hasLabels) return;
        if (await suppress(work, event, existing, now)) return;
        await inhibitLateTargets(work, await attachFiring(work, event, existing, now), now);
        return;
      }
      case 'resolved': {
        if (existing?.status === 'firing') {
          if (event.startsAt < existing.startsAt && hasLabels) return; // end of an older episode
          await resolveAlert(work, existing, event.endsAt ?? now, now, 'sender');
          return;
        }
        // Resolved without a firing we saw (e.g. a backfill of history): record the whole episode.
        if (!hasLabels || (existing && event.startsAt <= existing.startsAt)) return;
        const alert = (await suppress(work, event, existing, now)) ?? (await attachFiring(work, event, existing, now));
        await resolveAlert(work, alert, event.endsAt ?? now, now, 'sender');
        return;
      }
    }
  }

  /** The next pending events in log order: from memory where kept, else from the table. */
  async function pendingEvents(trx: Trx): Promise<StoredAlertEvent[]> {
    const kept = options.kept;
    if (!kept) return pendingAlertEvents(trx, batchSize, lock);
    const found: StoredAlertEvent[] = [];
    const missing: number[] = [];
    for (const head of await pendingEventHeads(trx, batchSize)) {
      const e = kept.take(head.id, head.revision);
      if (e) found.push(e);
      else missing.push(head.id);
    }
    if (missing.length === 0) return found;
    return [...found, ...(await alertEventsById(trx, missing))].sort((a, b) => a.id - b.id);
  }

  /** Applies `events` (in log order, none before them pending) within `trx`; the work's `committed` is for after the commit. */
  async function applyEvents(trx: Trx, events: readonly StoredAlertEvent[], now: number): Promise<UnitOfWork> {
    const work = new UnitOfWork(trx, lock);
    await work.preloadAlerts(events);
    let earliest = now;
    for (const e of events) earliest = Math.min(earliest, e.startsAt);
    await work.loadSilences(earliest - 1);
    for (const event of events) await applyEvent(work, event, now);
    await work.flush(now);
    return work;
  }

  /** Applies up to one batch of pending events within `trx`; says how many, and what to do once committed. */
  async function applyBatch(trx: Trx, now: number): Promise<{ applied: number; work: UnitOfWork | null }> {
    await fence?.enter(trx);
    const events = await pendingEvents(trx);
    if (events.length === 0) return { applied: 0, work: null };
    const work = await applyEvents(trx, events, now);
    await markEventsCorrelated(trx, events.map((e) => e.id));
    await fence?.confirm(trx);
    return { applied: events.length, work };
  }

  async function applyPending(): Promise<number> {
    let applied = 0;
    for (;;) {
      const now = clock.now();
      const { applied: count, work } = await handle.db.transaction().execute((trx) => applyBatch(trx, now));
      work?.committed();
      applied += count;
      if (count > 0) options.onApplied?.(count);
      if (count < batchSize) return applied;
      // Let queued work run between batches: requests, and appends waiting for their commit
      // (a timer fires after this turn's immediates, where the ingest thread's commit waits).
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
  }

  async function housekeeping(): Promise<void> {
    const now = clock.now();
    let counted: UnitOfWork | null = null;
    await handle.db.transaction().execute(async (trx) => {
      await fence?.enter(trx);
      const work = new UnitOfWork(trx, lock);
      counted = work;
      for (const alert of await expiredLeases(trx, now, 1000)) {
        work.alerts.set(alertKey(alert.source, alert.fingerprint), alert);
        await resolveAlert(work, alert, alert.endsAt ?? now, now, 'lease');
      }
      const silences = await silencesEndingAfter(trx, now);
      await silenceFiringAlerts(work, silences, now);
      // A still-firing alert whose silence or maintenance window has ended is correlated now.
      const suppressed = await suppressedFiringAlerts(trx, 1000);
      const stillOn = new Set(silences.map((x) => x.id));
      // Loading every firing alert is costly in a storm; only needed when something is held back.
      const firingKeys = new Set(
        suppressed.length ? (await work.firingAlerts()).filter((a) => a.suppressedBy === null).map((a) => `inhibited:${a.source}/${a.fingerprint}`) : [],
      );
      for (const alert of suppressed) {
        const reason = alert.suppressedBy as string;
        // Held back while its silence is on, or while the alert that inhibits it still fires.
        if (stillOn.has(reason) || firingKeys.has(reason)) continue;
        alert.suppressedBy = null;
        const event: StoredAlertEvent = {
          id: 0,
          revision: 0,
          source: alert.source,
          fingerprint: alert.fingerprint,
          status: 'firing',
          labels: alert.labels,
          annotations: alert.annotations,
          startsAt: alert.startsAt,
          endsAt: alert.endsAt,
          generatorUrl: alert.generatorUrl,
          receivedAt: alert.lastSeenAt,
        };
        // Correlated as of its release: an incident that ended meanwhile is not reopened by it.
        await attachFiring(work, event, alert, now, false, Math.max(alert.startsAt, now));
      }
      await work.flush(now);
      const notes: Omit<TimelineEntry, 'id'>[] = [];
      for (const incident of await incidentsDueForAutoResolve(trx, now, 1000, lock)) {
        incident.status = 'resolved';
        incident.resolution = 'auto';
        incident.resolvedAt = incident.lastActivityAt;
        incident.updatedAt = now;
        await saveIncident(trx, incident);
        notes.push({
          incidentId: incident.id,
          at: incident.resolveAfter ?? now,
          kind: 'resolved',
          actor: 'sightline',
          message: `Auto-resolved: none of its ${incident.alertCount} alert(s) fires any more (resolved, silenced or inhibited) and the hold-down passed`,
          data: null,
        });
      }
      for (const incident of await incidentsDueForClose(trx, now - options.closeAfterMs, 1000, lock)) {
        incident.status = 'closed';
        incident.closedAt = now;
        incident.updatedAt = now;
        await saveIncident(trx, incident);
        notes.push({ incidentId: incident.id, at: now, kind: 'closed', actor: 'sightline', message: 'Closed: resolved and the close grace period passed', data: null });
      }
      await appendTimelineEntries(trx, notes);
      await fence?.confirm(trx);
    });
    (counted as UnitOfWork | null)?.committed();
  }

  /**
   * One loop runs at a time. A kick asks for the pending events to be applied; the timer
   * (and drain) also asks for housekeeping. Requests that arrive while a pass runs are
   * folded into one more pass, so a storm of ingest commits costs a few large batches.
   */
  let wantHousekeeping = false;
  let kickTimer: NodeJS.Timeout | null = null;

  function runOnce(withHousekeeping: boolean): Promise<void> {
    wantHousekeeping ||= withHousekeeping;
    if (running) {
      rerun = true;
      return running;
    }
    running = (async () => {
      try {
        do {
          rerun = false;
          await applyPending();
          if (wantHousekeeping) {
            wantHousekeeping = false;
            await housekeeping();
          }
        } while (rerun && !stopped);
      } catch (error) {
        if (error instanceof LeadershipLostError) {
          // Expected once another replica took over: the batch was rolled back, not lost.
          log.warn({ err: error }, 'correlator pass discarded: this replica no longer leads');
          return;
        }
        metrics.correlatorErrors.inc();
        log.error({ err: error }, 'correlator pass failed; will retry');
      } finally {
        running = null;
      }
    })();
    return running;
  }

  const inline: InlineCorrelation = {
    maxEvents: INLINE_MAX_EVENTS,
    async ready(trx) {
      // Log order: only when nothing stored earlier still waits (a backlog, or another writer's events).
      return !stopped && options.leadership === undefined && !(await anyPendingEvent(trx));
    },
    async apply(trx, events) {
      const work = await applyEvents(trx, events, clock.now());
      return () => work.committed();
    },
    failed(error) {
      metrics.correlatorErrors.inc();
      log.error({ err: error }, 'correlating with the append failed; the events are stored and wait for the correlator');
    },
  };

  return {
    inline,
    async drain() {
      // Waits for an in-flight pass, then runs one that sees everything committed so far.
      if (running) await running;
      await runOnce(true);
    },
    kick(withHousekeeping = false) {
      if (stopped || options.leadership?.isLeader() === false) return;
      wantHousekeeping ||= withHousekeeping;
      if (running) {
        rerun = true;
        return;
      }
      // A short delay gathers the events of many concurrent requests into one batch.
      kickTimer ??= setTimeout(() => {
        kickTimer = null;
        void runOnce(false);
      }, KICK_DELAY_MS);
    },
    start(intervalMs) {
      stopped = false;
      timer = setInterval(() => void runOnce(true), intervalMs);
      timer.unref();
      void runOnce(true);
    },
    async stop() {
      stopped = true;
      if (timer) clearInterval(timer);
      if (kickTimer) clearTimeout(kickTimer);
      timer = null;
      kickTimer = null;
      if (running) await running;
    },
  };
}
