/**
 * @module The server's Prometheus metrics, on a registry of their own. Gauges that
 * come from the database are computed lazily at scrape time.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { AlertSource } from '../domain/alert.js';
import { PRIORITIES } from '../domain/incident.js';

/** The sources the ingest routes count under (the agent posts to the native API, `api`). */
export const INGEST_SOURCES: readonly AlertSource[] = ['alertmanager', 'prometheus', 'grafana', 'api', 'pagerduty'];
export const INGEST_OUTCOMES = ['accepted', 'duplicate', 'rejected'] as const;
export const SUPPRESSION_KINDS = ['silence', 'maintenance', 'inhibition'] as const;
export const LEADERSHIP_EVENTS = ['acquired', 'lost'] as const;

/**
 * Exports every known label combination at 0 before its first event. A series that appears
 * with its first increment at 1 has no earlier sample, so `rate()` and `increase()` never see
 * that first event (Prometheus' "missing series" pitfall).
 */
function startAtZero<L extends string>(counter: Counter<L>, combinations: readonly Partial<Record<L, string>>[]): void {
  for (const labels of combinations) counter.inc(labels, 0);
}

export interface ScrapeSources {
  openIncidentsByPriority(): Promise<{ priority: string; count: number }[]>;
  responseTimes(): Promise<{ mttaSeconds: number | null; mttrSeconds: number | null }>;
  pendingEvents(): Promise<number>;
  /** Events the correlator set aside (the engine could not apply them). */
  deadLetters?(): Promise<number>;
  /** Each service with an SLA policy, for its current period. */
  serviceSlas(): Promise<ServiceSlaGauges[]>;
  /** Each host resource with capacity data in the last 30 days. */
  capacity(): Promise<CapacityGauges[]>;
  /** Breached response/resolution targets of incidents opened in the last 30 days. */
  breachedTargets?(): Promise<{ priority: string; target: string; count: number }[]>;
}

export interface CapacityGauges {
  host: string;
  resource: string;
  /** '' except for filesystems. */
  mountpoint: string;
  daysUntilFull: number | null;
  /** Prediction interval of `daysUntilFull` (high null: the slow end is not filling). */
  fullBetween?: { low: number; high: number | null } | null;
  p95: number | null;
}

export interface ServiceSlaGauges {
  service: string;
  sli: number;
  objective: number;
  budgetRemainingRatio: number;
  /** Burn rate by window ("5m", "1h", …). */
  burnRates: Record<string, number>;
}

export interface ServerMetrics {
  registry: Registry;
  httpDuration: Histogram<'method' | 'route' | 'status'>;
  alertsIngested: Counter<'source' | 'outcome'>;
  incidentsOpened: Counter<'priority'>;
  alertsSuppressed: Counter<'kind'>;
  correlatorErrors: Counter;
  capacityRollupErrors: Counter;
  /** 1 while this replica holds the leader lease (runs the correlator and the periodic jobs). */
  leader: Gauge;
  leadershipChanges: Counter<'event'>;
  slaEvaluationErrors: Counter;
  /** Request body bytes held right now (bounded by `ingest.maxInFlightBytes`). */
  inFlightBodyBytes: Gauge;
  setScrapeSources(sources: ScrapeSources): void;
}

export function createServerMetrics(version: string, options: { defaultMetrics: boolean } = { defaultMetrics: true }): ServerMetrics {
  const registry = new Registry();
  if (options.defaultMetrics) collectDefaultMetrics({ register: registry });
  let sources: ScrapeSources | null = null;

  new Gauge({
    name: 'sightline_build_info',
    help: 'Build information; the value is always 1.',
    labelNames: ['version', 'nodejs_version'],
    registers: [registry],
  }).set({ version, nodejs_version: process.versions.node }, 1);

  const httpDuration = new Histogram({
    name: 'sightline_http_request_duration_seconds',
    help: 'HTTP request duration by route pattern and status code.',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const alertsIngested = new Counter({
    name: 'sightline_alerts_ingested_total',
    help: 'Alerts received, by source and outcome (accepted, duplicate, rejected).',
    labelNames: ['source', 'outcome'],
    registers: [registry],
  });
  const incidentsOpened = new Counter({
    name: 'sightline_incidents_opened_total',
    help: 'Incidents opened by the correlator, by initial priority.',
    labelNames: ['priority'],
    registers: [registry],
  });
  const alertsSuppressed = new Counter({
    name: 'sightline_alerts_suppressed_total',
    help: 'Alert episodes kept out of incidents by a silence or a maintenance window.',
    labelNames: ['kind'],
    registers: [registry],
  });
  startAtZero(alertsIngested, INGEST_SOURCES.flatMap((source) => INGEST_OUTCOMES.map((outcome) => ({ source, outcome }))));
  startAtZero(incidentsOpened, PRIORITIES.map((priority) => ({ priority })));
  startAtZero(alertsSuppressed, SUPPRESSION_KINDS.map((kind) => ({ kind })));
  const correlatorErrors = new Counter({
    name: 'sightline_correlator_errors_total',
    help: 'Correlator or housekeeping passes that failed (and will be retried).',
    registers: [registry],
  });

  const capacityRollupErrors = new Counter({
    name: 'sightline_capacity_rollup_errors_total',
    help: 'Capacity roll-up, pruning or alert evaluation passes that failed (and will be retried).',
    registers: [registry],
  });

  const inFlightBodyBytes = new Gauge({
    name: 'sightline_http_in_flight_body_bytes',
    help: 'Request body bytes being read or handled right now; past ingest.maxInFlightBytes requests get 429.',
    registers: [registry],
  });

  const leader = new Gauge({
    name: 'sightline_leader',
    help: '1 while this replica leads: it runs the correlator and the periodic jobs (always 1 on SQLite).',
    registers: [registry],
  });
  const leadershipChanges = new Counter({
    name: 'sightline_leadership_changes_total',
    help: 'Times this replica acquired or lost the leader lease.',
    labelNames: ['event'],
    registers: [registry],
  });
  startAtZero(leadershipChanges, LEADERSHIP_EVENTS.map((event) => ({ event })));

  new Gauge({
    name: 'sightline_incidents_open',
    help: 'Incidents not yet resolved (open, acknowledged, on hold), by priority.',
    labelNames: ['priority'],
    registers: [registry],
    async collect() {
      if (!sources) return;
      this.reset();
      for (const p of ['P1', 'P2', 'P3', 'P4', 'P5']) this.set({ priority: p }, 0);
      for (const row of await sources.openIncidentsByPriority()) this.set({ priority: row.priority }, row.count);
    },
  });
  new Gauge({
    name: 'sightline_incident_mtta_seconds',
    help: 'Mean time to acknowledge over incidents opened in the last 30 days.',
    registers: [registry],
    async collect() {
      if (sources) this.set((await sources.responseTimes()).mttaSeconds ?? 0);
    },
  });
  new Gauge({
    name: 'sightline_incident_mttr_seconds',
    help: 'Mean time to resolve over incidents opened in the last 30 days.',
    registers: [registry],
    async collect() {
      if (sources) this.set((await sources.responseTimes()).mttrSeconds ?? 0);
    },
  });
  new Gauge({
    name: 'sightline_correlator_dead_letters',
    help: 'Alert events the correlator set aside because the engine could not apply them (GET /api/v1/dead-letters).',
    registers: [registry],
    async collect() {
      if (sources?.deadLetters) this.set(await sources.deadLetters());
    },
  });
  new Gauge({
    name: 'sightline_correlator_pending_events',
    help: 'Stored alert events the correlator has not applied yet.',
    registers: [registry],
    async collect() {
      if (!sources) return;
      this.set(await sources.pendingEvents());
    },
  });

  // The four SLA families are collected in parallel by one scrape (prom-client gathers every
  // metric with Promise.all): they share one evaluation, dropped once it settles.
  let slaInFlight: Promise<ServiceSlaGauges[]> | null = null;
  const serviceSlas = (): Promise<ServiceSlaGauges[]> => {
    if (!sources) return Promise.resolve([]);
    slaInFlight ??= sources.serviceSlas().finally(() => {
      slaInFlight = null;
    });
    return slaInFlight;
  };
  const slaGauge = (name: string, help: string, value: (s: ServiceSlaGauges) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['service'],
      registers: [registry],
      async collect() {
        const slas = await serviceSlas();
        this.reset();
        for (const s of slas) this.set({ service: s.service }, value(s));
      },
    });
  slaGauge('sightline_sla_sli_ratio', 'Availability SLI of the current SLA period so far (1 = no downtime).', (s) => s.sli);
  slaGauge('sightline_sla_objective_ratio', 'Availability objective of the service (0.999 = 99.9 %).', (s) => s.objective);
  slaGauge('sightline_sla_error_budget_remaining_ratio', 'Share of the current period\'s error budget left (negative once overspent).', (s) => s.budgetRemainingRatio);
  new Gauge({
    name: 'sightline_sla_burn_rate',
    help: 'Error-budget burn rate over the trailing window (1 spends exactly the budget by the end of the period).',
    labelNames: ['service', 'window'],
    registers: [registry],
    async collect() {
      const slas = await serviceSlas();
      this.reset();
      for (const s of slas) for (const [window, rate] of Object.entries(s.burnRates)) this.set({ service: s.service, window }, rate);
    },
  });

  new Gauge({
    name: 'sightline_sla_incidents_breached',
    help: 'Incidents opened in the last 30 days whose response or resolution target was breached, by priority and target.',
    labelNames: ['priority', 'target'],
    registers: [registry],
    async collect() {
      const rows = (await sources?.breachedTargets?.()) ?? [];
      this.reset();
      for (const r of rows) this.set({ priority: r.priority, target: r.target }, r.count);
    },
  });
  const slaEvaluationErrors = new Counter({ name: 'sightline_sla_evaluation_errors_total', help: 'Periodic SLA passes that failed (retried on the next interval).', registers: [registry] });

  // Both capacity families come from one evaluation per scrape, as the SLA ones do.
  let capacityInFlight: Promise<CapacityGauges[]> | null = null;
  const capacity = (): Promise<CapacityGauges[]> => {
    if (!sources) return Promise.resolve([]);
    capacityInFlight ??= sources.capacity().finally(() => {
      capacityInFlight = null;
    });
    return capacityInFlight;
  };
  new Gauge({
    name: 'sightline_capacity_days_until_full',
    help: 'Days until the seasonal peak of the resource reaches full (seasonal Sen trend over 7 and 30 days, the sooner); absent when flat or falling.',
    labelNames: ['host', 'resource', 'mountpoint'],
    registers: [registry],
    async collect() {
      const rows = await capacity();
      this.reset();
      for (const r of rows) if (r.daysUntilFull !== null) this.set({ host: r.host, resource: r.resource, mountpoint: r.mountpoint }, r.daysUntilFull);
    },
  });
  new Gauge({
    name: 'sightline_capacity_days_until_full_low',
    help: 'Soonest end of the 90 % prediction interval of days until full; absent when not filling.',
    labelNames: ['host', 'resource', 'mountpoint'],
    registers: [registry],
    async collect() {
      const rows = await capacity();
      this.reset();
      for (const r of rows) if (r.fullBetween) this.set({ host: r.host, resource: r.resource, mountpoint: r.mountpoint }, r.fullBetween.low);
    },
  });
  new Gauge({
    name: 'sightline_capacity_days_until_full_high',
    help: 'Latest end of the 90 % prediction interval of days until full; absent when not filling or when the slow end is not filling.',
    labelNames: ['host', 'resource', 'mountpoint'],
    registers: [registry],
    async collect() {
      const rows = await capacity();
      this.reset();
      for (const r of rows) if (r.fullBetween && r.fullBetween.high !== null) this.set({ host: r.host, resource: r.resource, mountpoint: r.mountpoint }, r.fullBetween.high);
    },
  });
  new Gauge({
    name: 'sightline_capacity_utilisation_p95_ratio',
    help: '95th percentile of hourly utilisation over the last 30 days (filesystems by mount point).',
    labelNames: ['host', 'resource', 'mountpoint'],
    registers: [registry],
    async collect() {
      const rows = await capacity();
      this.reset();
      for (const r of rows) if (r.p95 !== null) this.set({ host: r.host, resource: r.resource, mountpoint: r.mountpoint }, r.p95);
    },
  });

  return {
    registry,
    httpDuration,
    alertsIngested,
    incidentsOpened,
    alertsSuppressed,
    correlatorErrors,
    capacityRollupErrors,
    leader,
    leadershipChanges,
    slaEvaluationErrors,
    inFlightBodyBytes,
    setScrapeSources(s) {
      sources = s;
    },
  };
}
