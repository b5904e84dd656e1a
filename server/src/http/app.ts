/**
 * @module The HTTP application: request ids, metrics, body limits, error shape, and the
 * routes composed with `app.route()`. Built from its dependencies, so tests drive it
 * through `app.request()` with real ones.
 */
import { randomUUID } from 'node:crypto';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { Logger } from 'pino';
import type { ServerConfig } from '../config.js';
import type { DatabaseHandle } from '../db/connection.js';
import type { DatabaseAvailability } from '../services/database-availability.js';
import type { Clock } from '../services/clock.js';
import type { Correlator } from '../services/correlator.js';
import type { EventWriter } from '../services/ingest-alerts.js';
import { IngestUnavailableError } from '../services/ingest-thread.js';
import type { Leadership } from '../services/leadership.js';
import type { Catalogue } from '../services/catalogue.js';
import { changeRankOptionsOf, changesOfIncident } from '../services/change-analysis.js';
import type { IncidentRecord } from '../db/incidents-repo.js';
import type { AdmissionControl } from '../services/admission.js';
import type { ServerMetrics } from '../services/metrics.js';
import type { ProblemMetrics } from '../services/problem-metrics.js';
import { problemOptionsOf } from '../services/problems.js';
import type { Authenticator } from '../services/tokens.js';
import { requireScope } from './auth.js';
import type { AppEnv } from './env.js';
import { errorBody } from './errors.js';
import { createInFlightLimit, InFlightLimitError } from './in-flight.js';
import { isClientAbort, rejectNulInUrl } from './request-guards.js';
import { agentRoutes } from './routes/agents.js';
import { capacityRoutes, OTLP_METRICS_PATH } from './routes/capacity.js';
import { clusterRoutes } from './routes/cluster.js';
import { deadLetterRoutes } from './routes/dead-letters.js';
import { oncallRoutes } from './routes/oncall.js';
import { incidentRoutes } from './routes/incidents.js';
import { ingestRoutes } from './routes/ingest.js';
import { MCP_PATH, mcpRoutes } from './routes/mcp.js';
import { notificationRoutes } from './routes/notifications.js';
import { postmortemRoutes } from './routes/postmortems.js';
import { problemRoutes } from './routes/problems.js';
import { serviceRoutes } from './routes/services.js';
import { silenceRoutes } from './routes/silences.js';
import { recurringSilenceRoutes } from './routes/recurring-silences.js';
import { changeRoutes } from './routes/changes.js';
import { presentIncidentSignals, presentIncidentSla, slaRoutes } from './routes/sla.js';
import { presentRankedChange } from './present.js';
import type { SlaCache } from '../services/sla.js';
import { getIncidentSla } from '../services/sla-targets.js';
import { listIncidentSignals } from '../services/sla-signals.js';
import { tokenRoutes } from './routes/tokens.js';
import { uiRoutes } from '../ui/routes.js';

export interface AppDeps {
  config: Readonly<ServerConfig>;
  handle: DatabaseHandle;
  clock: Clock;
  metrics: ServerMetrics;
  correlator: Correlator;
  writer: EventWriter;
  admission: AdmissionControl;
  catalogue: Catalogue;
  authenticator: Authenticator;
  log: Logger;
  version: string;
  leadership: Leadership;
  problemMetrics: ProblemMetrics;
  /** Shared SLA evaluation (see services/sla.ts). */
  slaCache?: SlaCache;
  /** Whether the database takes writes: faults are answered 503 and logged once per outage. */
  availability: DatabaseAvailability;
  /** SQLite with an ingest thread: whether it runs (not while a crashed one is replaced). */
  ingestRunning?: () => boolean;
}

const REQUEST_ID = /^[\w.:-]{1,128}$/;
/** Bodies are read in well under a second on a healthy server: a short wait is enough. */
const IN_FLIGHT_RETRY_AFTER_SECONDS = 1;

/** What a sender is told to wait while the database is unavailable (a few probes' worth). */
const DATABASE_RETRY_AFTER_SECONDS = 5;

export function createApp(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.use('*', async (c, next) => {
    const given = c.req.header('x-request-id');
    const requestId = given && REQUEST_ID.test(given) ? given : randomUUID();
    c.set('requestId', requestId);
    c.header('X-Request-Id', requestId);
    const started = performance.now();
    await next();
    // The matched route pattern keeps label cardinality bounded; unmatched paths share one label.
    const route = c.res.status === 404 && c.req.routePath === '*' ? 'unmatched' : c.req.routePath;
    deps.metrics.httpDuration.observe({ method: c.req.method, route, status: String(c.res.status) }, (performance.now() - started) / 1000);
  });

  // Before the body limit, which reads a chunked body whole: those bytes are counted too.
  const inFlight = createInFlightLimit(deps.config.ingest.maxInFlightBytes, (bytes) => deps.metrics.inFlightBodyBytes.set(bytes));
  app.use('*', inFlight.middleware);
  const limitBody = bodyLimit({
    maxSize: deps.config.bodyLimitBytes,
    onError: (c) => c.json(errorBody(c, 'PAYLOAD_TOO_LARGE', `request body exceeds ${deps.config.bodyLimitBytes} bytes`), 413),
  });
  // OTLP metrics have a limit of their own (20 MiB after decompression), as senders expect.
  app.use('*', (c, next) => (c.req.path === OTLP_METRICS_PATH ? next() : limitBody(c, next)));
  app.use('*', rejectNulInUrl);

  // Browsers (which ask for HTML) go to the web UI; API clients get the JSON index.
  app.get('/', (c, next) => (/\btext\/html\b/.test(c.req.header('accept') ?? '') ? c.redirect('/ui/incidents', 303) : next()));
  app.get('/', (c) =>
    c.json({
      name: 'sightline',
      version: deps.version,
      endpoints: {
        health: '/healthz',
        ready: '/readyz',
        metrics: '/metrics',
        incidents: '/api/v1/incidents',
        agents: '/api/v1/agents',
        services: '/api/v1/services',
        sla: '/api/v1/sla',
        capacity: '/api/v1/capacity',
        hosts: '/api/v1/hosts',
        silences: '/api/v1/silences',
        recurringSilences: '/api/v1/recurring-silences',
        changes: '/api/v1/changes',
        alerts: '/api/v1/alerts',
        stats: '/api/v1/stats',
        ui: '/ui/',
        problemCandidates: '/api/v1/problem-candidates',
        mcp: MCP_PATH,
        problems: '/api/v1/problems',
        knownErrors: '/api/v1/known-errors',
        ingest: ['/api/v1/alerts', '/api/v1/alerts/alertmanager', '/api/v2/alerts', '/api/v1/alerts/grafana', '/v2/enqueue', '/v2/change/enqueue', '/api/v1/changes/github', '/api/v1/changes/argocd', OTLP_METRICS_PATH],
      },
    }),
  );

  app.get('/healthz', (c) => c.json({ status: 'ok' }));

  app.get('/readyz', async (c) => {
    // Logged by the availability tracker once per outage, not once per check.
    const fault = await deps.availability.check();
    if (fault) {
      c.header('Retry-After', String(DATABASE_RETRY_AFTER_SECONDS));
      return c.json(errorBody(c, 'UNAVAILABLE', `the database cannot take writes (${fault.code})`, { cause: fault.code }), 503);
    }
    if (deps.ingestRunning && !deps.ingestRunning()) return c.json(errorBody(c, 'UNAVAILABLE', 'the ingest thread is restarting'), 503);
    return c.json({ status: 'ready', database: deps.handle.dialect });
  });

  if (deps.config.metrics.requireToken) app.use('/metrics', requireScope(deps.authenticator, 'read'));
  app.get('/metrics', async (c) => {
    const body = await deps.metrics.registry.metrics();
    return c.body(body, 200, { 'Content-Type': deps.metrics.registry.contentType });
  });

  app.route('/', ingestRoutes({ ...deps }));
  const incidentSla = async (id: number) => {
    const result = await getIncidentSla({ ...deps, globalTargets: deps.config.sla.targets }, id);
    return result.ok ? presentIncidentSla(result.value) : null;
  };
  const slaSignals = async (id: number) => presentIncidentSignals(await listIncidentSignals(deps, id));
  const changeAnalysis = { handle: deps.handle, graph: () => deps.catalogue.graph(), options: changeRankOptionsOf(deps.config) };
  const incidentChanges = async (incident: IncidentRecord) => (await changesOfIncident(changeAnalysis, incident)).map(presentRankedChange);
  app.route('/', incidentRoutes({ handle: deps.handle, clock: deps.clock, authenticator: deps.authenticator, resolveHoldDownMs: deps.config.correlation.resolveHoldDown, incidentSla, slaSignals, incidentChanges }));
  app.route('/', postmortemRoutes({ handle: deps.handle, clock: deps.clock, catalogue: deps.catalogue, globalTargets: deps.config.sla.targets, authenticator: deps.authenticator, changeAnalysis }));
  app.route('/', mcpRoutes({ handle: deps.handle, clock: deps.clock, catalogue: deps.catalogue, slaCache: deps.slaCache, forecastHorizonMs: deps.config.capacity.forecastHorizon, version: deps.version, log: deps.log, authenticator: deps.authenticator }));
  app.route('/', agentRoutes({ handle: deps.handle, clock: deps.clock, correlator: deps.correlator, authenticator: deps.authenticator, timeSkew: deps.config.ingest.timeSkew }));
  app.route('/', serviceRoutes({ handle: deps.handle, catalogue: deps.catalogue, authenticator: deps.authenticator, clock: deps.clock, changeLookbackMs: deps.config.changeAnalysis.lookback }));
  app.route('/', capacityRoutes({ handle: deps.handle, clock: deps.clock, authenticator: deps.authenticator, admission: deps.admission, maxConcurrentIngests: deps.config.capacity.maxConcurrentIngests, forecastHorizonMs: deps.config.capacity.forecastHorizon, log: deps.log }));
  app.route('/', slaRoutes({ handle: deps.handle, clock: deps.clock, catalogue: deps.catalogue, cache: deps.slaCache, globalTargets: deps.config.sla.targets, authenticator: deps.authenticator }));
  app.route('/', silenceRoutes({ handle: deps.handle, clock: deps.clock, kick: () => deps.correlator.kick(true), authenticator: deps.authenticator, timeSkew: deps.config.ingest.timeSkew }));
  app.route('/', recurringSilenceRoutes({ handle: deps.handle, clock: deps.clock, kick: () => deps.correlator.kick(true), authenticator: deps.authenticator }));
  app.route('/', changeRoutes({ handle: deps.handle, clock: deps.clock, catalogue: deps.catalogue, kick: () => deps.correlator.kick(true), authenticator: deps.authenticator, admission: deps.admission, config: deps.config }));
  app.route('/', notificationRoutes({ handle: deps.handle, authenticator: deps.authenticator }));
  app.route('/', problemRoutes({ handle: deps.handle, clock: deps.clock, log: deps.log, options: problemOptionsOf(deps.config.problems), authenticator: deps.authenticator, metrics: deps.problemMetrics }));
  app.route('/', tokenRoutes({ db: deps.handle.db, clock: deps.clock, authenticator: deps.authenticator }));
  app.route('/', uiRoutes({ handle: deps.handle, clock: deps.clock, kickCorrelator: () => deps.correlator.kick(true), timeSkew: deps.config.ingest.timeSkew, catalogue: deps.catalogue, authenticator: deps.authenticator, adminTokenConfigured: deps.config.adminToken !== null, resolveHoldDownMs: deps.config.correlation.resolveHoldDown, capacityForecastHorizonMs: deps.config.capacity.forecastHorizon, slaTargets: deps.config.sla.targets, changeRank: changeRankOptionsOf(deps.config) }));
  app.route('/', clusterRoutes({ leadership: deps.leadership, authenticator: deps.authenticator }));
  app.route('/', deadLetterRoutes({ handle: deps.handle, clock: deps.clock, authenticator: deps.authenticator }));
  app.route('/', oncallRoutes({ handle: deps.handle, clock: deps.clock, authenticator: deps.authenticator }));

  app.notFound((c) => c.json(errorBody(c, 'NOT_FOUND', `no route for ${c.req.method} ${c.req.path}`), 404));

  app.onError((error, c) => {
    if (error instanceof InFlightLimitError) {
      c.header('Retry-After', String(IN_FLIGHT_RETRY_AFTER_SECONDS));
      return c.json(errorBody(c, 'RATE_LIMITED', error.message, { reason: 'in-flight', retryAfterSeconds: IN_FLIGHT_RETRY_AFTER_SECONDS }), 429);
    }
    if (isClientAbort(error)) {
      deps.log.info({ requestId: c.get('requestId'), method: c.req.method, path: c.req.path }, 'client closed the connection before sending its whole body');
      return c.json(errorBody(c, 'VALIDATION', 'request body incomplete: the connection closed'), 400);
    }
    if (error instanceof IngestUnavailableError) {
      c.header('Retry-After', '1');
      return c.json(errorBody(c, 'UNAVAILABLE', `alerts cannot be stored right now: ${error.message}`), 503);
    }
    // A database outage is logged when it starts and ends (services/database-availability.ts).
    // The body names the driver's code only: its message may name internal hosts.
    const fault = deps.availability.failed(error);
    if (fault) {
      const code = fault.code;
      c.header('Retry-After', String(DATABASE_RETRY_AFTER_SECONDS));
      return c.json(errorBody(c, 'UNAVAILABLE', `the database is unavailable (${code}); retry later`, { cause: code, retryAfterSeconds: DATABASE_RETRY_AFTER_SECONDS }), 503);
    }
    deps.log.error({ err: error, requestId: c.get('requestId'), method: c.req.method, path: c.req.path }, 'unhandled error');
    return c.json(errorBody(c, 'INTERNAL', 'internal error; the request id identifies it in the server log'), 500);
  });

  return app;
}
