/**
 * @module Wiring: configuration → database → services → HTTP, plus the background
 * correlator. Everything else receives what it needs from here.
 */
import { changeRankOptionsOf, doraByService } from './services/change-analysis.js';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { serve, type ServerType } from '@hono/node-server';
import type { Logger } from 'pino';
import type { ServerConfig } from './config.js';
import { countPendingEvents } from './db/alert-events-repo.js';
import { createWriteTurns, migrateDatabase, openCheckedDatabase, probeWrites, pingDatabase, type DatabaseHandle } from './db/connection.js';
import { markDatabaseCreated } from './db/data-dir.js';
import { countOpenIncidentsByPriority } from './db/incidents-repo.js';
import { countProblemManagement } from './db/problems-repo.js';
import { countBreachedTargets } from './db/sla-repo.js';
import { PPM } from './domain/sla.js';
import { createApp } from './http/app.js';
import { systemClock, type Clock } from './services/clock.js';
import { detectSilentAgents } from './services/agents.js';
import { createAdmissionControl, type AdmissionControl } from './services/admission.js';
import { evaluateCapacity, rollUpCapacity } from './services/capacity.js';
import { raiseCapacityAlerts } from './services/capacity-alerts.js';
import { createCatalogue, type Catalogue } from './services/catalogue.js';
import { applyRecurringSilencesConfig } from './services/recurring-silences.js';
import { createDatabaseAvailability, type DatabaseAvailability } from './services/database-availability.js';
import { correlatorSettings, createCorrelator, type Correlator } from './services/correlator.js';
import { countSetAsideEvents } from './services/dead-letters.js';
import { createNotifier, type Notifier } from './services/notifications.js';
import { applyOnCallConfig } from './services/oncall.js';
import { computeIncidentStats } from './services/incidents.js';
import { createEventWriter, type EventWriter } from './services/ingest-alerts.js';
import { startIngestThread, type IngestThread } from './services/ingest-thread.js';
import { createLeadership, type Leadership } from './services/leadership.js';
import { createLogger } from './services/logger.js';
import { createServerMetrics, type ServerMetrics } from './services/metrics.js';
import { createSlaCache, evaluateServiceSlas, type SlaCache } from './services/sla.js';
import { runSlaEvaluation } from './services/sla-job.js';
import { registerProblemMetrics, type ProblemMetrics } from './services/problem-metrics.js';
import { problemOptionsOf, recognizeKnownErrors, refreshProblemCandidates } from './services/problems.js';
import { bootstrapAdminToken, createAuthenticator } from './services/tokens.js';
import { packageVersion } from './version.js';

export { createLogger };

export interface Runtime {
  config: Readonly<ServerConfig>;
  handle: DatabaseHandle;
  clock: Clock;
  metrics: ServerMetrics;
  correlator: Correlator;
  notifier: Notifier;
  writer: EventWriter;
  admission: AdmissionControl;
  catalogue: Catalogue;
  /** SQLite: alerts are stored and correlated on a thread of their own (services/ingest-thread.ts); else null. */
  ingestThread: IngestThread | null;
  /** Whether the database takes writes; database faults are reported to it, not logged each time. */
  availability: DatabaseAvailability;
  /** Whether this replica runs the correlator and the periodic jobs (always, on SQLite). */
  leadership: Leadership;
  problemMetrics: ProblemMetrics;
  slaCache: SlaCache;
  app: ReturnType<typeof createApp>;
  log: Logger;
  /** Set on the first start when no admin token exists yet: shown once, never stored in clear. */
  bootstrapToken: string | null;
  close(): Promise<void>;
}

/** Opens and migrates the database and builds every service; starts nothing in the background. */
export async function createRuntime(
  config: Readonly<ServerConfig>,
  options: {
    clock?: Clock;
    log?: Logger;
    defaultMetrics?: boolean;
    /** SQLite: run `PRAGMA quick_check` before anything else and refuse a damaged file (default true). */
    integrityCheck?: boolean;
  } = {},
): Promise<Runtime> {
  const clock = options.clock ?? systemClock;
  const log = options.log ?? createLogger(config);
  const version = packageVersion();
  // SQLite on the real clock: storing and correlating run on a thread of their own (see
  // services/ingest-thread.ts), whose connection takes turns at the write lock with this one.
  // PostgreSQL, or a test's manual clock: on this thread.
  const turns = !config.databaseUrl && config.ingest.thread && !options.clock ? createWriteTurns() : null;
  // Created before the connection, which tells it of connections the server ended.
  let opened: DatabaseHandle | null = null;
  const availability = createDatabaseAvailability(log, {
    probe: () => (opened ? probeWrites(opened, clock.now()) : Promise.reject(new Error('the database is not open'))),
    ping: () => (opened ? pingDatabase(opened) : Promise.reject(new Error('the database is not open'))),
  });
  const handle = await openCheckedDatabase(
    {
      dataDir: config.dataDir,
      databaseUrl: config.databaseUrl,
      sqliteSynchronous: config.sqliteSynchronous,
      onConnectionError: (error) => availability.failed(error),
      ...(turns ? { writeTurns: { role: 'main' as const, waiting: turns } } : {}),
    },
    options.integrityCheck ?? true,
  ).catch((error: unknown) => {
    availability.close();
    throw error;
  });
  opened = handle;
  try {
    await migrateDatabase(handle);
  } catch (error) {
    availability.close();
    await handle.close();
    throw error;
  }
  if (handle.dialect === 'sqlite') markDatabaseCreated(config.dataDir, clock.now());
  // Whatever started before a later step failed is stopped again (the thread, the connection).
  let thread: IngestThread | null = null;
  try {
    const metrics = createServerMetrics(version, { defaultMetrics: options.defaultMetrics ?? true });
    const catalogue = await createCatalogue(handle, clock, config.services);
    await applyOnCallConfig({ handle, clock }, config.oncall);
    await applyRecurringSilencesConfig({ handle, clock }, config.silences.recurring);
    const admission = createAdmissionControl(clock, { maxBacklog: config.ingest.maxBacklog, ...config.ingest.rateLimit });
    admission.setBacklog(await countPendingEvents(handle.db));
    const leadership = createLeadership(
      handle,
      {
        replicaId: config.cluster.replicaId ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`,
        leaseTtlMs: config.cluster.leaseTtl,
        renewIntervalMs: config.cluster.renewInterval,
        retryIntervalMs: config.cluster.retryInterval,
        faults: availability,
      },
      log,
      { leading: (on) => metrics.leader.set(on ? 1 : 0), changed: (event) => metrics.leadershipChanges.inc({ event }) },
    );
    thread = turns ? await startIngestThread(config, turns, { log, metrics, onApplied: (count) => admission.correlated(count), faults: availability }) : null;
    const ingestThread = thread;
    if (ingestThread) {
      catalogue.onChange(() => ingestThread.catalogueChanged());
      log.info('ingest: storing and correlating alerts on a thread of their own');
    }
    const correlator =
      ingestThread?.correlator ??
      createCorrelator(
        handle,
        clock,
        { ...correlatorSettings(config), catalogue: () => catalogue.graph(), onApplied: (count) => admission.correlated(count), leadership, faults: availability },
        metrics,
        log,
      );
    // Runs even without webhooks: its cursor keeps up, so a webhook added later starts from now.
    const notifier = createNotifier(config.notifications, handle, clock, log, {
      publicUrl: config.publicUrl,
      faults: availability,
      changeAnalysis: { graph: () => catalogue.graph(), options: changeRankOptionsOf(config) },
    });
    const slaCache = createSlaCache(config.sla.cacheTtl);
    metrics.setScrapeSources({
      openIncidentsByPriority: () => countOpenIncidentsByPriority(handle.db),
      responseTimes: async () => {
        const now = clock.now();
        const stats = await computeIncidentStats({ handle, clock }, now - 30 * 86_400_000, now + 1);
        return { mttaSeconds: stats.overall.mttaSeconds, mttrSeconds: stats.overall.mttrSeconds };
      },
      pendingEvents: () => countPendingEvents(handle.db),
      deadLetters: () => countSetAsideEvents({ handle }),
      serviceSlas: async () =>
        (await evaluateServiceSlas({ handle, clock, catalogue, cache: slaCache })).map((s) => ({
          service: s.service,
          sli: s.current.availability.sli,
          objective: s.policy.objectivePpm / PPM,
          budgetRemainingRatio: s.current.availability.budgetRemainingRatio,
          burnRates: s.current.burn.burnRates,
        })),
      breachedTargets: () => countBreachedTargets(handle.db, clock.now() - 30 * 86_400_000),
      dora: () => doraByService({ handle, lookbackMs: config.changeAnalysis.lookback }, clock.now()),
      capacity: async () =>
        (await evaluateCapacity({ handle, clock }, { backtest: false })).flatMap((h) =>
          h.resources
            .filter((r) => r.resource !== 'network')
            .map((r) => ({ host: r.host, resource: r.resource, mountpoint: r.mountpoint, daysUntilFull: r.forecast?.daysUntilFull ?? null, fullBetween: r.forecast?.fullBetween ?? null, p95: r.forecast?.p95 ?? null })),
        ),
    });
    const problemMetrics = registerProblemMetrics(metrics.registry, () => countProblemManagement(handle.db));
    const authenticator = createAuthenticator(handle.db, clock, config.adminToken);
    const bootstrapToken = await bootstrapAdminToken(handle.db, clock, config.adminToken);
    const writer = ingestThread?.writer ?? createEventWriter(handle, { stored: () => correlator.kick() });
    const app = createApp({
      config,
      handle,
      clock,
      metrics,
      correlator,
      writer,
      admission,
      catalogue,
      authenticator,
      log,
      version,
      leadership,
      problemMetrics,
      slaCache,
      availability,
      ...(ingestThread ? { ingestRunning: () => ingestThread.running() } : {}),
    });
    return {
      config,
      handle,
      clock,
      metrics,
      correlator,
      notifier,
      writer,
      admission,
      catalogue,
      ingestThread,
      availability,
      leadership,
      problemMetrics,
      slaCache,
      app,
      log,
      bootstrapToken,
      async close() {
        await correlator.stop();
        await notifier.stop();
        await ingestThread?.close();
        availability.close();
        await handle.close();
      },
    };
  } catch (error) {
    availability.close();
    await thread?.close().catch(() => {});
    await handle.close();
    throw error;
  }
}

export interface RunningServer {
  runtime: Runtime;
  url: string;
  stop(): Promise<void>;
}

/** The URL to show people: wildcard listen addresses become localhost. */
export function serverUrl(host: string, port: number): string {
  const shown = host === '0.0.0.0' || host === '::' ? 'localhost' : host;
  return `http://${shown.includes(':') ? `[${shown}]` : shown}:${port}`;
}

/**
 * Starts what runs in the background: the correlator (with housekeeping), the notifier and
 * the periodic jobs run only on the leader (see services/leadership.ts; on SQLite the one
 * process always leads). A periodic job is a plain `setInterval` whose tick starts with
 * `if (!leading()) return;`. Returns a function that stops everything.
 */
export function startBackgroundJobs(runtime: Runtime): () => Promise<void> {
  const interval = runtime.config.correlation.housekeepingInterval;
  const leading = () => runtime.leadership.isLeader();
  /** A failed background pass: logged unless it is a database outage (that is logged once, by the availability tracker). */
  const jobFailed = (error: unknown, level: 'warn' | 'error', message: string) => {
    if (!runtime.availability.failed(error)) runtime.log[level]({ err: error }, message);
  };
  const unfollow = runtime.leadership.onChange(async (lead) => {
    if (lead) {
      runtime.correlator.start(interval);
      runtime.notifier.start(1_000);
    } else {
      await runtime.correlator.stop();
      await runtime.notifier.stop();
    }
  });
  // PostgreSQL: the other replicas store events too. The leader polls for them, and every
  // replica takes the backlog it answers 429 on from the database, not from its own count.
  const cluster =
    runtime.handle.dialect === 'postgres'
      ? [
          setInterval(() => {
            if (leading()) runtime.correlator.kick();
          }, runtime.config.cluster.pollInterval),
          setInterval(() => {
            countPendingEvents(runtime.handle.db)
              .then((n) => runtime.admission.setBacklog(n))
              .catch((error: unknown) => {
                jobFailed(error, 'warn', 'could not count the pending events; will retry');
              });
          }, 2_000),
        ]
      : [];
  for (const timer of cluster) timer.unref();
  // A background job must never throw; a failed pass is logged and retried (a database outage
  // is logged once, by the availability tracker).
  const liveness = setInterval(() => {
    if (!leading()) return;
    detectSilentAgents(runtime).catch((error: unknown) => {
      jobFailed(error, 'error', 'agent liveness check failed; will retry');
    });
  }, interval);
  liveness.unref();
  const capacity = setInterval(() => {
    if (!leading()) return;
    rollUpCapacity(runtime, runtime.config.capacity.retention)
      .then(() => raiseCapacityAlerts(runtime, runtime.config.capacity.alerts))
      .catch((error: unknown) => {
        runtime.metrics.capacityRollupErrors.inc();
        jobFailed(error, 'error', 'capacity roll-up or alert evaluation failed; will retry');
      });
  }, 5 * 60_000);
  capacity.unref();
  // The forecasts read 30 days of roll-ups and keep the settled hours in this process: read
  // them at start and again soon after each hour turns, on every replica, so no page load
  // pays for the read (cheap while the kept hours are current).
  const warmForecasts = () => {
    evaluateCapacity(runtime, { backtest: false }).catch((error: unknown) => jobFailed(error, 'warn', 'could not read the capacity forecasts ahead of a page load; will retry'));
  };
  const forecastWarmUp = setTimeout(warmForecasts, 0);
  const forecastRefresh = setInterval(warmForecasts, 60_000);
  forecastWarmUp.unref();
  forecastRefresh.unref();
  // Problem management: re-cluster candidates, and recognise known errors in open incidents.
  const problemDeps = { handle: runtime.handle, clock: runtime.clock, log: runtime.log, options: problemOptionsOf(runtime.config.problems) };
  const problemTimers: NodeJS.Timeout[] = [];
  const problemPass = (name: string, pass: () => Promise<unknown>) => () => {
    if (!leading()) return;
    pass().catch((error: unknown) => {
      runtime.problemMetrics.refreshErrors.inc();
      jobFailed(error, 'error', `${name} failed; will retry`);
    });
  };
  if (runtime.config.problems.refreshInterval > 0) {
    const refresh = problemPass('problem candidate refresh', async () => {
      const stop = runtime.problemMetrics.refreshDuration.startTimer();
      await refreshProblemCandidates(problemDeps);
      stop();
      await recognizeKnownErrors(problemDeps);
    });
    // Stored candidates survive restarts, so the first refresh waits a full interval.
    problemTimers.push(setInterval(refresh, runtime.config.problems.refreshInterval));
  }
  if (runtime.config.problems.recognitionInterval > 0) problemTimers.push(setInterval(problemPass('known-error recognition', () => recognizeKnownErrors(problemDeps)), runtime.config.problems.recognitionInterval));
  for (const t of problemTimers) t.unref();
  // Burn-rate alerts and response/resolution warnings.
  let slaPass: Promise<unknown> | null = null;
  const sla = setInterval(() => {
    if (!leading()) return;
    // A slow pass is never overlapped by the next one.
    slaPass ??= runSlaEvaluation({ ...runtime, cache: runtime.slaCache, globalTargets: runtime.config.sla.targets })
      .catch((error: unknown) => {
        runtime.metrics.slaEvaluationErrors.inc();
        jobFailed(error, 'error', 'SLA evaluation failed; will retry');
      })
      .finally(() => (slaPass = null));
  }, runtime.config.sla.evaluationInterval);
  sla.unref();
  runtime.leadership.start();
  return async () => {
    clearTimeout(forecastWarmUp);
    clearInterval(forecastRefresh);
    for (const t of problemTimers) clearInterval(t);
    clearInterval(sla);
    await slaPass;
    clearInterval(capacity);
    clearInterval(liveness);
    for (const timer of cluster) clearInterval(timer);
    // Stops the leader's work first, then hands the lease over.
    await runtime.leadership.stop();
    unfollow();
    await runtime.correlator.stop();
    await runtime.notifier.stop();
  };
}

export async function startServer(config: Readonly<ServerConfig>, options: { log?: Logger; integrityCheck?: boolean } = {}): Promise<RunningServer> {
  const runtime = await createRuntime(config, options);
  const stopJobs = startBackgroundJobs(runtime);
  let server: ServerType;
  try {
    server = await new Promise((resolve, reject) => {
      const s = serve({ fetch: runtime.app.fetch, hostname: config.host, port: config.port }, () => resolve(s));
      s.once('error', reject);
    });
  } catch (error) {
    // E.g. the port is taken: stop what started, so the process can exit with the error.
    await stopJobs();
    await runtime.close();
    throw error;
  }
  const address = server.address();
  const url = serverUrl(config.host, typeof address === 'object' && address ? address.port : config.port);
  let stopping: Promise<void> | null = null;
  return {
    runtime,
    url,
    stop() {
      stopping ??= (async () => {
        await stopJobs();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await runtime.close();
      })();
      return stopping;
    },
  };
}
