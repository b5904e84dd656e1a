/**
 * @module The correlation engine's state, in memory: the alerts and incidents it can
 * reach and the indexes its layers look things up in (grouping key, service, host, when a
 * fault reached each service, who touched an incident). No database: the correlator's
 * service loads it and keeps it in step with what it writes.
 *
 * Invariants the loader keeps: every alert that fires is here, every incident that can
 * still take an alert (open, acknowledged, on hold, resolved) is here with its services,
 * hosts, reach and people flag, and `alertKeys` names every alert that exists anywhere. An
 * alert or incident outside those (a resolved alert, a closed incident) is added by the
 * loader before an event that needs it is applied.
 */
import type { AlertRecord } from '../domain/alert.js';
import type { IncidentFacts, IncidentRecord } from '../domain/incident.js';

export const alertKey = (source: string, fingerprint: string): string => `${source}\u0000${fingerprint}`;

/** Statuses in which an incident may still take alerts. */
export const CANDIDATE_STATUSES: ReadonlySet<string> = new Set(['open', 'acknowledged', 'on_hold', 'resolved']);

export class CorrelationState {
  readonly alerts = new Map<string, AlertRecord>();
  /** Every alert key that exists, in memory or not: an event for any other is a new alert. */
  readonly alertKeys = new Set<string>();
  readonly incidents = new Map<number, IncidentRecord>();
  readonly services = new Map<number, Set<string>>();
  readonly hosts = new Map<number, Set<string>>();
  readonly reached = new Map<number, Map<string, number>>();
  readonly touchedByPeople = new Set<number>();
  /** Silences and maintenance windows already swept over the alerts that fired before them. */
  readonly swept = new Set<string>();
  private readonly byGroup = new Map<string, Set<number>>();
  private readonly byService = new Map<string, Set<number>>();
  private readonly byHost = new Map<string, Set<number>>();
  /** Per incident, the evidence keys of its alerts (correlate/evidence.ts), with how many alerts carry each. */
  private readonly evidence = new Map<number, Map<string, number>>();
  private readonly byEvidence = new Map<string, Set<number>>();
  private readonly firing = new Set<AlertRecord>();
  /**
   * Ids of incidents that may take alerts. The index sets above and this one are pruned as
   * they are read: an incident the engine closed or cancelled never takes an alert again (a
   * person's reopen makes the loader start over), so an id found out of those statuses is dropped.
   */
  private readonly candidates = new Set<number>();
  nextAlertId = 1;
  nextIncidentId = 1;

  /** Adds alerts as stored (the loader). */
  addAlerts(alerts: Iterable<AlertRecord>): void {
    for (const a of alerts) {
      const key = alertKey(a.source, a.fingerprint);
      this.alerts.set(key, a);
      this.alertKeys.add(key);
      this.noteStatus(a);
      this.nextAlertId = Math.max(this.nextAlertId, a.id + 1);
    }
  }

  alert(source: string, fingerprint: string): AlertRecord | null {
    return this.alerts.get(alertKey(source, fingerprint)) ?? null;
  }

  /** Keys of `wanted` that exist but are not in memory: the loader reads them first. */
  missingAlerts(wanted: Iterable<{ source: string; fingerprint: string }>): { source: string; fingerprint: string }[] {
    const out = new Map<string, { source: string; fingerprint: string }>();
    for (const { source, fingerprint } of wanted) {
      const key = alertKey(source, fingerprint);
      if (this.alertKeys.has(key) && !this.alerts.has(key)) out.set(key, { source, fingerprint });
    }
    return [...out.values()];
  }

  /** Incidents `alerts` belong to that are not in memory: the loader reads them. */
  missingIncidents(alerts: Iterable<AlertRecord>): number[] {
    const out = new Set<number>();
    for (const a of alerts) if (a.incidentId !== null && !this.incidents.has(a.incidentId)) out.add(a.incidentId);
    return [...out].sort((x, y) => x - y);
  }

  /** A new alert, given its id. */
  createAlert(alert: Omit<AlertRecord, 'id'>): AlertRecord {
    const created: AlertRecord = { ...alert, id: this.nextAlertId++ };
    const key = alertKey(created.source, created.fingerprint);
    this.alerts.set(key, created);
    this.alertKeys.add(key);
    this.noteStatus(created);
    return created;
  }

  /** Firing alerts that a silence or an inhibition holds back. */
  private readonly suppressedFiring = new Set<AlertRecord>();
  /** No firing alert's lease ends before this (a lower bound: housekeeping scans only once it is reached). */
  private leaseHint = Infinity;

  /** Keeps the sets of firing (and held back) alerts in step after an alert changed. */
  noteStatus(alert: AlertRecord): void {
    if (alert.status === 'firing') {
      this.firing.add(alert);
      if (alert.endsAt !== null) this.leaseHint = Math.min(this.leaseHint, alert.endsAt);
    } else this.firing.delete(alert);
    if (alert.status === 'firing' && alert.suppressedBy !== null) this.suppressedFiring.add(alert);
    else this.suppressedFiring.delete(alert);
  }

  /** Every firing alert (suppressed ones included), in id order. */
  firingAlerts(): AlertRecord[] {
    return [...this.firing].sort((x, y) => x.id - y.id);
  }

  /** Firing alerts whose lease ended at `now`, earliest first (ties by id). */
  expiredLeases(now: number): AlertRecord[] {
    if (now < this.leaseHint) return [];
    let next = Infinity;
    const out: AlertRecord[] = [];
    for (const a of this.firing) {
      if (a.endsAt === null) continue;
      if (a.endsAt <= now) out.push(a);
      else next = Math.min(next, a.endsAt);
    }
    // The ones returned are resolved by the caller; the rest end no earlier than `next`.
    this.leaseHint = next;
    return out.sort((x, y) => (x.endsAt as number) - (y.endsAt as number) || x.id - y.id);
  }

  /** Firing alerts held back by a silence or an inhibition, in id order. */
  suppressedFiringAlerts(): AlertRecord[] {
    return [...this.suppressedFiring].sort((x, y) => x.id - y.id);
  }

  /** Adds incidents as stored, with what is known of them (the loader). */
  addIncidents(facts: Iterable<IncidentFacts>): void {
    for (const f of facts) {
      this.putIncident(f.incident);
      this.services.set(f.incident.id, new Set());
      this.hosts.set(f.incident.id, new Set());
      for (const s of f.services) this.addService(f.incident.id, s);
      for (const h of f.hosts) this.addHost(f.incident.id, h);
      this.reached.set(f.incident.id, new Map(f.reached));
      if (f.touchedByPeople) this.touchedByPeople.add(f.incident.id);
      else this.touchedByPeople.delete(f.incident.id);
    }
  }

  /** A new incident, given its id. */
  createIncident(fresh: Omit<IncidentRecord, 'id'>): IncidentRecord {
    const incident: IncidentRecord = { ...fresh, id: this.nextIncidentId++ };
    this.putIncident(incident);
    this.services.set(incident.id, new Set());
    this.hosts.set(incident.id, new Set());
    this.reached.set(incident.id, new Map());
    return incident;
  }

  /** No incident auto-resolves before this, and none resolved before `resolvedHint` (lower bounds, as `leaseHint`). */
  private resolveHint = Infinity;
  private resolvedHint = Infinity;

  /** Keeps housekeeping's hints in step after an incident changed. */
  noteIncident(i: IncidentRecord): void {
    if ((i.status === 'open' || i.status === 'acknowledged') && i.firingCount === 0 && i.resolveAfter !== null) this.resolveHint = Math.min(this.resolveHint, i.resolveAfter);
    if (i.status === 'resolved' && i.resolvedAt !== null) this.resolvedHint = Math.min(this.resolvedHint, i.resolvedAt);
  }

  /** Open or acknowledged incidents with nothing firing whose hold-down ended by `now`, by id. */
  dueForAutoResolve(now: number): IncidentRecord[] {
    if (now < this.resolveHint) return [];
    let next = Infinity;
    const due = this.candidatesIn(this.candidates, (i) => {
      if (!((i.status === 'open' || i.status === 'acknowledged') && i.firingCount === 0 && i.resolveAfter !== null)) return false;
      if (i.resolveAfter <= now) return true;
      next = Math.min(next, i.resolveAfter);
      return false;
    });
    this.resolveHint = next;
    for (const i of due) this.resolveHint = Math.min(this.resolveHint, i.resolveAfter as number);
    return due.sort((x, y) => x.id - y.id);
  }

  /** Resolved incidents resolved by `before`, by id. */
  dueForClose(before: number): IncidentRecord[] {
    if (before < this.resolvedHint) return [];
    let next = Infinity;
    const due = this.candidatesIn(this.candidates, (i) => {
      if (i.status !== 'resolved' || i.resolvedAt === null) return false;
      if (i.resolvedAt <= before) return true;
      next = Math.min(next, i.resolvedAt);
      return false;
    });
    this.resolvedHint = next;
    for (const i of due) this.resolvedHint = Math.min(this.resolvedHint, i.resolvedAt as number);
    return due.sort((x, y) => x.id - y.id);
  }

  private putIncident(incident: IncidentRecord): void {
    this.incidents.set(incident.id, incident);
    this.noteIncident(incident);
    if (CANDIDATE_STATUSES.has(incident.status)) this.candidates.add(incident.id);
    let group = this.byGroup.get(incident.groupKey);
    if (!group) this.byGroup.set(incident.groupKey, (group = new Set()));
    group.add(incident.id);
    this.nextIncidentId = Math.max(this.nextIncidentId, incident.id + 1);
  }

  incident(id: number): IncidentRecord | null {
    return this.incidents.get(id) ?? null;
  }

  /** The candidate incidents among `ids` (for which `keep` holds), dropping the non-candidates from the set. */
  private candidatesIn(ids: Set<number> | undefined, keep?: (i: IncidentRecord) => boolean): IncidentRecord[] {
    const out: IncidentRecord[] = [];
    if (!ids) return out;
    for (const id of ids) {
      const i = this.incidents.get(id);
      if (!i || !CANDIDATE_STATUSES.has(i.status)) ids.delete(id);
      else if (!keep || keep(i)) out.push(i);
    }
    return out;
  }

  /** Incidents of a grouping key that may still take alerts: the 50 newest, as the layers always weighed. */
  group(key: string): IncidentRecord[] {
    return this.candidatesIn(this.byGroup.get(key)).sort((x, y) => y.id - x.id).slice(0, 50);
  }

  servicesOf(incidentId: number): Set<string> {
    let set = this.services.get(incidentId);
    if (!set) this.services.set(incidentId, (set = new Set()));
    return set;
  }

  /** Hosts the incident touches, sorted. */
  hostsOf(incidentId: number): string[] {
    return [...(this.hosts.get(incidentId) ?? [])].sort();
  }

  addService(incidentId: number, service: string): boolean {
    const set = this.servicesOf(incidentId);
    if (set.has(service)) return false;
    set.add(service);
    let ids = this.byService.get(service);
    if (!ids) this.byService.set(service, (ids = new Set()));
    ids.add(incidentId);
    return true;
  }

  addHost(incidentId: number, host: string): boolean {
    let set = this.hosts.get(incidentId);
    if (!set) this.hosts.set(incidentId, (set = new Set()));
    if (set.has(host)) return false;
    set.add(host);
    let ids = this.byHost.get(host);
    if (!ids) this.byHost.set(host, (ids = new Set()));
    ids.add(incidentId);
    return true;
  }

  /** The evidence keys of an incident's alerts (with how many carry each). */
  evidenceOf(incidentId: number): ReadonlyMap<string, number> | undefined {
    return this.evidence.get(incidentId);
  }

  /** One more alert of the incident carries `keys`. */
  addEvidence(incidentId: number, keys: readonly string[]): void {
    let counts = this.evidence.get(incidentId);
    if (!counts) this.evidence.set(incidentId, (counts = new Map()));
    for (const key of keys) {
      counts.set(key, (counts.get(key) ?? 0) + 1);
      let ids = this.byEvidence.get(key);
      if (!ids) this.byEvidence.set(key, (ids = new Set()));
      ids.add(incidentId);
    }
  }

  /** An alert carrying `keys` left the incident. */
  removeEvidence(incidentId: number, keys: readonly string[]): void {
    const counts = this.evidence.get(incidentId);
    if (!counts) return;
    for (const key of keys) {
      const n = (counts.get(key) ?? 0) - 1;
      if (n > 0) {
        counts.set(key, n);
        continue;
      }
      counts.delete(key);
      this.byEvidence.get(key)?.delete(incidentId);
    }
  }

  /** Every alert of `from` now belongs to `to`: so does its evidence. */
  moveEvidence(from: number, to: number): void {
    const counts = this.evidence.get(from);
    if (!counts || from === to) return;
    let into = this.evidence.get(to);
    if (!into) this.evidence.set(to, (into = new Map()));
    for (const [key, n] of counts) {
      into.set(key, (into.get(key) ?? 0) + n);
      const ids = this.byEvidence.get(key);
      ids?.delete(from);
      ids?.add(to);
    }
    this.evidence.delete(from);
  }

  /** Candidate incidents whose alerts carry `key`, by id. */
  incidentsWithEvidence(key: string): number[] {
    return this.candidatesIn(this.byEvidence.get(key))
      .map((i) => i.id)
      .sort((x, y) => x - y);
  }

  /**
   * (incident, service) pairs for candidate incidents touching any of `services`; with
   * `near`, only incidents whose activity is within `windowMs` of `at` (no other can take an
   * alert at `at` through a join window of that length).
   */
  incidentsTouching(services: readonly string[], near?: { at: number; windowMs: number }): { incidentId: number; service: string }[] {
    const out: { incidentId: number; service: string }[] = [];
    const keep = near ? (i: IncidentRecord) => near.at >= i.openedAt - near.windowMs && near.at <= i.lastActivityAt + near.windowMs : undefined;
    for (const service of services) for (const i of this.candidatesIn(this.byService.get(service), keep)) out.push({ incidentId: i.id, service });
    return out;
  }

  /** Open incidents touching any of `services` that opened within [from, to], by id. */
  openIncidentsTouching(services: readonly string[], from: number, to: number): number[] {
    const ids = new Set<number>();
    for (const service of services) {
      for (const i of this.candidatesIn(this.byService.get(service), (c) => c.status === 'open' && c.openedAt >= from && c.openedAt <= to)) ids.add(i.id);
    }
    return [...ids].sort((x, y) => x - y);
  }

  /** Candidate incidents touching `host`. */
  incidentsOnHost(host: string): number[] {
    return this.candidatesIn(this.byHost.get(host)).map((i) => i.id);
  }

  /** Candidate incidents active since `since`: the 200 latest by activity (ties: newest first). */
  recentIncidents(since: number): IncidentRecord[] {
    return this.candidatesIn(this.candidates, (i) => i.lastActivityAt >= since).sort((x, y) => y.lastActivityAt - x.lastActivityAt || y.id - x.id).slice(0, 200);
  }

  /** When the fault reached `service`: its recorded entry, or for the opening service the opening. */
  reachedAt(incident: IncidentRecord, service: string): number | null {
    const recorded = this.reached.get(incident.id)?.get(service);
    if (recorded !== undefined) return recorded;
    return service === incident.service ? incident.openedAt : null;
  }

  noteReached(incidentId: number, service: string, at: number): void {
    let reach = this.reached.get(incidentId);
    if (!reach) this.reached.set(incidentId, (reach = new Map()));
    reach.set(service, Math.min(reach.get(service) ?? Infinity, at));
  }

  /**
   * Forgets what no decision needs in memory any more and the store holds: incidents that
   * can take no alert (closed, cancelled) no alert in memory points to, and resolved alerts
   * last seen before `before` (read again from the store if an event names them).
   */
  evict(before: number): void {
    for (const [key, a] of this.alerts) if (a.status === 'resolved' && a.lastSeenAt < before) this.alerts.delete(key);
    const referenced = new Set<number>();
    for (const a of this.alerts.values()) if (a.incidentId !== null) referenced.add(a.incidentId);
    for (const [id, i] of this.incidents) {
      if (CANDIDATE_STATUSES.has(i.status) || referenced.has(id)) continue;
      this.incidents.delete(id);
      this.byGroup.get(i.groupKey)?.delete(id);
      for (const s of this.services.get(id) ?? []) this.byService.get(s)?.delete(id);
      for (const h of this.hosts.get(id) ?? []) this.byHost.get(h)?.delete(id);
      this.services.delete(id);
      this.hosts.delete(id);
      this.reached.delete(id);
      for (const key of this.evidence.get(id)?.keys() ?? []) this.byEvidence.get(key)?.delete(id);
      this.evidence.delete(id);
      this.touchedByPeople.delete(id);
      this.candidates.delete(id);
    }
  }
}
