/**
 * @module Server configuration: an optional YAML file, then environment overrides,
 * validated once with zod. Every problem is reported together; the result is frozen.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { LABEL_NAME } from './domain/alert.js';
import { Duration } from './domain/duration.js';
import { DEFAULT_IDENTIFYING_LABELS } from './correlate/evidence.js';
import { Matchers } from './domain/matchers.js';
import { NOTIFICATION_EVENTS } from './domain/notification.js';
import { ONCALL_NAME, ScheduleEntry, UserEntry } from './domain/oncall.js';
import { RecurringSilenceEntry } from './domain/recurring-silence.js';
import { ServiceEntry } from './domain/service.js';
import { CapacityConfig } from './domain/capacity-config.js';
import { SlaTargetsEntry } from './domain/sla.js';
import { StringMap } from './domain/string-map.js';
import { DEFAULT_TIME_SKEW } from './domain/time.js';
import { DEFAULT_ALERT_LIMITS } from './ingest/limits.js';

/** 16 MiB: three requests of the default 5 MiB body limit held at once, or thousands of small ones. */
const DEFAULT_MAX_IN_FLIGHT_BYTES = 16 * 1024 * 1024;


const PORT_EXPECTED = 'expected a port number from 0 to 65535';
const Port = z.coerce.number({ error: PORT_EXPECTED }).int(PORT_EXPECTED).min(0, PORT_EXPECTED).max(65535, PORT_EXPECTED);
const Bool = z.union([z.boolean(), z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((v) => ['true', '1', 'yes'].includes(v))], {
  error: 'expected true or false (or yes/no, 1/0)',
});

/** `{name, ...entry}`, the entry validated by the domain's schema; its problems keep their path. */
function named<T extends z.ZodType<object>>(entry: T) {
  return z.looseObject({ name: z.string().regex(ONCALL_NAME, 'must start with a letter or digit, then letters, digits or _ . : @ - (at most 128)') }).transform((value, ctx) => {
    const { name, ...rest } = value;
    const parsed = entry.safeParse(rest);
    if (parsed.success) return { ...(parsed.data as z.output<T>), name };
    for (const issue of parsed.error.issues) ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
    return z.NEVER;
  });
}

/** On-call people and schedules put in place at start; the file wins for the names it defines. */
const OnCallConfig = z
  .strictObject({ users: z.array(named(UserEntry)).default([]), schedules: z.array(named(ScheduleEntry)).default([]) })
  .superRefine((config, ctx) => {
    const users = new Set<string>();
    config.users.forEach((u, i) => {
      if (users.has(u.name)) ctx.addIssue({ code: 'custom', path: ['users', i, 'name'], message: `user ${u.name} is defined twice` });
      users.add(u.name);
    });
    const schedules = new Set<string>();
    config.schedules.forEach((s, i) => {
      if (schedules.has(s.name)) ctx.addIssue({ code: 'custom', path: ['schedules', i, 'name'], message: `schedule ${s.name} is defined twice` });
      schedules.add(s.name);
      s.layers.forEach((layer, j) =>
        layer.users.forEach((user, k) => {
          if (!users.has(user)) ctx.addIssue({ code: 'custom', path: ['schedules', i, 'layers', j, 'users', k], message: `unknown user ${user} (list it under oncall.users)` });
        }),
      );
    });
  });

export const ServerConfig = z
  .object({
    host: z.string().min(1).default('0.0.0.0'),
    port: Port.default(8080),
    dataDir: z.string().min(1).default('./data'),
    databaseUrl: z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
      .nullable()
      .default(null),
    sqliteSynchronous: z.enum(['NORMAL', 'FULL']).default('NORMAL'),
    adminToken: z.string().min(16, 'must be at least 16 characters').nullable().default(null),
    bodyLimitBytes: z.coerce.number().int().min(1024).default(5 * 1024 * 1024),
    /** Where people reach this server (behind any proxy), for links in notifications; no trailing slash needed. */
    publicUrl: z
      .url({ protocol: /^https?$/ })
      .transform((u) => u.replace(/\/+$/, ''))
      .nullable()
      .default(null),
    metrics: z.strictObject({ requireToken: Bool.default(false) }).default({ requireToken: false }),
    log: z.strictObject({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info') }).default({ level: 'info' }),
    ingest: z
      .strictObject({
        /** Alertmanager's resolve_timeout: the lease of an API v2 alert sent without endsAt. */
        resolveTimeout: Duration.default(5 * 60_000),
        /** How far from the server's clock a time sent in (an alert's start or end, a heartbeat) may lie; further is refused with 400. */
        timeSkew: z
          .strictObject({ past: Duration.default(DEFAULT_TIME_SKEW.past), future: Duration.default(DEFAULT_TIME_SKEW.future) })
          .default({ ...DEFAULT_TIME_SKEW }),
        grafana: z
          .strictObject({
            hmacSecret: z.string().min(1).nullable().default(null),
            timestampHeader: z.string().min(1).nullable().default(null),
            maxSkew: Duration.default(5 * 60_000),
          })
          .default({ hmacSecret: null, timestampHeader: null, maxSkew: 5 * 60_000 }),
        pagerduty: z
          .strictObject({ integrationKeys: z.array(z.string().min(8)).default([]) })
          .default({ integrationKeys: [] }),
        /** Above this many stored-but-uncorrelated events, ingest answers 429 with Retry-After. */
        maxBacklog: z.coerce.number().int().min(1).default(500_000),
        /** Per-token request rate on ingest endpoints (token bucket); 0 = unlimited. */
        rateLimit: z
          .strictObject({ requestsPerSecond: z.coerce.number().min(0).default(0), burst: z.coerce.number().int().min(1).default(100) })
          .default({ requestsPerSecond: 0, burst: 100 }),
        /**
         * SQLite: store and correlate alerts on a thread of their own, so parsing requests and
         * writing them run on two cores. Off: everything on the main thread.
         */
        thread: Bool.default(true),
        /** More alerts in one request: 413, nothing stored. */
        maxAlertsPerRequest: z.coerce.number().int().min(1).default(DEFAULT_ALERT_LIMITS.maxAlertsPerRequest),
        /** More labels (or annotations) on one alert: that alert is rejected. */
        maxLabelsPerAlert: z.coerce.number().int().min(1).default(DEFAULT_ALERT_LIMITS.maxLabelsPerAlert),
        /** UTF-8 bytes of a label or annotation name or value: a longer label rejects its alert, a longer annotation is cut (and reported). */
        maxValueBytes: z.coerce.number().int().min(256).default(DEFAULT_ALERT_LIMITS.maxValueBytes),
        /** Request bodies held at once, all endpoints together; more get 429 with Retry-After. */
        maxInFlightBytes: z.coerce.number().int().min(1024).default(DEFAULT_MAX_IN_FLIGHT_BYTES),
      })
      .default({
        resolveTimeout: 5 * 60_000,
        timeSkew: { ...DEFAULT_TIME_SKEW },
        grafana: { hmacSecret: null, timestampHeader: null, maxSkew: 5 * 60_000 },
        pagerduty: { integrationKeys: [] },
        maxBacklog: 500_000,
        rateLimit: { requestsPerSecond: 0, burst: 100 },
        thread: true,
        ...DEFAULT_ALERT_LIMITS,
        maxInFlightBytes: DEFAULT_MAX_IN_FLIGHT_BYTES,
      }),
    correlation: z
      .strictObject({
        groupBy: z.array(z.string().regex(LABEL_NAME, 'must be a label name')).nullable().default(null),
        joinWindow: Duration.default(10 * 60_000),
        maxIncidentSpan: Duration.default(24 * 3_600_000),
        resolveHoldDown: Duration.default(5 * 60_000),
        /** A re-fire within this long of its own previous episode rejoins that incident; default: the resolve hold-down. */
        reopenWindow: Duration.nullable().default(null),
        closeAfter: Duration.default(24 * 3_600_000),
        housekeepingInterval: Duration.default(5_000),
        /** Applied events older than this leave the alert event log (never one not yet applied). */
        logRetention: Duration.default(35 * 86_400_000),
        /** Applying one event taking longer than this sets it aside (a dead letter) instead of holding correlation. */
        eventBudget: Duration.default(5_000),
        topologyHops: z.number().int().min(0).max(10).default(2),
        /** Topology layer timing from an incident's opening: per hop down to dependants, and for a late dependency. */
        topologySpreadPerHop: Duration.default(5 * 60_000),
        topologyUpstreamWindow: Duration.default(2 * 60_000),
        /**
         * A fault's alerts on its own root-cause service come within this long of its incident's
         * opening: once the incident has spread to other services, a new alert on the root later is
         * a new fault there and does not join it by key, topology or similarity (re-fires and
         * explicit rules still do). Null: off.
         */
        rootOnsetWindow: Duration.nullable().default(2 * 60_000),
        /**
         * When a service's alerts reach an incident as its root-cause candidate, merge into it the
         * fresh incidents that only its dependants' symptoms opened (untouched by people).
         */
        mergeSymptomIncidents: Bool.default(true),
        /**
         * A fault's alerts on one service come in a burst: once an incident holds an alert on a
         * service, that service's further alerts within this long of its first one join it by
         * topology even after the spread time for its distance has passed. Null: off.
         */
        serviceOnsetWindow: Duration.nullable().default(2 * 60_000),
        /**
         * An alert on a service where a change began between `from` and `to` before it (after the
         * incident opened, before its fault reached the service) is the change's fault, not a
         * symptom joining that incident by topology from `minHops` away. Null: off.
         */
        changeOnset: z
          .strictObject({ from: Duration.default(4 * 60_000), to: Duration.default(15 * 60_000), minHops: z.number().int().min(1).max(10).default(2) })
          .nullable()
          .default({ from: 4 * 60_000, to: 15 * 60_000, minHops: 2 }),
        /** Switch the topology and similarity layers off (for comparison, or where they do not fit). */
        layers: z
          .strictObject({ topology: Bool.default(true), similarity: Bool.default(true) })
          .default({ topology: true, similarity: true }),
        /** Explicit grouping rules, tried in order before the default grouping key. */
        rules: z
          .array(
            z.strictObject({
              name: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'letters, digits and _ . - (at most 64)'),
              match: Matchers,
              groupBy: z.array(z.string().regex(LABEL_NAME, 'must be a label name')).default([]),
              joinWindow: Duration.nullable().default(null),
            }),
          )
          .default([]),
        flap: z
          .strictObject({ window: Duration.default(30 * 60_000), threshold: z.number().int().min(2).max(100).default(4) })
          .default({ window: 30 * 60_000, threshold: 4 }),
        /** Alertmanager-style inhibition: a firing source mutes matching targets with the same `equal` labels. */
        inhibitRules: z
          .array(
            z.strictObject({
              sourceMatch: Matchers,
              targetMatch: Matchers,
              equal: z.array(z.string().regex(LABEL_NAME, 'must be a label name')).default([]),
            }),
          )
          .default([]),
        similarity: z
          .strictObject({
            sameHost: Bool.default(true),
            titleThreshold: z.number().min(0).max(1).default(0.75),
            /** Labels naming who or what an alert is about (source address, user, process …): shared ones are evidence of one fault. */
            identifyingLabels: z.array(z.string().regex(LABEL_NAME, 'must be a label name')).max(100).default([...DEFAULT_IDENTIFYING_LABELS]),
          })
          .default({ sameHost: true, titleThreshold: 0.75, identifyingLabels: [...DEFAULT_IDENTIFYING_LABELS] }),
      })
      .default({
        groupBy: null,
        joinWindow: 600_000,
        maxIncidentSpan: 86_400_000,
        resolveHoldDown: 300_000,
        reopenWindow: null,
        closeAfter: 86_400_000,
        housekeepingInterval: 5_000,
        logRetention: 35 * 86_400_000,
        eventBudget: 5_000,
        topologyHops: 2,
        topologySpreadPerHop: 5 * 60_000,
        topologyUpstreamWindow: 2 * 60_000,
        rootOnsetWindow: 2 * 60_000,
        mergeSymptomIncidents: true,
        serviceOnsetWindow: 2 * 60_000,
        changeOnset: { from: 4 * 60_000, to: 15 * 60_000, minHops: 2 },
        layers: { topology: true, similarity: true },
        rules: [],
        flap: { window: 30 * 60_000, threshold: 4 },
        inhibitRules: [],
        similarity: { sameHost: true, titleThreshold: 0.75, identifyingLabels: [...DEFAULT_IDENTIFYING_LABELS] },
      }),
    services: z.array(ServiceEntry).default([]),
    /** "What changed?" on incidents (docs/change-analysis.md). */
    changeAnalysis: z
      .strictObject({
        /** Changes started at most this long before an incident's first alert are ranked. */
        lookback: Duration.default(2 * 3_600_000),
      })
      .default({ lookback: 2 * 3_600_000 }),
    /** Change intake (docs/changes.md). */
    changes: z
      .strictObject({
        /** GitHub `deployment_status` webhooks: the webhook's secret; unset, the endpoint refuses every delivery. */
        github: z.strictObject({ webhookSecret: z.string().min(16, 'must be at least 16 characters').nullable().default(null) }).default({ webhookSecret: null }),
      })
      .default({ github: { webhookSecret: null } }),
    /** Recurring silences and maintenance windows (docs/changes.md), applied at start. */
    silences: z
      .strictObject({
        recurring: z
          .array(RecurringSilenceEntry)
          .max(1000)
          .superRefine((entries, ctx) => {
            const seen = new Set<string>();
            entries.forEach((e, i) => {
              if (seen.has(e.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `${JSON.stringify(e.name)} is named twice` });
              seen.add(e.name);
            });
          })
          .default([]),
      })
      .default({ recurring: [] }),
    problems: z
      .strictObject({
        /** How often candidates are re-clustered (0 = only on request). */
        refreshInterval: Duration.default(3_600_000),
        /** The window of incidents clustered, by opening time. */
        lookback: Duration.default(90 * 86_400_000),
        minIncidents: z.number().int().min(2).max(100_000).default(3),
        seed: z.number().int().min(0).max(0xffffffff).default(1),
        /** How often new incidents are matched against known errors (0 = only after a refresh). */
        recognitionInterval: Duration.default(30_000),
        /** Refit vocabulary and IDF when this share of the terms is unknown to the frozen model. */
        refitUnknownTermRate: z.number().min(0).max(1).default(0.2),
      })
      .default({ refreshInterval: 3_600_000, lookback: 90 * 86_400_000, minIncidents: 3, seed: 1, recognitionInterval: 30_000, refitUnknownTermRate: 0.2 }),
    /** SLA evaluation (burn-rate signals, response/resolution warnings) and the targets of services without their own. */
    sla: z
      .strictObject({
        evaluationInterval: Duration.refine((ms) => ms >= 1000, 'must be at least 1s').default(60_000),
        /** How long one evaluation of every service is reused by /metrics and the API; 0 = never. */
        cacheTtl: Duration.default(10_000),
        targets: SlaTargetsEntry.default({}),
      })
      .default({ evaluationInterval: 60_000, cacheTtl: 10_000, targets: {} }),
    notifications: z
      .strictObject({
        webhooks: z
          .array(
            z.strictObject({
              name: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'letters, digits and _ . - (at most 64)'),
              url: z.url({ protocol: /^https?$/ }),
              /** `json`: Sightline's own payload; `slack`: a Slack-compatible `{"text", "blocks"}` message. */
              format: z.enum(['json', 'slack']).default('json'),
              events: z.array(z.enum(NOTIFICATION_EVENTS)).min(1).default([...NOTIFICATION_EVENTS]),
              headers: StringMap.default({}),
              /** Signs each body with HMAC-SHA256 (`X-Sightline-Signature`). */
              secret: z.string().min(16).nullable().default(null),
            }),
          )
          .default([]),
        timeout: Duration.default(10_000),
        maxAttempts: z.number().int().min(1).max(100).default(12),
        minBackoff: Duration.default(5_000),
        maxBackoff: Duration.default(15 * 60_000),
      })
      .default({ webhooks: [], timeout: 10_000, maxAttempts: 12, minBackoff: 5_000, maxBackoff: 900_000 }),
    capacity: CapacityConfig,
    oncall: OnCallConfig.default({ users: [], schedules: [] }),
    /** Several replicas on PostgreSQL: the leader lease (see docs/operations.md, "Running several replicas"). */
    cluster: z
      .strictObject({
        /** This replica's name in the lease; unique per process. Default: host name, pid and a random suffix. */
        replicaId: z.string().regex(/^[A-Za-z0-9_.:@-]{1,128}$/, 'letters, digits and _ . : @ - (at most 128)').nullable().default(null),
        leaseTtl: Duration.default(10_000),
        renewInterval: Duration.default(3_000),
        retryInterval: Duration.default(2_000),
        /** How often the leader looks for events stored by the other replicas. */
        pollInterval: Duration.default(250),
      })
      .refine((c) => c.renewInterval > 0 && c.renewInterval * 2 <= c.leaseTtl, { message: 'renewInterval must be positive and at most half of leaseTtl', path: ['renewInterval'] })
      .refine((c) => c.retryInterval > 0 && c.pollInterval > 0, { message: 'retryInterval and pollInterval must be positive', path: ['retryInterval'] })
      .default({ replicaId: null, leaseTtl: 10_000, renewInterval: 3_000, retryInterval: 2_000, pollInterval: 250 }),
  })
  .strict();
export type ServerConfig = z.output<typeof ServerConfig>;

/** Environment variables and the config path they override. */
const ENV_OVERRIDES: [string, string[]][] = [
  ['SIGHTLINE_HOST', ['host']],
  ['SIGHTLINE_PORT', ['port']],
  ['SIGHTLINE_DATA_DIR', ['dataDir']],
  ['DATABASE_URL', ['databaseUrl']],
  ['SIGHTLINE_SQLITE_SYNCHRONOUS', ['sqliteSynchronous']],
  ['SIGHTLINE_ADMIN_TOKEN', ['adminToken']],
  ['SIGHTLINE_BODY_LIMIT_BYTES', ['bodyLimitBytes']],
  ['SIGHTLINE_PUBLIC_URL', ['publicUrl']],
  ['SIGHTLINE_METRICS_REQUIRE_TOKEN', ['metrics', 'requireToken']],
  ['SIGHTLINE_LOG_LEVEL', ['log', 'level']],
  ['SIGHTLINE_RESOLVE_TIMEOUT', ['ingest', 'resolveTimeout']],
  ['SIGHTLINE_INGEST_TIME_SKEW_PAST', ['ingest', 'timeSkew', 'past']],
  ['SIGHTLINE_INGEST_TIME_SKEW_FUTURE', ['ingest', 'timeSkew', 'future']],
  ['SIGHTLINE_GRAFANA_HMAC_SECRET', ['ingest', 'grafana', 'hmacSecret']],
  ['SIGHTLINE_GITHUB_WEBHOOK_SECRET', ['changes', 'github', 'webhookSecret']],
  ['SIGHTLINE_INGEST_MAX_BACKLOG', ['ingest', 'maxBacklog']],
  ['SIGHTLINE_INGEST_RATE_LIMIT', ['ingest', 'rateLimit', 'requestsPerSecond']],
  ['SIGHTLINE_INGEST_RATE_BURST', ['ingest', 'rateLimit', 'burst']],
  ['SIGHTLINE_INGEST_THREAD', ['ingest', 'thread']],
  ['SIGHTLINE_GRAFANA_TIMESTAMP_HEADER', ['ingest', 'grafana', 'timestampHeader']],
  ['SIGHTLINE_INGEST_MAX_ALERTS_PER_REQUEST', ['ingest', 'maxAlertsPerRequest']],
  ['SIGHTLINE_INGEST_MAX_LABELS_PER_ALERT', ['ingest', 'maxLabelsPerAlert']],
  ['SIGHTLINE_INGEST_MAX_VALUE_BYTES', ['ingest', 'maxValueBytes']],
  ['SIGHTLINE_INGEST_MAX_IN_FLIGHT_BYTES', ['ingest', 'maxInFlightBytes']],
  ['SIGHTLINE_JOIN_WINDOW', ['correlation', 'joinWindow']],
  ['SIGHTLINE_RESOLVE_HOLD_DOWN', ['correlation', 'resolveHoldDown']],
  ['SIGHTLINE_CLOSE_AFTER', ['correlation', 'closeAfter']],
  ['SIGHTLINE_HOUSEKEEPING_INTERVAL', ['correlation', 'housekeepingInterval']],
  ['SIGHTLINE_LOG_RETENTION', ['correlation', 'logRetention']],
  ['SIGHTLINE_EVENT_BUDGET', ['correlation', 'eventBudget']],
  ['SIGHTLINE_TOPOLOGY_LAYER', ['correlation', 'layers', 'topology']],
  ['SIGHTLINE_SIMILARITY_LAYER', ['correlation', 'layers', 'similarity']],
  ['SIGHTLINE_REPLICA_ID', ['cluster', 'replicaId']],
  ['SIGHTLINE_LEADER_LEASE_TTL', ['cluster', 'leaseTtl']],
  ['SIGHTLINE_LEADER_RENEW_INTERVAL', ['cluster', 'renewInterval']],
  ['SIGHTLINE_LEADER_RETRY_INTERVAL', ['cluster', 'retryInterval']],
  ['SIGHTLINE_PROBLEMS_REFRESH_INTERVAL', ['problems', 'refreshInterval']],
  ['SIGHTLINE_PROBLEMS_LOOKBACK', ['problems', 'lookback']],
  ['SIGHTLINE_SLA_EVALUATION_INTERVAL', ['sla', 'evaluationInterval']],
];
export const CONFIG_ENV_VARS = ENV_OVERRIDES.map(([name]) => name);

export type ConfigResult = { ok: true; config: Readonly<ServerConfig> } | { ok: false; problems: string[] };

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1] as string] = value;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

export function loadConfig(options: { file?: string | null; env: Record<string, string | undefined> }): ConfigResult {
  let raw: Record<string, unknown> = {};
  if (options.file) {
    let text: string;
    try {
      text = readFileSync(options.file, 'utf8');
    } catch (error) {
      return { ok: false, problems: [`cannot read config file ${options.file}: ${(error as Error).message}`] };
    }
    try {
      const parsed = parseYaml(text) ?? {};
      if (typeof parsed !== 'object' || Array.isArray(parsed)) return { ok: false, problems: [`${options.file}: the top level must be a mapping`] };
      raw = parsed as Record<string, unknown>;
    } catch (error) {
      return { ok: false, problems: [`${options.file}: invalid YAML: ${(error as Error).message}`] };
    }
  }
  for (const [name, path] of ENV_OVERRIDES) {
    const value = options.env[name];
    if (value !== undefined && value !== '') setPath(raw, path, value);
  }
  const result = ServerConfig.safeParse(raw);
  if (!result.success) {
    return {
      ok: false,
      problems: result.error.issues.map((issue) => {
        const key = issue.path.join('.');
        const env = ENV_OVERRIDES.find(([, p]) => p.join('.') === key)?.[0];
        return `${key || '(top level)'}${env ? ` (${env})` : ''}: ${issue.message}`;
      }),
    };
  }
  return { ok: true, config: deepFreeze(result.data) };
}
