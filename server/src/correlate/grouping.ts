/**
 * @module First correlation layer: dedup by fingerprint and grouping by key inside a
 * join window. Pure and deterministic; every time here is event time (the alerts' own
 * `startsAt`/`endsAt`), never arrival time, so a replay or a backfill correlates
 * exactly as the same alerts did live.
 */
import { hostOf, serviceOf, type Labels } from '../domain/alert.js';
import type { IncidentStatus } from '../domain/incident.js';

export interface GroupingConfig {
  /** Label names whose values form the grouping key; null selects the default. */
  groupBy: readonly string[] | null;
  /** An alert joins an incident whose last activity is at most this long before (or after) it. */
  joinWindowMs: number;
  /** No incident spans more than this, so a steady trickle of alerts never snowballs. */
  maxIncidentSpanMs: number;
  /** The span of an incident on these services (its root-cause candidate's, else its opening service's) instead. */
  maxIncidentSpanByService?: ReadonlyMap<string, number>;
  /**
   * An incident with an alert firing counts as active up to the alert (gap 0), not only since
   * its last join or resolve: for joins on evidence that names the same actor (a shared
   * identifying label), whose alerts keep coming as long as the fault goes on.
   */
  firingIsActivity?: boolean;
}

/** The longest span of `incident`: its service's own (the catalogue's), else the default. */
export function maxSpanOf(incident: Pick<CandidateIncident, 'service' | 'rootCauseService'>, config: GroupingConfig): number {
  const byService = config.maxIncidentSpanByService;
  if (!byService || byService.size === 0) return config.maxIncidentSpanMs;
  const service = incident.rootCauseService ?? incident.service ?? null;
  return (service !== null ? byService.get(service) : undefined) ?? config.maxIncidentSpanMs;
}

/**
 * Default key: the alert's service (its `service` label, or the catalogue's mapping when
 * given as `service`) when known, else `alertname` + host/instance.
 */
export function groupKeyOf(labels: Labels, groupBy: readonly string[] | null, service: string | null = serviceOf(labels)): string {
  if (groupBy && groupBy.length > 0) return groupBy.map((name) => `${name}=${labels[name] ?? ''}`).join(',');
  if (service) return `service=${service}`;
  return `alertname=${labels.alertname ?? ''},host=${hostOf(labels) ?? labels.instance ?? ''}`;
}

/** What the engine needs to know of an incident that might take an alert. */
export interface CandidateIncident {
  id: number;
  status: IncidentStatus;
  openedAt: number;
  lastActivityAt: number;
  /** For an auto-resolved incident: the end of its hold-down. */
  resolveAfter: number | null;
  resolution: string | null;
  /** Alerts of the incident firing now: an incident still firing is not cut by its span. */
  firingCount?: number;
  service?: string | null;
  rootCauseService?: string | null;
}

export interface JoinDecision {
  incidentId: number;
  /** Event-time distance between the alert and the incident's activity (0 when inside it). */
  gapMs: number;
  /** True when the alert re-fired inside an auto-resolved incident's hold-down, or into its own incident resolved by hand. */
  reopens: boolean;
}

/**
 * Picks the incident a firing alert starting at `startsAt` joins, or null to open a new one.
 * Active incidents qualify when the alert lies within the join window of their activity
 * (late arrivals before the incident's start too) and the span stays bounded. An
 * auto-resolved incident qualifies when the alert started before its hold-down ran out:
 * live, that re-fire would have kept it open. The closest qualifying incident wins;
 * ties go to the lowest id, so the result does not depend on row order.
 *
 * `ownIncident` is the incident the alert itself (its fingerprint) was last in: a re-fire
 * there is the same fault going on (e.g. a forecast escalating from warning to critical),
 * not another alert trickling in, so the span bound does not apply to it. It also qualifies
 * when a person resolved it (until it closes): the fault they declared over is back, so the
 * incident reopens rather than a new one hiding beside it. The caller passes it only for a
 * re-fire within the reopen window.
 *
 * The span bound (`maxSpanOf`: per service, else the default) cuts an incident only once
 * nothing of it fires: a fault whose alerts keep firing for days stays one incident, while a
 * trickle of alerts that each come and go still starts a new one after the span.
 */
export function chooseIncident(startsAt: number, candidates: readonly CandidateIncident[], config: GroupingConfig, ownIncident: number | null = null): JoinDecision | null {
  let best: JoinDecision | null = null;
  for (const c of [...candidates].sort((a, b) => a.id - b.id)) {
    const autoResolved = c.status === 'resolved' && c.resolution === 'auto';
    const active = c.status === 'open' || c.status === 'acknowledged' || c.status === 'on_hold';
    const resolvedByHand = c.status === 'resolved' && c.resolution === 'manual' && c.id === ownIncident;
    if (!active && !autoResolved && !resolvedByHand) continue;
    if (autoResolved && (c.resolveAfter === null || startsAt >= c.resolveAfter)) continue;
    const ongoing = config.firingIsActivity === true && active && (c.firingCount ?? 0) > 0;
    const gap = startsAt < c.openedAt ? c.openedAt - startsAt : startsAt > c.lastActivityAt && !ongoing ? startsAt - c.lastActivityAt : 0;
    if (gap > config.joinWindowMs) continue;
    const span = Math.max(c.lastActivityAt, startsAt) - Math.min(c.openedAt, startsAt);
    if (span > maxSpanOf(c, config) && c.id !== ownIncident && !((c.firingCount ?? 0) > 0 && active)) continue;
    if (!best || gap < best.gapMs) best = { incidentId: c.id, gapMs: gap, reopens: autoResolved || resolvedByHand };
  }
  return best;
}
