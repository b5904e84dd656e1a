/**
 * @module The agent → server wire contract. The server keeps its own schemas; a contract test
 * parses what the agent sends with both. Nothing here imports from the server or vice versa.
 *
 * POST /api/v1/agents/heartbeat   body: Heartbeat      auth: `Authorization: Bearer <token>`
 * POST /api/v1/alerts             body: AlertsPayload  auth: same
 * Any 2xx is delivery; 408, 429 and 5xx (or no answer) are retried with backoff; any other 4xx
 * means the server will never take the item, so it is dropped and counted (reason "rejected").
 * Items may arrive more than once after an agent crash between send and acknowledgement; each
 * carries a stable `Idempotency-Key` header (the agent id and queue sequence number).
 */
import { z } from 'zod';

export const HEARTBEAT_PATH = '/api/v1/agents/heartbeat';
export const ALERTS_PATH = '/api/v1/alerts';

const isoTime = z.iso.datetime({ offset: true });

/** Latest state of one check on the agent. */
export const HeartbeatCheck = z.object({
  /** Unique per agent; from the agent's config. */
  name: z.string().min(1),
  type: z.enum(['http', 'tcp', 'process']),
  /** URL, host:port, or the process matcher. */
  target: z.string(),
  /** Result of the latest run. */
  success: z.boolean(),
  /** Since when `success` has had its current value (ISO 8601, UTC). */
  since: isoTime,
  /** When the latest run started. */
  lastRunAt: isoTime,
  durationSeconds: z.number().nonnegative(),
  /** Why the latest run failed; absent on success. */
  error: z.string().optional(),
  /** HTTP status of the latest run (HTTP checks only). */
  httpStatus: z.number().int().optional(),
  /** Earliest certificate notAfter in the chain (HTTPS checks only). */
  tlsExpiresAt: isoTime.optional(),
  /** The service whose availability the check measures (the check's `service` in the config). */
  service: z.string().min(1).optional(),
});
export type HeartbeatCheck = z.infer<typeof HeartbeatCheck>;

/** What systeminformation reports at start and on the slow inventory schedule. */
export const Inventory = z.object({
  collectedAt: isoTime,
  os: z.object({ platform: z.string(), distro: z.string(), release: z.string(), kernel: z.string(), arch: z.string() }),
  cpu: z.object({ model: z.string(), logicalCores: z.number().int().nonnegative(), physicalCores: z.number().int().nonnegative() }),
  memoryBytes: z.number().nonnegative(),
  disks: z.array(z.object({ device: z.string(), name: z.string(), type: z.string(), sizeBytes: z.number().nonnegative() })),
  interfaces: z.array(
    z.object({ name: z.string(), mac: z.string(), ipv4: z.array(z.string()), ipv6: z.array(z.string()), speedMbps: z.number().nullable() }),
  ),
});
export type Inventory = z.infer<typeof Inventory>;

export const Heartbeat = z.object({
  /** Stable per installation (a UUID kept in the queue directory); survives restarts and renames. */
  agentId: z.string().min(1),
  /** Host name as configured (default: the OS host name); the `host` label of the agent's alerts. */
  host: z.string().min(1),
  /** Agent (package) version. */
  version: z.string().min(1),
  /** When this heartbeat was made, not when it was delivered (queued heartbeats arrive late). */
  sentAt: isoTime,
  /** Seconds between heartbeats: the server may call the agent missing after a few of these. */
  intervalSeconds: z.number().positive(),
  /** Seconds between host samples. */
  sampleIntervalSeconds: z.number().positive(),
  /** Null until the first inventory has been collected. */
  inventory: Inventory.nullable(),
  checks: z.array(HeartbeatCheck),
  /** Alerts from local rules currently firing on the agent. */
  firingAlerts: z.number().int().nonnegative(),
});
export type Heartbeat = z.infer<typeof Heartbeat>;

/** Sightline's native alert format, as the server's POST /api/v1/alerts takes it. */
export const NativeAlert = z.object({
  /** Always host, service, severity, alertname; plus the series' own labels (mountpoint, check, …). */
  labels: z.record(z.string(), z.string()),
  annotations: z.record(z.string(), z.string()),
  status: z.enum(['firing', 'resolved']),
  startsAt: isoTime,
  endsAt: isoTime.optional(),
});
export type NativeAlert = z.infer<typeof NativeAlert>;

export const AlertsPayload = z.object({ alerts: z.array(NativeAlert).min(1) });
export type AlertsPayload = z.infer<typeof AlertsPayload>;
