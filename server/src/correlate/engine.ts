/**
 * @module The correlation engine: a pure fold of stored alert events over the in-memory
 * `CorrelationState`. `applyEvents(state, events, input)` applies events in log order and
 * returns what changed (alerts, incidents, timeline, memberships, counters) for the caller
 * to write; `runHousekeeping(state, input)` expires leases, sweeps silences, releases held
 * alerts, auto-resolves and closes. No database, no clock, no I/O: time comes from the
 * events and from `input.now`, so a replay of the same log gives the same result.
 *
 * The state is changed in place. If the caller cannot write the changes, its state is no
 * longer what is stored, and it loads it again.
 *
 * Layers, first match wins: (1) the alert's own previous incident (fingerprint), (2) an
 * explicit grouping rule or the grouping key, (3) topology, (4) similarity (same host with a
 * shared alert family or identifying label, the same family and identifying label on any host,
 * or a similar masked title); each join records its method, score and evidence on the timeline.
 */
import { hostOf, serviceOf, severityOf, titleOf, type AlertRecord, type Severity, type StoredAlertEvent } from '../domain/alert.js';
import { higherLevel, impactOfTier, priorityOf, urgencyOf, type IncidentRecord, type TimelineEntry } from '../domain/incident.js';
import type { Change } from '../domain/change.js';
import type { Silence } from '../domain/silence.js';
import { conflictingLabels, DEFAULT_IDENTIFYING_LABELS, evidenceKeys, sharedEvidence } from './evidence.js';
import { chooseIncident, groupKeyOf, maxSpanOf, type GroupingConfig, type JoinDecision } from './grouping.js';
import { inhibitorOf, isInhibitionSource, recordStateChange, ruleFor, silencesInForce, suppressionFor, type FlapConfig, type GroupingRule, type InhibitRule } from './noise.js';
import { maskTitle, titleSimilarity } from './similarity.js';
import { CorrelationState } from './state.js';
import type { ServiceGraph } from './topology.js';

export interface CorrelationConfig {
  grouping: GroupingConfig;
  /** An incident whose alerts have all resolved stays open this long (event time) in case one re-fires. */
  resolveHoldDownMs: number;
  /** The fingerprint layer: a re-fire within this long (event time) of its own previous episode's end joins that episode's incident. */
  reopenWindowMs: number;
  /** Resolved incidents close after this long. */
  closeAfterMs: number;
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
   * service later is a new fault there, and the grouping-key, topology and similarity layers
   * do not put it in that incident (a re-fire of one of its alerts within the reopen window
   * still rejoins, and explicit rules still apply). Null or absent: no such limit.
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
  /**
   * Topology layer: an alert on a service where a change (deploy, configuration push…) began
   * between `fromMs` and `toMs` before it, after the incident opened and before that
   * incident's fault reached the service, is the change's fault rather than a symptom of the
   * incident at `minHops` or more, and does not join it as one. A change needs minutes to roll
   * out and break things (sooner, it is as likely a coincidence), and one hop from the root a
   * symptom is far more likely than a concurrent fault. Null or absent: off.
   */
  changeOnset?: { fromMs: number; toMs: number; minHops: number } | null;
  /**
   * Null switches the similarity layer off. `sameHost`: an alert joins an incident on its host
   * that shares its alert family or an identifying label (`identifyingLabels`, default
   * `DEFAULT_IDENTIFYING_LABELS`); on any host, one that shares both; `titleThreshold`: the
   * masked-title similarity that joins when no identifying label contradicts it.
   */
  similarity: { sameHost: boolean; titleThreshold: number; identifyingLabels?: readonly string[] } | null;
  /** Explicit grouping rules, tried before the default grouping key. */
  rules: readonly GroupingRule[];
  flap: FlapConfig;
  inhibitRules: readonly InhibitRule[];
}

/** When a change on a service began: all the engine needs of it. */
export type ChangeStart = Pick<Change, 'service' | 'startedAt'>;

/** What one call is given besides the state and the events. */
export interface CorrelationInput {
  config: CorrelationConfig;
  /** The service catalogue as it is now. */
  catalogue: ServiceGraph;
  /** Silences and maintenance windows that may cover the events (ending after the earliest start). */
  silences: readonly Silence[];
  /** Changes on services that began within `changeOnset.toMs` before the events (absent: none known). */
  changes?: readonly ChangeStart[];
  /** Processing time: recorded as `updatedAt`/`createdAt`, and "now" for silences and housekeeping. */
  now: number;
  /**
   * Bounds the work of one event: when applying one takes longer than `ms` by `clock`, the
   * call throws `EventBudgetExceeded` after it (synchronous work cannot be interrupted), and
   * the caller sets the event aside. No budget: no clock is read, the fold stays pure.
   */
  eventBudget?: { ms: number; clock: () => number };
}

/** One event took longer to apply than the budget allows (see `CorrelationInput.eventBudget`). */
export class EventBudgetExceeded extends Error {
  override readonly name = 'EventBudgetExceeded';
  constructor(
    readonly eventId: number,
    readonly tookMs: number,
    readonly budgetMs: number,
  ) {
    super(`applying event ${eventId} took ${Math.round(tookMs)} ms, over the budget of ${budgetMs} ms (correlation.eventBudget)`);
  }
}

/** What one call changed, for the caller to write in one transaction. */
export interface CorrelationChanges {
  /** New incidents, in their final state (ids given by the state). */
  readonly newIncidents: IncidentRecord[];
  /** Incidents that existed before and changed. */
  readonly incidents: Set<IncidentRecord>;
  readonly newAlerts: AlertRecord[];
  readonly alerts: Set<AlertRecord>;
  /** Every alert of incident `from` (stored, in memory or not) now belongs to `to`; in order, before the alerts are written. */
  readonly moves: { from: number; to: number }[];
  readonly timeline: Omit<TimelineEntry, 'id'>[];
  readonly services: { incidentId: number; service: string }[];
  readonly hosts: { incidentId: number; host: string }[];
  /** Hosts seen on alerts, recorded as configuration items. */
  readonly seenHosts: Set<string>;
  /** Episodes that ended before their alert fired again (the SLA reads them; the current one is the alert). */
  readonly pastEpisodes: PastEpisode[];
  /** Counter increments, to make once the changes are committed. */
  readonly opened: string[];
  readonly suppressed: string[];
}

/** An earlier episode of an alert: when it began and ended (resolved by the sender, or its last lease). */
export interface PastEpisode {
  source: string;
  fingerprint: string;
  startsAt: number;
  endsAt: number | null;
  resolved: boolean;
}

export function noChanges(): CorrelationChanges {
  return { newIncidents: [], incidents: new Set(), newAlerts: [], alerts: new Set(), moves: [], timeline: [], services: [], hosts: [], seenHosts: new Set(), pastEpisodes: [], opened: [], suppressed: [] };
}

/** True when the changes write nothing. */
export function isEmpty(c: CorrelationChanges): boolean {
  return (
    c.newIncidents.length + c.incidents.size + c.newAlerts.length + c.alerts.size + c.moves.length + c.timeline.length + c.services.length + c.hosts.length + c.seenHosts.size + c.pastEpisodes.length === 0
  );
}

/** The similarity layer's evidence keys of an alert with these labels (none when the layer is off). */
export function alertEvidence(config: CorrelationConfig, labels: AlertRecord['labels']): string[] {
  const similarity = config.similarity;
  return similarity ? evidenceKeys(labels, similarity.identifyingLabels ?? DEFAULT_IDENTIFYING_LABELS) : [];
}

/** The closer of two join decisions (the first on a tie). */
function closer(a: JoinDecision | null, b: JoinDecision | null): JoinDecision | null {
  if (!a || !b) return a ?? b;
  return b.gapMs < a.gapMs ? b : a;
}

/** Applies `events` (log order) to `state`; returns what changed. */
export function applyEvents(state: CorrelationState, events: readonly StoredAlertEvent[], input: CorrelationInput): CorrelationChanges {
  const run = new Run(state, input);
  const budget = input.eventBudget;
  for (const event of events) {
    if (!budget) {
      run.applyEvent(event);
      continue;
    }
    const started = budget.clock();
    run.applyEvent(event);
    const took = budget.clock() - started;
    if (took > budget.ms) throw new EventBudgetExceeded(event.id, took, budget.ms);
  }
  return run.changes;
}

/** Expired leases, silences that began, held alerts released, auto-resolve and close, at `input.now`. */
export function runHousekeeping(state: CorrelationState, input: CorrelationInput): CorrelationChanges {
  const run = new Run(state, input);
  run.housekeeping();
  return run.changes;
}

/**
 * Sightline's fast-burn page (`sla_page`, services/sla-signals.ts) is an incident of its
 * own: its episodes join nothing but their own incident (the fingerprint layer), and no
 * other alert joins it, so it never keeps a real incident open nor is kept open by one.
 * Its incidents are known by this group-key prefix.
 */
const STANDALONE_GROUP = 'sightline:';
const standsAlone = (event: StoredAlertEvent) => event.source === 'sightline' && event.labels.sla_page !== undefined;

type Layer = 'fingerprint' | 'rule' | 'group' | 'topology' | 'similarity';
interface Attachment {
  incident: IncidentRecord;
  decision: JoinDecision;
  method: Layer;
  score: number;
  why: string;
  evidence: Record<string, unknown>;
}

/** One call's work: the state, what it is given, and the changes it collects. */
class Run {
  readonly changes = noChanges();
  private readonly options: CorrelationConfig;
  private readonly graph: ServiceGraph;
  private readonly now: number;
  /** The configured grouping, with the catalogue's spans per service. */
  private readonly grouping: GroupingConfig;
  /** Start times of recent changes by service, ascending. */
  private readonly changeStarts = new Map<string, number[]>();

  constructor(
    private readonly state: CorrelationState,
    private readonly input: CorrelationInput,
  ) {
    this.options = input.config;
    this.graph = input.catalogue;
    this.now = input.now;
    const spans = this.graph.maxIncidentSpans();
    this.grouping = spans.size > 0 ? { ...input.config.grouping, maxIncidentSpanByService: spans } : input.config.grouping;
    for (const c of input.changes ?? []) this.changeStarts.set(c.service, [...(this.changeStarts.get(c.service) ?? []), c.startedAt]);
    for (const starts of this.changeStarts.values()) starts.sort((a, b) => a - b);
  }

  /** The similarity layer's evidence keys of an alert (none when the layer is off). */
  private keysOf(labels: AlertRecord['labels']): string[] {
    return alertEvidence(this.options, labels);
  }

  /** The latest change on `service` that began after `after` and between `changeOnset` from and to before `at`, if any. */
  private changeBefore(service: string, at: number, after: number): number | null {
    const window = this.options.changeOnset ?? null;
    if (window === null) return null;
    const starts = this.changeStarts.get(service) ?? [];
    for (let i = starts.length - 1; i >= 0; i--) {
      const t = starts[i] as number;
      if (at - t < window.fromMs) continue;
      return t > after && at - t <= window.toMs ? t : null;
    }
    return null;
  }

  // ---- recording changes ----

  private newIncidents = new Set<IncidentRecord>();
  private newAlerts = new Set<AlertRecord>();

  private touchAlert(alert: AlertRecord): void {
    this.state.noteStatus(alert);
    if (!this.newAlerts.has(alert)) this.changes.alerts.add(alert);
  }

  private touchIncident(incident: IncidentRecord): void {
    this.state.noteIncident(incident);
    if (!this.newIncidents.has(incident)) this.changes.incidents.add(incident);
  }

  private note(incidentId: number, at: number, kind: string, message: string, data: unknown = null, actor = 'sightline'): void {
    this.changes.timeline.push({ incidentId, at, kind, actor, message, data });
    if (actor !== 'sightline') this.state.touchedByPeople.add(incidentId);
  }

  private noteReached(incidentId: number, service: string, at: number, message: string): void {
    this.state.noteReached(incidentId, service, at);
    this.note(incidentId, at, 'service_reached', message, { service });
  }

  /**
   * The fault reached `service`, new to the incident. Once people acknowledged it (or put it
   * on hold), nothing else would tell them: the entry says so and notifies
   * (`incident_service_added`), so a join does not swallow the page for that service.
   */
  private noteServiceAdded(incident: IncidentRecord, service: string, at: number, cause: string): void {
    this.state.noteReached(incident.id, service, at);
    if (incident.status !== 'acknowledged' && incident.status !== 'on_hold') {
      this.note(incident.id, at, 'service_reached', `Fault reached ${service} (${cause})`, { service });
      return;
    }
    const status = incident.status.replace('_', ' ');
    this.note(incident.id, at, 'service_reached', `${service} now affected: the fault reached it (${cause}) while the incident is ${status}`, { service, announced: true });
  }

  /** Records that the incident touches `service` and `host`; true when the service is new to it. */
  private addMembership(incidentId: number, service: string | null, host: string | null): boolean {
    const newService = service !== null && this.state.addService(incidentId, service);
    if (newService) this.changes.services.push({ incidentId, service });
    if (host !== null && this.state.addHost(incidentId, host)) this.changes.hosts.push({ incidentId, host });
    return newService;
  }

  /** The alerts of incident `from` now belong to `to`: in memory here, in the store by the caller. */
  private moveAlerts(from: number, to: number): void {
    this.changes.moves.push({ from, to });
    for (const a of this.state.alerts.values()) if (a.incidentId === from) a.incidentId = to;
    this.state.moveEvidence(from, to);
  }

  // ---- the decisions ----

  /** Applies the matrix (unless a person overrode it); an escalation is on the timeline, so it notifies. */
  private recomputePriority(incident: IncidentRecord, at: number, cause: string): void {
    if (incident.priorityOverridden) return;
    const before = incident.priority;
    incident.priority = priorityOf(incident.impact, incident.urgency);
    if (incident.priority !== before) {
      this.note(incident.id, at, 'updated', `Priority ${before} → ${incident.priority}: ${cause}`, { priority: incident.priority, priorityFrom: before, priorityTo: incident.priority });
    }
  }

  private resolveAlert(alert: AlertRecord, endsAt: number, by: 'sender' | 'lease'): void {
    const reason = by === 'sender' ? 'resolved by sender' : 'not re-sent before its lease ended';
    alert.status = 'resolved';
    alert.endsAt = endsAt;
    alert.resolvedBy = by;
    alert.lastSeenAt = this.now;
    this.noteStateChange(alert, endsAt);
    this.touchAlert(alert);
    // A suppressed alert is not counted as firing in any incident.
    if (alert.incidentId === null || alert.suppressedBy !== null) return;
    const incident = this.state.incident(alert.incidentId);
    if (!incident) return;
    incident.firingCount = Math.max(0, incident.firingCount - 1);
    incident.lastActivityAt = Math.max(incident.lastActivityAt, endsAt);
    if (incident.firingCount === 0) incident.resolveAfter = incident.lastActivityAt + this.options.resolveHoldDownMs;
    incident.updatedAt = this.now;
    this.touchIncident(incident);
    this.note(incident.id, endsAt, 'alert_resolved', `${alert.title} resolved (${reason})`, { source: alert.source, fingerprint: alert.fingerprint });
  }

  /** Tracks flapping: a flapping alert is marked, and its re-fires do not page again. */
  private noteStateChange(alert: AlertRecord, at: number): void {
    const was = alert.flapping;
    const { history, flapping } = recordStateChange(alert.flapHistory, at, this.options.flap);
    alert.flapHistory = history;
    alert.flapping = flapping;
    if (flapping && !was && alert.incidentId !== null) {
      this.note(alert.incidentId, at, 'flapping', `${alert.title} is flapping (${history.length} state changes within ${Math.round(this.options.flap.windowMs / 60_000)} min): its re-fires will not page`, {
        source: alert.source,
        fingerprint: alert.fingerprint,
      });
    }
  }

  /**
   * Which incidents a new alert on `service` at `at` must not join: those whose root-cause
   * candidate is `service`, whose fault reached it more than `rootOnsetWindowMs` before the alert (a
   * fault's own alerts on its root come within that window; later ones are a new fault there)
   * and that have spread to other services (a fault on one service alone keeps gathering its
   * alerts by the grouping key).
   */
  private closedToRoot(service: string | null, at: number) {
    const windowMs = this.options.rootOnsetWindowMs ?? null;
    const has = (incident: IncidentRecord): boolean => {
      if (incident.groupKey.startsWith(STANDALONE_GROUP)) return true;
      if (windowMs === null || service === null || (incident.rootCauseService ?? incident.service) !== service) return false;
      // Measured from the fault's first alert on that service (which may have joined later, or
      // be later than an opening moved earlier by a merge).
      if (at - (this.state.reachedAt(incident, service) ?? incident.openedAt) <= windowMs) return false;
      return this.state.servicesOf(incident.id).size > 1;
    };
    return { has, without: (incidents: readonly IncidentRecord[]) => incidents.filter((i) => !has(i)) };
  }

  /**
   * True when the fault of `incident`, which holds alerts on `service`, reached it (its first
   * alert there began) within `serviceOnsetWindowMs` of `at`: a service's alerts for one fault
   * come in a burst, so they stay together even once the spread time from the incident's
   * opening has passed for that service's distance.
   */
  private reachedRecently(incident: IncidentRecord, service: string, at: number): boolean {
    const windowMs = this.options.serviceOnsetWindowMs ?? null;
    if (windowMs === null || !chooseIncident(at, [incident], this.grouping)) return false;
    const first = this.state.reachedAt(incident, service);
    return first !== null && Math.abs(at - first) <= windowMs;
  }

  /** Layer 3: the incident whose root-cause candidate this alert's service is linked to by dependencies, closest first. */
  private byTopology(at: number, service: string | null, closed: ReturnType<Run['closedToRoot']>): Attachment | null {
    const options = this.options;
    const graph = this.graph;
    const hopsLimit = options.topologyHops;
    if (hopsLimit === null || !service || !graph.get(service)) return null;
    // A fault spreads along dependencies from its root within minutes: an alert joins an
    // incident when its service depends on the incident's root-cause candidate (directly,
    // or through a member the fault already reached) and it started within hops × the
    // spread time of the incident's opening, or within the service onset window of the
    // fault's first alert on this very service; or when its service is a dependency of the
    // root that showed up shortly after. Any other link through members (siblings sharing
    // a dependency, dependencies of symptoms) would chain unrelated faults together.
    const near = graph.within(service, hopsLimit);
    const membersOf = new Map<number, Set<string>>();
    // Only incidents within the join window of the alert can take it (chooseIncident below).
    for (const m of this.state.incidentsTouching([...near.keys()], { at, windowMs: this.grouping.joinWindowMs })) {
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
    const timing = options.topologyTiming ?? { spreadPerHopMs: this.grouping.joinWindowMs, upstreamMs: this.grouping.joinWindowMs };
    for (const id of [...membersOf.keys()].sort((x, y) => x - y)) {
      const incident = this.state.incident(id);
      const root = incident?.rootCauseService ?? incident?.service;
      // One that could not take the alert anyway (inactive, outside the join window) is not weighed.
      if (!incident || !root || !chooseIncident(at, [incident], this.grouping) || closed.has(incident)) continue;
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
      // A change on this service after the incident opened, before its fault got here: this
      // alert is the change's doing, not the incident's symptom (see `changeOnset`).
      const changed = hops !== null && hops >= (options.changeOnset?.minHops ?? Infinity) ? this.changeBefore(service, at, incident.openedAt) : null;
      const reachedHere = changed === null ? null : this.state.reachedAt(incident, service);
      const changeFirst = changed !== null && (reachedHere === null || reachedHere > changed);
      if (hops !== null && nearest !== null && !changeFirst) {
        const spreading = since <= Math.min(this.grouping.joinWindowMs, timing.spreadPerHopMs * Math.max(1, hops));
        const onset = !spreading && membersOf.get(id)?.has(service) === true && this.reachedRecently(incident, service, at);
        if (spreading || onset) {
          linked.push({ incident, hops, nearest, root, via, symptom: true, onset });
          continue;
        }
      }
      const up = graph.dependencyHops(root, service, hopsLimit);
      if (up !== null && since <= Math.min(this.grouping.joinWindowMs, timing.upstreamMs)) linked.push({ incident, hops: up, nearest: up, root, via: root, symptom: false, onset: false });
    }
    // The closest service the fault has already reached decides (the evidence of its path),
    // then the length of the whole path to the root.
    const levels = [...new Map(linked.map((l) => [`${l.nearest}/${l.hops}`, l])).values()].sort((x, y) => x.nearest - y.nearest || x.hops - y.hops);
    for (const { nearest, hops } of levels) {
      let level = linked.filter((l) => l.hops === hops && l.nearest === nearest);
      // Equally near: an incident the fault already brought to this service keeps its alerts
      // together, rather than the one with the latest activity.
      const reached = level.filter((l) => membersOf.get(l.incident.id)?.has(service));
      if (reached.length > 0 && reached.length < level.length && chooseIncident(at, reached.map((l) => l.incident), this.grouping)) level = reached;
      const decision = chooseIncident(at, level.map((l) => l.incident), this.grouping);
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
  }

  /**
   * The correlation layers, first match wins: (1) the alert's own previous incident,
   * (2) the grouping key, (3) topology: an incident on a service within N hops,
   * (4) similarity: an incident on the same host sharing the alert's family or an identifying
   * label, one anywhere sharing both, or one with a similar masked title.
   */
  private findAttachment(
    existing: AlertRecord | null,
    ctx: { at: number; service: string | null; host: string | null; groupKey: string; masked: string[]; keys: string[]; rule: GroupingRule | null },
  ): Attachment | null {
    const { at } = ctx;
    const options = this.options;
    // A re-fire soon after its previous episode ended (a flap, or the fault coming back
    // inside the reopen window) belongs to that episode's incident; a later one is a new
    // episode like any other, and the layers below decide.
    const refire = existing?.endsAt != null && at - existing.endsAt <= options.reopenWindowMs;
    const previous = existing?.incidentId != null && refire ? this.state.incident(existing.incidentId) : null;
    const closed = this.closedToRoot(ctx.service, at);
    const group = ctx.rule ? this.state.group(ctx.groupKey) : closed.without(this.state.group(ctx.groupKey));
    const window = ctx.rule?.joinWindowMs != null ? { ...this.grouping, joinWindowMs: ctx.rule.joinWindowMs } : this.grouping;
    const first = chooseIncident(at, previous && !group.includes(previous) ? [previous, ...group] : group, window, previous?.id ?? null);

    if (first) {
      const incident = this.state.incident(first.incidentId) as IncidentRecord;
      if (previous && first.incidentId === previous.id) return { incident, decision: first, method: 'fingerprint', score: 1, why: 'same fingerprint re-fired', evidence: {} };
    }
    if (ctx.groupKey.startsWith(STANDALONE_GROUP)) return null;
    if (first) {
      const incident = this.state.incident(first.incidentId) as IncidentRecord;
      if (ctx.rule) return { incident, decision: first, method: 'rule', score: 1, why: `grouping rule ${ctx.rule.name} (${ctx.groupKey})`, evidence: { rule: ctx.rule.name, groupKey: ctx.groupKey } };
      // A fault spreads along dependencies within minutes: when an incident opened after this
      // service's own is linked to this alert through the topology (within those minutes of
      // its opening), the alert belongs to that fresher fault rather than to the older incident.
      const fresher = this.byTopology(at, ctx.service, closed);
      if (fresher && fresher.incident.id !== incident.id && fresher.incident.openedAt > incident.openedAt) {
        return { ...fresher, why: `${fresher.why}; preferred to the older incident #${incident.id} of the same grouping key` };
      }
      return { incident, decision: first, method: 'group', score: 1, why: `same grouping key ${ctx.groupKey}`, evidence: { groupKey: ctx.groupKey } };
    }

    const topology = this.byTopology(at, ctx.service, closed);
    if (topology) return topology;

    const similarity = options.similarity;
    if (!similarity) return null;
    const { keys } = ctx;
    const incidentsOf = (ids: Iterable<number>) => closed.without([...ids].map((id) => this.state.incident(id)).filter((i): i is IncidentRecord => i !== null));
    const described = (shared: { family: string | null; labels: string[] }) =>
      [shared.family !== null ? `alert family "${shared.family}"` : null, ...shared.labels.map((l) => `label ${l}`)].filter((x) => x !== null).join(', ');
    const evidenceOf = (shared: { family: string | null; labels: string[] }) => ({ ...(shared.family !== null ? { family: shared.family } : {}), ...(shared.labels.length > 0 ? { labels: shared.labels } : {}) });

    if (similarity.sameHost && ctx.host) {
      // A host runs many things: being on it is not enough. The alert joins an incident there
      // that shares its alert family or one of its identifying labels (the same source
      // address, user, process …); two unrelated families on one host stay apart.
      // A shared family alone joins only within minutes of the incident's opening (later, an
      // alert on a busy host is as likely to be a fault of its own), and not alerts whose
      // identifying labels differ (two scanners hitting the host, two users' processes).
      const soon = options.topologyTiming?.spreadPerHopMs ?? this.grouping.joinWindowMs;
      // A shared identifying label names the same actor: its incident takes the alert as long
      // as something of it fires (a slow exfiltration, an attack going on for hours).
      const shared = new Map<number, ReturnType<typeof sharedEvidence>>();
      const byLabel: IncidentRecord[] = [];
      const byFamily: IncidentRecord[] = [];
      for (const incident of incidentsOf(this.state.incidentsOnHost(ctx.host))) {
        const theirs = this.state.evidenceOf(incident.id);
        const found = sharedEvidence(keys, theirs);
        if (found.labels.length > 0) byLabel.push(incident);
        else if (found.family !== null && Math.abs(at - incident.openedAt) <= soon && conflictingLabels(keys, theirs).length === 0) byFamily.push(incident);
        else continue;
        shared.set(incident.id, found);
      }
      const decision = closer(chooseIncident(at, byLabel, { ...this.grouping, firingIsActivity: true }), chooseIncident(at, byFamily, this.grouping));
      if (decision) {
        const found = shared.get(decision.incidentId) as ReturnType<typeof sharedEvidence>;
        return {
          incident: this.state.incident(decision.incidentId) as IncidentRecord,
          decision,
          method: 'similarity',
          score: 1,
          why: `same host ${ctx.host} and shared ${described(found)}`,
          evidence: { host: ctx.host, ...evidenceOf(found) },
        };
      }
    }

    // On any host: the same alert family about the same source, user, process … (a scan
    // across many hosts, one exfiltration seen from several sensors).
    const family = keys.find((k) => k.startsWith('family:'));
    const labelKeys = keys.filter((k) => k.startsWith('label:'));
    if (family !== undefined && labelKeys.length > 0) {
      const ids = new Set<number>();
      for (const key of labelKeys) for (const id of this.state.incidentsWithEvidence(key)) if (this.state.evidenceOf(id)?.has(family)) ids.add(id);
      const decision = chooseIncident(at, incidentsOf(ids), { ...this.grouping, firingIsActivity: true });
      if (decision) {
        const found = sharedEvidence(keys, this.state.evidenceOf(decision.incidentId));
        return { incident: this.state.incident(decision.incidentId) as IncidentRecord, decision, method: 'similarity', score: 1, why: `shared ${described(found)}`, evidence: evidenceOf(found) };
      }
    }

    if (ctx.masked.length > 0) {
      const recent = this.state.recentIncidents(at - this.grouping.joinWindowMs);
      // Wording alone never joins two different known services: that is the topology
      // layer's call (or the catalogue says they are unrelated); nor an alert to an incident
      // on other hosts only (the same disk filling on two machines is two faults); nor alerts
      // whose identifying labels say they are about different sources, users, processes …
      const elsewhere = (incident: IncidentRecord) => {
        if (ctx.host === null) return false;
        const hosts = this.state.hostsOf(incident.id);
        return hosts.length > 0 && !hosts.includes(ctx.host);
      };
      const unrelated = (incident: IncidentRecord) =>
        (ctx.service !== null && incident.service !== null && incident.service !== ctx.service) || elsewhere(incident) || conflictingLabels(keys, this.state.evidenceOf(incident.id)).length > 0;
      const scored = closed
        .without(recent)
        .filter((incident) => !unrelated(incident))
        .map((incident) => ({ incident, score: titleSimilarity(ctx.masked, incident.maskedTitle) }))
        .filter((c) => c.score >= similarity.titleThreshold)
        .sort((x, y) => y.score - x.score || x.incident.id - y.incident.id);
      for (const { incident, score } of scored) {
        const decision = chooseIncident(at, [incident], this.grouping);
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
   */
  private mergeSymptomIncidents(incident: IncidentRecord, root: string, at: number): void {
    const options = this.options;
    const hopsLimit = options.topologyHops;
    if (!options.mergeSymptomIncidents || hopsLimit === null) return;
    const graph = this.graph;
    const hopsTo = new Map<string, number | null>();
    const hopsOf = (service: string) => {
      if (!hopsTo.has(service)) hopsTo.set(service, graph.dependencyHops(service, root, hopsLimit));
      return hopsTo.get(service) ?? null;
    };
    const dependants = [...graph.within(root, hopsLimit).keys()].filter((s) => s !== root && hopsOf(s) !== null).sort();
    if (dependants.length === 0) return;
    const timing = options.topologyTiming ?? { spreadPerHopMs: this.grouping.joinWindowMs, upstreamMs: this.grouping.joinWindowMs };
    const join = this.grouping.joinWindowMs;
    const ids = this.state.openIncidentsTouching(dependants, at - Math.min(join, timing.upstreamMs), at + Math.min(join, timing.spreadPerHopMs * hopsLimit));
    const untouched = (i: IncidentRecord | null): i is IncidentRecord =>
      i !== null && i.status === 'open' && !i.wasAcknowledged && i.assignee === null && !i.priorityOverridden && !this.state.touchedByPeople.has(i.id);
    for (const id of ids) {
      if (id === incident.id) continue;
      const other = this.state.incident(id);
      if (!untouched(other)) continue;
      const services = [...this.state.servicesOf(id)].sort();
      const hops = services.map((s) => (s === root ? null : hopsOf(s)));
      if (services.length === 0 || hops.some((h) => h === null)) continue;
      const otherRoot = other.rootCauseService ?? other.service ?? (services[0] as string);
      const rootHops = hopsOf(otherRoot) ?? Math.min(...(hops as number[]));
      const lead = at - other.openedAt;
      if (lead > Math.min(join, timing.upstreamMs) || -lead > Math.min(join, timing.spreadPerHopMs * rootHops)) continue;
      const span = Math.max(incident.lastActivityAt, other.lastActivityAt) - Math.min(incident.openedAt, other.openedAt);
      if (span > maxSpanOf(incident, this.grouping)) continue;
      const evidence = { root, services, hops: rootHops, leadMs: lead };
      const why = `its services (${services.join(', ')}) depend on ${root}, the root-cause candidate of #${incident.id} (${rootHops} hop(s)), whose alerts came ${Math.round(Math.abs(lead) / 1000)} s ${lead >= 0 ? 'after' : 'before'} it opened`;
      this.mergeIncident(other, incident, at, { why, score: 1 / (1 + rootHops), evidence });
    }
  }

  /**
   * Merges `from` into `into`: its alerts, services and hosts move over, counts and span add
   * up, and `from` is cancelled as "merged into #N". Both timelines say why (method, score,
   * evidence), at event time `at`, so a replay writes the same.
   */
  private mergeIncident(from: IncidentRecord, into: IncidentRecord, at: number, reason: { why: string; score: number; evidence: Record<string, unknown> }): void {
    const now = this.now;
    this.moveAlerts(from.id, into.id);
    for (const service of [...this.state.servicesOf(from.id)].sort()) {
      if (!this.addMembership(into.id, service, null)) continue;
      const reached = this.state.reachedAt(from, service) ?? from.openedAt;
      this.noteServiceAdded(into, service, reached, `with #${from.id}`);
    }
    for (const host of this.state.hostsOf(from.id)) this.addMembership(into.id, null, host);
    // The opening moves earlier below: keep when the fault reached the opening service.
    if (into.service !== null && from.openedAt < into.openedAt && this.state.reachedAt(into, into.service) === into.openedAt) {
      this.noteReached(into.id, into.service, into.openedAt, `Fault reached ${into.service}`);
    }
    const moved = from.alertCount;
    into.alertCount += from.alertCount;
    into.firingCount += from.firingCount;
    into.openedAt = Math.min(into.openedAt, from.openedAt);
    into.lastActivityAt = Math.max(into.lastActivityAt, from.lastActivityAt);
    into.resolveAfter = into.firingCount === 0 ? into.lastActivityAt + this.options.resolveHoldDownMs : null;
    into.urgency = higherLevel(into.urgency, from.urgency);
    into.impact = higherLevel(into.impact, from.impact);
    this.recomputePriority(into, at, `#${from.id} merged in`);
    into.updatedAt = now;
    Object.assign(from, { status: 'cancelled', resolution: `merged into #${into.id}`, alertCount: 0, firingCount: 0, resolveAfter: null, updatedAt: now });
    this.touchIncident(from);
    this.touchIncident(into);
    const data = { method: 'topology', score: reason.score, evidence: reason.evidence, alerts: moved };
    this.note(from.id, at, 'merged', `Merged into #${into.id} (${moved} alert(s) moved): ${reason.why}`, { ...data, into: into.id });
    this.note(into.id, at, 'merged', `#${from.id} merged in (${moved} alert(s)): ${reason.why}`, { ...data, from: from.id });
    const root = this.graph.mostUpstream([...this.state.servicesOf(into.id)]);
    if (root && root !== into.rootCauseService) {
      into.rootCauseService = root;
      this.note(into.id, at, 'root_cause', `Root-cause candidate: ${root} (most upstream affected service)`, { service: root });
    }
  }

  /**
   * A new firing episode of an alert: attach it to an incident through the layers, or open
   * one. `joinAt` is the event time the windows are measured at: the episode's start, or
   * for an alert released from a silence or inhibition, the release. `from` is when it counts
   * in its incident (opening, timeline): the episode's start, or for an episode that outlived
   * its closed incident, its arrival there.
   */
  private attachFiring(event: StoredAlertEvent, existing: AlertRecord | null, newEpisode = true, joinAt = event.startsAt, from = event.startsAt): AlertRecord {
    const now = this.now;
    // The incident this episode, or its previous one if it ended within the reopen window, was in.
    const recent = existing !== null && (existing.status === 'firing' || (existing.endsAt !== null && joinAt - existing.endsAt <= this.options.reopenWindowMs));
    const left = recent && existing.incidentId !== null ? this.state.incident(existing.incidentId) : null;
    const labels = event.labels;
    const severity: Severity = severityOf(labels);
    const host = hostOf(labels);
    const graph = this.graph;
    const service = graph.serviceFor(labels, host, serviceOf(labels));
    const title = titleOf(labels, event.annotations);
    const matchedRule = ruleFor(labels, this.options.rules);
    const groupKey = standsAlone(event) ? `${STANDALONE_GROUP}${event.fingerprint}` : (matchedRule?.groupKey ?? groupKeyOf(labels, this.grouping.groupBy, service));
    const masked = maskTitle(title, host ? [host] : []);
    if (host) this.changes.seenHosts.add(host);
    const keys = this.keysOf(labels);
    // The alert's evidence as it stands in its current incident (its labels are those of its fingerprint).
    const keysBefore = existing !== null && existing.incidentId !== null ? this.keysOf(existing.labels) : [];
    const attachment = this.findAttachment(existing, { at: joinAt, service, host, groupKey, masked, keys, rule: matchedRule?.rule ?? null });

    const alert = this.storeEpisode(event, existing, { title, severity, service, host }, null, newEpisode ? 1 : 0);
    if (newEpisode) this.noteStateChange(alert, event.startsAt);

    const urgency = urgencyOf(severity);
    const ref = { source: alert.source, fingerprint: alert.fingerprint };
    let incident: IncidentRecord;
    if (attachment) {
      incident = attachment.incident;
      const { decision } = attachment;
      if (alert.incidentId !== incident.id) incident.alertCount += 1;
      incident.firingCount += 1;
      incident.openedAt = Math.min(incident.openedAt, from);
      incident.lastActivityAt = Math.max(incident.lastActivityAt, joinAt);
      incident.resolveAfter = null;
      incident.urgency = higherLevel(incident.urgency, urgency);
      // Impact follows the most critical service the incident touches.
      incident.impact = higherLevel(incident.impact, impactOfTier(graph.tierOf(service)));
      this.recomputePriority(incident, from, `${title} joined`);
      incident.updatedAt = now;
      if (decision.reopens) {
        // Resolved by hand: the fault declared over is back, and it wants a fresh acknowledgement.
        const byHand = incident.resolution === 'manual';
        incident.status = !byHand && incident.wasAcknowledged ? 'acknowledged' : 'open';
        incident.resolvedAt = null;
        incident.resolution = null;
        const why = byHand ? { reason: 'resolved_by_hand', text: 'after the incident was resolved by hand' } : { reason: 'hold_down', text: 'within the resolve hold-down' };
        // A flapping alert reopens quietly: the incident is back, but nobody is paged again.
        if (alert.flapping) this.note(incident.id, from, 'reopened_flapping', `Reopened by flapping ${title} (not paged again)`, { ...ref, reason: why.reason });
        else this.note(incident.id, from, 'reopened', `Reopened: ${title} fired again ${why.text}`, { ...ref, reason: why.reason });
      }
      this.touchIncident(incident);
      this.note(incident.id, from, 'alert_joined', `${title} joined: ${attachment.why}`, {
        ...ref,
        method: attachment.method,
        score: attachment.score,
        groupKey,
        gapMs: decision.gapMs,
        evidence: attachment.evidence,
      });
    } else {
      const impact = impactOfTier(graph.tierOf(service));
      incident = this.state.createIncident({
        title,
        status: 'open',
        priority: priorityOf(impact, urgency),
        priorityOverridden: false,
        impact,
        urgency,
        service,
        host,
        groupKey,
        openedAt: from,
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
      this.newIncidents.add(incident);
      this.changes.newIncidents.push(incident);
      this.changes.opened.push(incident.priority);
      this.note(incident.id, from, 'opened', `Opened by ${title}`, { ...ref, method: 'new', groupKey });
    }
    const newService = this.addMembership(incident.id, service, host);
    if (newService) {
      if (service !== null && service !== incident.service) this.noteServiceAdded(incident, service, from, title);
      const root = graph.mostUpstream([...this.state.servicesOf(incident.id)]);
      if (root && root !== incident.rootCauseService) {
        incident.rootCauseService = root;
        this.touchIncident(incident);
        this.note(incident.id, from, 'root_cause', `Root-cause candidate: ${root} (most upstream affected service)`, { service: root });
      }
    }
    if (alert.incidentId !== incident.id) {
      if (alert.incidentId !== null) this.state.removeEvidence(alert.incidentId, keysBefore);
      this.state.addEvidence(incident.id, keys);
    }
    alert.incidentId = incident.id;
    if (left?.status === 'closed' && left.id !== incident.id) {
      // A closed incident cannot reopen: the fault goes on in this one, and both say so.
      const why = newEpisode ? `${title} fired again within the reopen window of its episode in #${left.id}` : `${title} is still firing after #${left.id} was closed`;
      this.note(incident.id, from, 'follows', `Follows #${left.id} (closed): ${why}`, { ...ref, incident: left.id });
      this.note(left.id, from, 'followed_by', `The fault goes on in #${incident.id}: ${why}`, { ...ref, incident: incident.id });
    }
    if (newService && service !== null && incident.rootCauseService === service) this.mergeSymptomIncidents(incident, service, joinAt);
    return alert;
  }

  /**
   * A new episode covered by a silence or maintenance window (at its start, in event time)
   * is stored as a suppressed alert: visible, never in an incident, never paged. Returns the
   * alert when it was suppressed.
   */
  private suppress(event: StoredAlertEvent, existing: AlertRecord | null): AlertRecord | null {
    const silence = suppressionFor(event.labels, event.startsAt, this.input.silences, this.now, event.status === 'firing' ? null : event.endsAt);
    const inhibitor = !silence && this.options.inhibitRules.length ? this.inhibitorFor(event.source, event.fingerprint, event.labels) : null;
    if (!silence && !inhibitor) return null;
    const reason = silence ? silence.id : `inhibited:${inhibitor?.source}/${inhibitor?.fingerprint}`;
    const labels = event.labels;
    const host = hostOf(labels);
    const about = { title: titleOf(labels, event.annotations), severity: severityOf(labels), service: this.graph.serviceFor(labels, host, serviceOf(labels)), host };
    this.changes.suppressed.push(silence ? silence.kind : 'inhibition');
    return this.storeEpisode(event, existing, about, reason, 1);
  }

  /**
   * Writes a firing episode into the alert's state (creating the alert when new). A
   * suppressed episode (`suppressedBy`) leaves any incident; otherwise the caller attaches it.
   */
  private storeEpisode(
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
      // A suppressed episode leaves its incident, and its evidence with it.
      if (suppressedBy !== null && existing.incidentId !== null) this.state.removeEvidence(existing.incidentId, this.keysOf(existing.labels));
      if (newOccurrences > 0 && existing.startsAt !== event.startsAt) {
        // The episode it held is over: it becomes history.
        this.changes.pastEpisodes.push({ source: existing.source, fingerprint: existing.fingerprint, startsAt: existing.startsAt, endsAt: existing.endsAt, resolved: existing.resolvedBy === 'sender' });
      }
      Object.assign(existing, fields, { occurrences: existing.occurrences + newOccurrences });
      this.touchAlert(existing);
      return existing;
    }
    const alert = this.state.createAlert({ source: event.source, fingerprint: event.fingerprint, occurrences: 1, firstSeenAt: event.receivedAt, incidentId: null, flapping: false, flapHistory: [], ...fields });
    this.newAlerts.add(alert);
    this.changes.newAlerts.push(alert);
    return alert;
  }

  private inhibitorFor(source: string, fingerprint: string, labels: AlertRecord['labels']): AlertRecord | null {
    const firing = this.state.firingAlerts().filter((a) => a.suppressedBy === null && isInhibitionSource(a.labels, this.options.inhibitRules));
    const key = (a: { source: string; fingerprint: string }) => `${a.source}/${a.fingerprint}`;
    const found = inhibitorOf({ key: `${source}/${fingerprint}`, labels }, firing.map((a) => ({ key: key(a), labels: a.labels })), this.options.inhibitRules);
    return found ? (firing.find((a) => key(a) === found.key) ?? null) : null;
  }

  /** A source that fires after its targets mutes them too: they leave their incidents' firing count. */
  private inhibitLateTargets(source: AlertRecord): void {
    if (!this.options.inhibitRules.length || !isInhibitionSource(source.labels, this.options.inhibitRules)) return;
    const sourceKey = `${source.source}/${source.fingerprint}`;
    for (const target of this.state.firingAlerts()) {
      if (target === source || target.suppressedBy !== null) continue;
      const by = inhibitorOf({ key: `${target.source}/${target.fingerprint}`, labels: target.labels }, [{ key: sourceKey, labels: source.labels }], this.options.inhibitRules);
      if (!by) continue;
      target.suppressedBy = `inhibited:${sourceKey}`;
      this.touchAlert(target);
      this.changes.suppressed.push('inhibition');
      if (target.incidentId === null) continue;
      const incident = this.state.incident(target.incidentId);
      if (!incident) continue;
      incident.firingCount = Math.max(0, incident.firingCount - 1);
      if (incident.firingCount === 0) incident.resolveAfter = incident.lastActivityAt + this.options.resolveHoldDownMs;
      incident.updatedAt = this.now;
      this.touchIncident(incident);
      this.note(incident.id, source.startsAt, 'inhibited', `${target.title} inhibited by ${source.title}`, { source: target.source, fingerprint: target.fingerprint, by: sourceKey });
    }
  }

  /**
   * A silence or maintenance window in force also mutes the matching alerts that were
   * already firing when it began: each is marked suppressed and stops counting as firing in
   * its incident, from the silence's start (event time). An incident left with nothing
   * firing says so on its timeline (`incidentSilenced`): its undelivered notifications are
   * not sent, and it auto-resolves after the hold-down unless something else fires.
   * Each silence is swept once; alerts arriving later are judged on arrival.
   */
  private silenceFiringAlerts(silences: readonly Silence[]): void {
    const now = this.now;
    const due = silencesInForce(silences, now).filter((x) => !this.state.swept.has(x.id));
    if (due.length === 0) return;
    for (const alert of this.state.firingAlerts()) {
      if (alert.status !== 'firing' || alert.suppressedBy !== null) continue;
      const silence = suppressionFor(alert.labels, alert.startsAt, due, now);
      if (!silence) continue;
      alert.suppressedBy = silence.id;
      this.touchAlert(alert);
      this.changes.suppressed.push(silence.kind);
      if (alert.incidentId === null) continue;
      const incident = this.state.incident(alert.incidentId);
      if (!incident) continue;
      const at = Math.max(alert.startsAt, silence.startsAt);
      incident.firingCount = Math.max(0, incident.firingCount - 1);
      incident.lastActivityAt = Math.max(incident.lastActivityAt, at);
      const incidentSilenced = incident.firingCount === 0;
      if (incidentSilenced) incident.resolveAfter = incident.lastActivityAt + this.options.resolveHoldDownMs;
      incident.updatedAt = now;
      this.touchIncident(incident);
      const what = silence.kind === 'maintenance' ? 'maintenance window' : 'silence';
      this.note(
        incident.id,
        at,
        'silenced',
        `${alert.title} silenced by ${what} ${silence.id}${silence.comment ? ` (${silence.comment})` : ''}${incidentSilenced ? ': nothing else fires, no further pages' : ''}`,
        { source: alert.source, fingerprint: alert.fingerprint, silence: silence.id, kind: silence.kind, incidentSilenced },
        silence.createdBy,
      );
    }
    for (const x of due) this.state.swept.add(x.id);
  }

  applyEvent(event: StoredAlertEvent): void {
    const now = this.now;
    const existing = this.state.alert(event.source, event.fingerprint);
    const hasLabels = Object.keys(event.labels).length > 0;
    switch (event.status) {
      case 'acknowledged': {
        // A re-sent acknowledgement changes nothing (a new episode clears the flag).
        if (!existing || existing.acknowledged) return;
        existing.acknowledged = true;
        existing.lastSeenAt = event.receivedAt;
        this.touchAlert(existing);
        if (existing.incidentId === null) return;
        const incident = this.state.incident(existing.incidentId);
        if (!incident || incident.status !== 'open') return;
        incident.status = 'acknowledged';
        incident.acknowledgedAt = event.receivedAt;
        incident.wasAcknowledged = true;
        incident.updatedAt = now;
        this.touchIncident(incident);
        this.note(incident.id, event.receivedAt, 'acknowledged', `Acknowledged by ${event.source} (${existing.title})`, null, event.source);
        return;
      }
      case 'firing': {
        if (existing?.status === 'firing') {
          if (this.outlivesItsIncident(existing, event)) return;
          this.renewLease(existing, event);
          return;
        }
        // A firing event no newer than the resolved episode we hold arrived late: stale.
        // Except after a lease ran out: a re-send with a later lease means the sender was
        // only silent for a while and the fault goes on, so the alert fires again.
        if (existing && event.startsAt <= existing.startsAt) {
          const leaseRenewed = existing.resolvedBy === 'lease' && event.startsAt === existing.startsAt && event.endsAt !== null && event.endsAt > (existing.endsAt ?? Infinity);
          if (!leaseRenewed) return;
        }
        if (!hasLabels) return;
        if (this.suppress(event, existing)) return;
        this.inhibitLateTargets(this.attachFiring(event, existing));
        return;
      }
      case 'resolved': {
        if (existing?.status === 'firing') {
          if (event.startsAt < existing.startsAt && hasLabels) return; // end of an older episode
          this.resolveAlert(existing, event.endsAt ?? now, 'sender');
          return;
        }
        // Resolved without a firing we saw (e.g. a backfill of history): record the whole episode.
        if (!hasLabels || (existing && event.startsAt <= existing.startsAt)) return;
        const alert = this.suppress(event, existing) ?? this.attachFiring(event, existing);
        this.resolveAlert(alert, event.endsAt ?? now, 'sender');
        return;
      }
    }
  }

  /**
   * A firing copy of the episode an alert holds. One that renews nothing (no later lease)
   * changes nothing: the log keeps every copy (a retry, an HA peer's, one of an earlier
   * episode), and applying one again must not move anything. Otherwise the lease and
   * annotations are refreshed; counts stay as they are.
   */
  private renewLease(alert: AlertRecord, event: StoredAlertEvent): void {
    const renews = event.endsAt !== null && alert.endsAt !== null && event.endsAt > alert.endsAt;
    if (!renews) return;
    alert.endsAt = event.endsAt;
    alert.startsAt = Math.min(alert.startsAt, event.startsAt);
    if (Object.keys(event.labels).length > 0) alert.annotations = event.annotations;
    alert.lastSeenAt = event.receivedAt;
    this.touchAlert(alert);
  }

  /**
   * A firing copy of an alert's episode that arrived after a person resolved its incident
   * (forcing it, while the alert still fired), or after that incident closed: the fault was
   * declared over but goes on. A resolved incident reopens, as a new trigger does in
   * PagerDuty; a closed one cannot, so the alert is correlated again as of the copy's arrival
   * (a new incident, or another that takes it), and both timelines link the two. Judged by
   * the copy's arrival against the resolve, so a copy sent before it does not reopen, and
   * applying the same copy again finds the incident open. True when it dealt with the event.
   */
  private outlivesItsIncident(alert: AlertRecord, event: StoredAlertEvent): boolean {
    if (alert.incidentId === null || alert.suppressedBy !== null) return false;
    const incident = this.state.incident(alert.incidentId);
    const at = event.receivedAt;
    if (incident?.status === 'resolved' && incident.resolution === 'manual' && incident.resolvedAt !== null && at > incident.resolvedAt) {
      this.renewLease(alert, event);
      incident.status = 'open';
      incident.resolvedAt = null;
      incident.resolution = null;
      incident.resolveAfter = null;
      incident.lastActivityAt = Math.max(incident.lastActivityAt, at);
      incident.updatedAt = this.now;
      this.touchIncident(incident);
      this.note(incident.id, at, 'reopened', `Reopened: ${alert.title} is still firing (sent again after the incident was resolved by hand)`, {
        source: alert.source,
        fingerprint: alert.fingerprint,
        reason: 'still_firing',
      });
      return true;
    }
    if (incident?.status === 'closed' && incident.closedAt !== null && at > incident.closedAt && Object.keys(event.labels).length > 0) {
      incident.firingCount = Math.max(0, incident.firingCount - 1);
      incident.updatedAt = this.now;
      this.touchIncident(incident);
      this.attachFiring(event, alert, false, at, at);
      return true;
    }
    return false;
  }

  /** Housekeeping at `now`: each step bounded to 1,000 items per call, like a batch. */
  housekeeping(): void {
    const now = this.now;
    const expired = this.state.expiredLeases(now);
    for (const alert of expired.slice(0, 1000)) this.resolveAlert(alert, alert.endsAt ?? now, 'lease');
    // Beyond this call's share: looked at again by the next one.
    for (const alert of expired.slice(1000)) this.state.noteStatus(alert);
    const silences = this.input.silences.filter((s) => s.endsAt > now);
    this.silenceFiringAlerts(silences);
    // A still-firing alert whose silence or maintenance window has ended is correlated now.
    const suppressed = this.state.suppressedFiringAlerts().slice(0, 1000);
    const stillOn = new Set(silences.map((x) => x.id));
    const firingKeys = new Set(
      suppressed.length
        ? this.state
            .firingAlerts()
            .filter((a) => a.suppressedBy === null)
            .map((a) => `inhibited:${a.source}/${a.fingerprint}`)
        : [],
    );
    for (const alert of suppressed) {
      const reason = alert.suppressedBy as string;
      // Held back while its silence is on, or while the alert that inhibits it still fires.
      if (stillOn.has(reason) || firingKeys.has(reason)) continue;
      alert.suppressedBy = null;
      const event: StoredAlertEvent = {
        id: 0,
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
      this.attachFiring(event, alert, false, Math.max(alert.startsAt, now));
    }
    // Those beyond this call's share stay due (the hint keeps them) for the next one.
    const due = this.state.dueForAutoResolve(now).slice(0, 1000);
    for (const incident of due) {
      incident.status = 'resolved';
      incident.resolution = 'auto';
      incident.resolvedAt = incident.lastActivityAt;
      incident.updatedAt = now;
      this.touchIncident(incident);
      this.note(
        incident.id,
        incident.resolveAfter ?? now,
        'resolved',
        `Auto-resolved: none of its ${incident.alertCount} alert(s) fires any more (resolved, silenced or inhibited) and the hold-down passed`,
      );
    }
    const closable = this.state.dueForClose(now - this.options.closeAfterMs).slice(0, 1000);
    for (const incident of closable) {
      incident.status = 'closed';
      incident.closedAt = now;
      incident.updatedAt = now;
      this.touchIncident(incident);
      this.note(incident.id, now, 'closed', 'Closed: resolved and the close grace period passed');
    }
  }
}

