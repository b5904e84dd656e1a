/**
 * @module The demo scenario as data: a small online shop's service catalogue, its hosts and
 * agents, and weeks of faults (storms across dependent services, recurring faults, flapping,
 * noise, a maintenance window, faults still open now), all derived from a seed and the end
 * time. Pure: the loader turns it into real requests.
 */
import { mulberry32 } from '../problems/seeded-random.js';

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

export interface DemoService {
  name: string;
  tier: 1 | 2 | 3;
  owner: string;
  dependsOn: string[];
  hosts: string[];
  /** The `sla` field sent with PUT /api/v1/services/:name; absent when none is agreed. */
  sla?: Record<string, unknown>;
}

const OFFICE_HOURS = { timeZone: 'Europe/Berlin', hours: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '08:00', end: '18:00' }], holidays: ['2026-12-24', '2026-12-25', '2026-12-26', '2027-01-01'] };
const TIER1_TARGETS = {
  P1: { respond: '15m', resolve: '4h' },
  P2: { respond: '30m', resolve: '8h' },
  P3: { respond: '4h', resolve: '3d', calendar: OFFICE_HOURS },
  P4: { respond: '1d', resolve: '10d', calendar: OFFICE_HOURS },
};
const TIER2_TARGETS = {
  P2: { respond: '1h', resolve: '1d' },
  P3: { respond: '8h', resolve: '5d', calendar: OFFICE_HOURS },
};
// Tier 1 counts only P1 incidents (customer-facing outages) as downtime; warnings on a tier-1
// service are P2 by the priority matrix and would otherwise count too.
const tier1Sla = (objective: string, dependencies: 'none' | 'any' = 'none') => ({ objective, period: 'month', timeZone: 'Europe/Berlin', dependencies, downtime: { incidentPriorities: ['P1'] }, targets: TIER1_TARGETS });
const tier2Sla = (objective: string) => ({ objective, period: '30d', timeZone: 'Europe/Berlin', calendar: { timeZone: 'Europe/Berlin', hours: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat'], start: '06:00', end: '23:00' }] }, targets: TIER2_TARGETS });

/** A small shop: frontend → checkout → payments → postgres, plus search, auth, cache, a queue. */
export const SERVICES: readonly DemoService[] = [
  { name: 'frontend', tier: 1, owner: 'team-web', dependsOn: ['checkout', 'catalog', 'search', 'auth'], hosts: ['web-1', 'web-2'], sla: tier1Sla('99.9') },
  { name: 'checkout', tier: 1, owner: 'team-shop', dependsOn: ['payments', 'cache', 'auth'], hosts: ['app-1'], sla: tier1Sla('99.9', 'any') },
  { name: 'payments', tier: 1, owner: 'team-payments', dependsOn: ['postgres', 'queue'], hosts: ['pay-1'], sla: tier1Sla('99.9') },
  { name: 'postgres', tier: 1, owner: 'team-data', dependsOn: [], hosts: ['db-1', 'db-2'], sla: tier1Sla('99.95') },
  { name: 'auth', tier: 1, owner: 'team-identity', dependsOn: ['postgres'], hosts: ['auth-1'], sla: tier1Sla('99.9') },
  { name: 'catalog', tier: 2, owner: 'team-shop', dependsOn: ['postgres', 'cache'], hosts: ['app-2'], sla: tier2Sla('99') },
  { name: 'search', tier: 2, owner: 'team-search', dependsOn: [], hosts: ['search-1'], sla: tier2Sla('99') },
  { name: 'cache', tier: 2, owner: 'team-platform', dependsOn: [], hosts: ['cache-1'] },
  { name: 'queue', tier: 2, owner: 'team-platform', dependsOn: [], hosts: ['mq-1'] },
  { name: 'email', tier: 3, owner: 'team-crm', dependsOn: ['queue'], hosts: [] },
];

export interface DemoHost {
  name: string;
  service: string;
  cores: number;
  memoryBytes: number;
  /** Mount point → size in bytes. */
  filesystems: Record<string, number>;
  /** Typical CPU busy fraction at the daily peak. */
  cpuPeak: number;
  /** Typical memory used fraction. */
  memoryBase: number;
}

const GB = 1024 ** 3;

export const HOSTS: readonly DemoHost[] = [
  { name: 'web-1', service: 'frontend', cores: 4, memoryBytes: 8 * GB, filesystems: { '/': 40 * GB, '/var/log': 20 * GB }, cpuPeak: 0.55, memoryBase: 0.52 },
  { name: 'web-2', service: 'frontend', cores: 4, memoryBytes: 8 * GB, filesystems: { '/': 40 * GB, '/var/log': 20 * GB }, cpuPeak: 0.5, memoryBase: 0.5 },
  { name: 'app-1', service: 'checkout', cores: 8, memoryBytes: 16 * GB, filesystems: { '/': 60 * GB, '/var/log': 30 * GB }, cpuPeak: 0.45, memoryBase: 0.61 },
  { name: 'app-2', service: 'catalog', cores: 8, memoryBytes: 16 * GB, filesystems: { '/': 60 * GB, '/var/log': 30 * GB }, cpuPeak: 0.4, memoryBase: 0.58 },
  { name: 'pay-1', service: 'payments', cores: 4, memoryBytes: 8 * GB, filesystems: { '/': 40 * GB }, cpuPeak: 0.3, memoryBase: 0.47 },
  { name: 'auth-1', service: 'auth', cores: 2, memoryBytes: 4 * GB, filesystems: { '/': 30 * GB }, cpuPeak: 0.35, memoryBase: 0.44 },
  { name: 'db-1', service: 'postgres', cores: 16, memoryBytes: 64 * GB, filesystems: { '/': 50 * GB, '/var/lib/postgresql': 500 * GB }, cpuPeak: 0.62, memoryBase: 0.78 },
  { name: 'db-2', service: 'postgres', cores: 16, memoryBytes: 64 * GB, filesystems: { '/': 50 * GB, '/var/lib/postgresql': 500 * GB }, cpuPeak: 0.35, memoryBase: 0.74 },
  { name: 'search-1', service: 'search', cores: 8, memoryBytes: 32 * GB, filesystems: { '/': 50 * GB, '/var/lib/search': 200 * GB }, cpuPeak: 0.5, memoryBase: 0.6 },
  { name: 'cache-1', service: 'cache', cores: 4, memoryBytes: 16 * GB, filesystems: { '/': 30 * GB }, cpuPeak: 0.25, memoryBase: 0.66 },
  { name: 'mq-1', service: 'queue', cores: 4, memoryBytes: 8 * GB, filesystems: { '/': 30 * GB, '/var/lib/rabbitmq': 100 * GB }, cpuPeak: 0.3, memoryBase: 0.55 },
];

/** The host whose agent stops reporting some hours before the end (its AgentDown is open now). */
export const DOWN_AGENT_HOST = 'mq-1';
/**
 * The filesystem that fills up: forecast full in five and a half days at the end, so Sightline's
 * own capacity warning (full within 7 days) fires a day before.
 */
export const FILLING_DISK = { host: 'db-2', mountpoint: '/var/lib/postgresql', usedAtEnd: 0.89, perDay: 0.02 } as const;

/** On-call engineers; each has a token named after them, so their actions carry their names. */
export const PEOPLE = ['alice', 'bob', 'carol', 'dave'] as const;
export type Person = (typeof PEOPLE)[number];

/** One alert episode: firing from `startsAt`, resolved at `endsAt` (null: still firing at the end). */
export interface DemoAlert {
  /** `alertmanager`: Prometheus rules through Alertmanager's webhook; `agent`: a host agent's own rule. */
  sender: 'alertmanager' | 'agent';
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: number;
  endsAt: number | null;
}

export interface DemoFault {
  kind: string;
  startsAt: number;
  /** When the last alert resolved; null while still firing at the end. */
  endsAt: number | null;
  alerts: DemoAlert[];
  /** What the engineer writes on the timeline. */
  notes: string[];
  /** Whether the engineer resolves the incident by hand (else it auto-resolves). */
  resolveByHand: boolean;
  /** Put on hold after acknowledging (waiting for someone else). */
  hold?: string;
}

export interface DemoMaintenance {
  startsAt: number;
  endsAt: number;
  matchers: Record<string, string>;
  comment: string;
  by: Person;
}

export interface DemoScenario {
  start: number;
  end: number;
  faults: DemoFault[];
  maintenance: DemoMaintenance[];
}

type Random = () => number;

const between = (random: Random, lo: number, hi: number) => lo + random() * (hi - lo);
const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
const podId = (random: Random) => Array.from({ length: 5 }, () => 'abcdefghjkmnpqrstvwxz23456789'[Math.floor(random() * 29)]).join('');
const minutes = (random: Random, lo: number, hi: number) => Math.round(between(random, lo, hi)) * MINUTE;

/** A time in [from, to) that prefers working hours (UTC 07–20), when changes and load happen. */
function busyTime(random: Random, from: number, to: number): number {
  for (let i = 0; i < 20; i++) {
    const t = from + Math.floor(random() * (to - from));
    const hour = new Date(t).getUTCHours();
    if ((hour >= 7 && hour < 20) || random() < 0.25) return Math.floor(t / MINUTE) * MINUTE;
  }
  return Math.floor(from / MINUTE) * MINUTE;
}

function alert(sender: DemoAlert['sender'], startsAt: number, endsAt: number | null, labels: Record<string, string>, summary: string, extra: Record<string, string> = {}): DemoAlert {
  return { sender, labels, annotations: { summary, ...extra }, startsAt, endsAt };
}

/** Clips an episode to the simulated history: whatever ends after `end` is still firing. */
const clip = (endsAt: number, end: number) => (endsAt > end ? null : endsAt);

function finish(kind: string, alerts: DemoAlert[], notes: string[], resolveByHand: boolean, hold?: string): DemoFault {
  const startsAt = Math.min(...alerts.map((a) => a.startsAt));
  const endsAt = alerts.some((a) => a.endsAt === null) ? null : Math.max(...alerts.map((a) => a.endsAt as number));
  return { kind, startsAt, endsAt, alerts, notes, resolveByHand, ...(hold ? { hold } : {}) };
}

// ---- storms: one fault, many alerts across dependent services ----

function postgresStorm(random: Random, t0: number, end: number): DemoFault {
  const len = minutes(random, 6, 22);
  const e = (offset: number) => clip(t0 + len + offset, end);
  const pay = [podId(random), podId(random), podId(random)];
  const chk = [podId(random), podId(random)];
  const conns = 480 + Math.floor(random() * 20);
  const alerts = [
    alert('alertmanager', t0, e(0), { alertname: 'PostgresTooManyConnections', service: 'postgres', instance: 'db-1:9187', severity: 'critical' }, `PostgreSQL on db-1: ${conns} of 500 connections in use`),
    alert('alertmanager', t0 + MINUTE, e(-2 * MINUTE), { alertname: 'PostgresSlowQueries', service: 'postgres', instance: 'db-1:9187', severity: 'warning' }, `PostgreSQL on db-1: ${100 + Math.floor(random() * 200)} queries running longer than 5s`),
    ...pay.map((p, i) => alert('alertmanager', t0 + (2 + i) * MINUTE, e((2 + i) * MINUTE), { alertname: 'PaymentsLatencyHigh', service: 'payments', pod: `payments-6c9f7-${p}`, severity: 'critical' }, `p99 latency of payments on pod payments-6c9f7-${p} is ${(2 + random() * 4).toFixed(1)}s`)),
    alert('alertmanager', t0 + 3 * MINUTE, e(3 * MINUTE), { alertname: 'PaymentsErrorRate', service: 'payments', severity: 'critical' }, `${(5 + random() * 20).toFixed(1)}% of payment authorisations fail`),
    alert('alertmanager', t0 + 3 * MINUTE, e(MINUTE), { alertname: 'AuthLatencyHigh', service: 'auth', instance: 'auth-1:8080', severity: 'warning' }, `auth token endpoint p99 at ${(1 + random() * 2).toFixed(1)}s`),
    ...chk.map((p, i) => alert('alertmanager', t0 + (4 + i) * MINUTE, e((4 + i) * MINUTE), { alertname: 'CheckoutErrorRate', service: 'checkout', pod: `checkout-7b4d9-${p}`, severity: 'critical' }, `checkout-7b4d9-${p}: ${(8 + random() * 30).toFixed(0)}% of orders fail with 502 from payments`)),
    alert('alertmanager', t0 + 5 * MINUTE, e(4 * MINUTE), { alertname: 'CatalogSlowResponses', service: 'catalog', instance: 'app-2:8080', severity: 'warning' }, `catalog p95 response time ${(900 + random() * 900).toFixed(0)}ms`),
    alert('alertmanager', t0 + 6 * MINUTE, e(6 * MINUTE), { alertname: 'HTTP5xxRateHigh', service: 'frontend', instance: 'web-1:9113', severity: 'critical' }, `web-1 serves ${(3 + random() * 10).toFixed(1)}% 5xx`),
    alert('alertmanager', t0 + 6 * MINUTE, e(7 * MINUTE), { alertname: 'HTTP5xxRateHigh', service: 'frontend', instance: 'web-2:9113', severity: 'critical' }, `web-2 serves ${(3 + random() * 10).toFixed(1)}% 5xx`),
    alert('alertmanager', t0 + 7 * MINUTE, e(5 * MINUTE), { alertname: 'ProbeFailed', service: 'frontend', target: 'https://shop.example/checkout', severity: 'critical' }, 'https://shop.example/checkout does not answer within 10s'),
  ];
  return finish('storm:postgres', alerts, ['Long-running report query held locks on orders; killed it (pid noted in the postmortem).', 'Connection count back to normal; payments recovering.'], true);
}

function cacheStorm(random: Random, t0: number, end: number): DemoFault {
  const len = minutes(random, 12, 40);
  const e = (offset: number) => clip(t0 + len + offset, end);
  const alerts = [
    alert('alertmanager', t0, e(0), { alertname: 'RedisDown', service: 'cache', instance: 'cache-1:9121', severity: 'critical' }, 'Redis on cache-1 is not answering'),
    alert('agent', t0 + MINUTE, e(-MINUTE), { alertname: 'CheckFailing', service: 'cache', host: 'cache-1', check: 'redis-port', severity: 'critical' }, 'check redis-port (tcp 127.0.0.1:6379) failing on cache-1'),
    alert('alertmanager', t0 + 2 * MINUTE, e(2 * MINUTE), { alertname: 'CatalogSlowResponses', service: 'catalog', instance: 'app-2:8080', severity: 'warning' }, `catalog p95 response time ${(1200 + random() * 900).toFixed(0)}ms`),
    alert('alertmanager', t0 + 3 * MINUTE, e(2 * MINUTE), { alertname: 'CartSessionErrors', service: 'checkout', instance: 'app-1:8080', severity: 'error' }, `checkout cannot load ${(10 + random() * 40).toFixed(0)}% of carts (session store unavailable)`),
    alert('alertmanager', t0 + 4 * MINUTE, e(3 * MINUTE), { alertname: 'HTTPLatencyHigh', service: 'frontend', instance: 'web-1:9113', severity: 'warning' }, `web-1 p95 page time ${(2 + random() * 3).toFixed(1)}s`),
    alert('alertmanager', t0 + 4 * MINUTE, e(4 * MINUTE), { alertname: 'HTTPLatencyHigh', service: 'frontend', instance: 'web-2:9113', severity: 'warning' }, `web-2 p95 page time ${(2 + random() * 3).toFixed(1)}s`),
  ];
  return finish('storm:cache', alerts, ['Redis was OOM-killed after a key explosion from the recommendations job; restarted with maxmemory-policy allkeys-lru.'], true);
}

function queueStorm(random: Random, t0: number, end: number): DemoFault {
  const len = minutes(random, 15, 40);
  const e = (offset: number) => clip(t0 + len + offset, end);
  const backlog = 20_000 + Math.floor(random() * 80_000);
  const alerts = [
    alert('alertmanager', t0, e(0), { alertname: 'RabbitmqDiskAlarm', service: 'queue', instance: 'mq-1:15692', severity: 'critical' }, 'RabbitMQ on mq-1 blocked publishers: disk free below limit'),
    alert('alertmanager', t0 + 2 * MINUTE, e(5 * MINUTE), { alertname: 'QueueBacklogGrowing', service: 'queue', queue: 'payments.events', severity: 'warning' }, `queue payments.events has ${backlog} messages waiting`),
    alert('alertmanager', t0 + 4 * MINUTE, e(8 * MINUTE), { alertname: 'PaymentsWebhookBacklog', service: 'payments', severity: 'error' }, 'payment provider callbacks are not being processed'),
    alert('alertmanager', t0 + 5 * MINUTE, e(12 * MINUTE), { alertname: 'EmailDeliveryDelayed', service: 'email', severity: 'warning' }, `order confirmation e-mails delayed by ${Math.round(10 + random() * 40)} min`),
  ];
  return finish('storm:queue', alerts, ['Purged the dead-letter queue that filled /var/lib/rabbitmq; publishers unblocked.'], true);
}

// ---- recurring faults: the same few problems on different hosts ----

function logDiskFull(random: Random, t0: number, end: number): DemoFault {
  const host = pick(random, ['web-1', 'web-2', 'app-1', 'app-2', 'search-1']);
  const service = HOSTS.find((h) => h.name === host)?.service as string;
  const pct = 90 + Math.floor(random() * 8);
  const a = alert('agent', t0, clip(t0 + minutes(random, 25, 150), end), { alertname: 'FilesystemAlmostFull', service, host, mountpoint: '/var/log', severity: 'warning' }, `Filesystem /var/log on ${host} is ${pct}% full`);
  return finish('recurring:logs', [a], ['Deleted rotated logs older than 7 days; logrotate still only runs daily.', 'Same as last time: application debug logging left on after a deploy.'], random() < 0.6);
}

function searchOom(random: Random, t0: number, end: number): DemoFault {
  const pod = `search-5f7c8-${podId(random)}`;
  const alerts = [
    alert('alertmanager', t0, clip(t0 + minutes(random, 6, 20), end), { alertname: 'SearchOutOfMemory', service: 'search', pod, instance: 'search-1:9200', severity: 'critical' }, `${pod}: java.lang.OutOfMemoryError: Java heap space; container restarted`),
  ];
  if (random() < 0.5) alerts.push(alert('alertmanager', t0 + MINUTE, clip(t0 + minutes(random, 8, 25), end), { alertname: 'ProbeFailed', service: 'search', target: 'https://shop.example/search?q=shoes', severity: 'warning' }, 'https://shop.example/search?q=shoes answers 503'));
  return finish('recurring:search-oom', alerts, ['Heap dump shows the facet cache growing without bound; raised -Xmx as a stopgap.', 'Restarted the pod; known problem, see the problem record.'], false);
}

function gatewayTimeout(random: Random, t0: number, end: number): DemoFault {
  const pct = (2 + random() * 9).toFixed(1);
  const a = alert('alertmanager', t0, clip(t0 + minutes(random, 8, 40), end), { alertname: 'PaymentGatewayTimeouts', service: 'payments', upstream: 'psp.example.net', severity: 'error' }, `payment provider psp.example.net timing out: ${pct}% of authorisations failed in 5m`);
  return finish('recurring:psp', [a], ['Provider status page confirms degraded performance in their EU region.', 'Opened a ticket with the provider (ref PSP-' + (10_000 + Math.floor(random() * 89_999)) + ').'], false);
}

function poolExhausted(random: Random, t0: number, end: number): DemoFault {
  const [service, host] = pick(random, [['checkout', 'app-1'], ['catalog', 'app-2']] as const);
  const pod = `${service}-${service === 'checkout' ? '7b4d9' : '55d8c'}-${podId(random)}`;
  const a = alert('alertmanager', t0, clip(t0 + minutes(random, 5, 30), end), { alertname: 'ConnectionPoolExhausted', service, pod, instance: `${host}:8080`, severity: 'error' }, `HikariPool-1 connection pool exhausted on ${pod} (30/30 active, ${Math.floor(10 + random() * 90)} waiting)`);
  return finish('recurring:pool', [a], ['Leaked connections from the export endpoint again; restarted the pod.'], random() < 0.5);
}

function backupFailed(random: Random, t0: number, end: number): DemoFault {
  // Nightly at 02:00 UTC.
  let night = Math.floor(t0 / DAY) * DAY + 2 * HOUR;
  if (night < t0) night += DAY;
  if (night > end - 6 * HOUR) night = t0;
  const a = alert('alertmanager', night, clip(night + minutes(random, 240, 420), end), { alertname: 'BackupJobFailed', service: 'postgres', instance: 'db-2:9187', job: 'pg-backup', severity: 'error' }, `Nightly pg_dump backup failed on db-2: exit code ${pick(random, [1, 1, 2, 137])}`);
  return finish('recurring:backup', [a], ['Backup bucket credentials rotated without updating the job; re-ran the backup by hand.'], true);
}

// ---- flapping and noise ----

function flapping(random: Random, t0: number, end: number): DemoFault {
  const [labels, summary] = pick(random, [
    [{ alertname: 'RedisLatencyHigh', service: 'cache', instance: 'cache-1:9121', severity: 'warning' }, 'Redis on cache-1 p99 command latency above 20ms'],
    [{ alertname: 'ProbeFailed', service: 'search', target: 'https://shop.example/search?q=shoes', severity: 'warning' }, 'https://shop.example/search?q=shoes answers slowly'],
  ] as const);
  const alerts: DemoAlert[] = [];
  let t = t0;
  const flips = 5 + Math.floor(random() * 3);
  for (let i = 0; i < flips; i++) {
    const on = minutes(random, 1, 4);
    alerts.push(alert('alertmanager', t, clip(t + on, end), { ...labels }, summary));
    t += on + minutes(random, 1, 4);
  }
  return finish('flapping', alerts, ['Flapping around the threshold; raising the for: duration of this rule.'], false);
}

function noise(random: Random, t0: number, end: number): DemoFault {
  const host = pick(random, HOSTS).name;
  const service = HOSTS.find((h) => h.name === host)?.service as string;
  const [labels, summary] = pick(random, [
    [{ alertname: 'CpuSaturated', severity: 'warning' }, `1-minute load on ${host} above 1.5 per CPU`],
    [{ alertname: 'MemoryAvailableLow', severity: 'warning' }, `under 10% of memory available on ${host}`],
    [{ alertname: 'ClockSkew', severity: 'info' }, `clock on ${host} is ${Math.floor(200 + random() * 800)}ms off NTP`],
    [{ alertname: 'DiskIOSaturated', severity: 'info' }, `disk sda on ${host} busy ${Math.floor(90 + random() * 10)}% of the time`],
  ] as const);
  const a = alert('agent', t0, clip(t0 + minutes(random, 10, 45), end), { ...labels, service, host }, summary);
  return finish('noise', [a], [], false);
}

// ---- now: what is still going on when the demo ends ----

function openNow(random: Random, end: number): DemoFault[] {
  const certStart = end - 2 * DAY - 3 * HOUR;
  const cert = finish(
    'open:cert',
    [alert('alertmanager', certStart, null, { alertname: 'CertificateExpiringSoon', service: 'auth', target: 'https://login.shop.example', severity: 'info' }, 'TLS certificate of login.shop.example expires in 9 days')],
    [],
    false,
    'Waiting for the new certificate from the CA (order submitted).',
  );
  const ooms = searchOom(random, end - 35 * MINUTE, end);
  // Still restarting: keep it firing.
  for (const a of ooms.alerts) a.endsAt = null;
  return [cert, { ...ooms, kind: 'open:search-oom', endsAt: null }];
}

/**
 * The scenario for `days` of history ending at `end`: about one storm every six days, the
 * recurring faults at their own rates, a flapping alert every ten days, noise every day, one
 * maintenance window, and a few faults still open at the end.
 */
export function buildScenario(options: { seed: number; days: number; end: number }): DemoScenario {
  const random = mulberry32(options.seed);
  const end = Math.floor(options.end / MINUTE) * MINUTE;
  const start = end - options.days * DAY;
  // Leave the first hour for the agents to come up, and the last ones for the "now" faults.
  const from = start + HOUR;
  const to = end - 3 * HOUR;
  const faults: DemoFault[] = [];
  const spread = (per: number, make: (random: Random, t0: number, end: number) => DemoFault, within: [number, number] = [from, to]) => {
    const [lo, hi] = within;
    const count = Math.max(1, Math.round((hi - lo) / DAY / per));
    const slot = (hi - lo) / count;
    for (let i = 0; i < count; i++) faults.push(make(random, busyTime(random, lo + i * slot, lo + (i + 1) * slot), end));
  };
  spread(8, postgresStorm);
  spread(8, cacheStorm);
  spread(10, queueStorm);
  spread(2, logDiskFull);
  spread(3, searchOom);
  spread(2.5, gatewayTimeout);
  // Pools started running dry with a release twelve days ago (a new problem); the backups
  // failed until their credentials were fixed in the first week and a half (a quiet one).
  spread(2, poolExhausted, [Math.max(from, to - 12 * DAY), to]);
  spread(2.5, backupFailed, [from, Math.min(to, from + 10 * DAY)]);
  spread(4, flapping);
  spread(0.4, noise);
  faults.push(...openNow(random, end));
  faults.sort((a, b) => a.startsAt - b.startsAt);

  // A planned PostgreSQL upgrade (Sunday night, UTC) with a maintenance window; the restarts
  // during it raise alerts that the window suppresses.
  const sunday = Math.floor((end - 4 * DAY) / DAY) * DAY - ((new Date(end - 4 * DAY).getUTCDay() + 7) % 7) * DAY;
  const maintenance: DemoMaintenance[] = [];
  if (sunday + 3 * HOUR > from) {
    const m = { startsAt: sunday + 3 * HOUR, endsAt: sunday + 4 * HOUR, matchers: { service: 'postgres' }, comment: 'PostgreSQL 15.8 minor upgrade (change CHG-2231)', by: 'dave' as const };
    maintenance.push(m);
    faults.push(
      finish('maintenance', [
        alert('alertmanager', m.startsAt + 10 * MINUTE, m.startsAt + 14 * MINUTE, { alertname: 'PostgresDown', service: 'postgres', instance: 'db-1:9187', severity: 'critical' }, 'PostgreSQL on db-1 is down'),
        alert('alertmanager', m.startsAt + 25 * MINUTE, m.startsAt + 28 * MINUTE, { alertname: 'PostgresDown', service: 'postgres', instance: 'db-2:9187', severity: 'critical' }, 'PostgreSQL on db-2 is down'),
      ], [], false),
    );
    faults.sort((a, b) => a.startsAt - b.startsAt);
  }
  return { start, end, faults, maintenance };
}

/** Who is on call at `t`: a weekly rotation. */
export function onCall(t: number, start: number): Person {
  const week = Math.floor((t - start) / (7 * DAY));
  return PEOPLE[((week % PEOPLE.length) + PEOPLE.length) % PEOPLE.length] as Person;
}
