/**
 * @module `sightline demo`: loads the demo scenario into a fresh database through the real
 * product. The runtime is the server's own (`createRuntime`) on a manual clock; everything
 * goes in through its HTTP API with real tokens (the catalogue, agents' heartbeats and OTLP
 * pushes, Alertmanager webhooks and agent alerts, people acknowledging and resolving), while
 * the clock steps through event time and the correlator, agent liveness and capacity roll-ups
 * run as the background jobs would. Incidents, timelines, SLA and forecasts are therefore
 * exactly what a live server would have made of the same history.
 */
import { createHash } from 'node:crypto';
import { rmSync } from 'node:fs';
import pino from 'pino';
import type { ServerConfig } from '../config.js';
import { migrateDatabase, openDatabase } from '../db/connection.js';
import { countStoredData, dropPostgresTables } from '../db/database-contents.js';
import { fail, ok, type Result } from '../domain/result.js';
import { createRuntime, type Runtime } from '../main.js';
import { detectSilentAgents } from '../services/agents.js';
import { rollUpCapacity } from '../services/capacity.js';
import { raiseCapacityAlerts } from '../services/capacity-alerts.js';
import { runSlaEvaluation } from '../services/sla-job.js';
import { ManualClock } from '../services/clock.js';
import { createToken } from '../services/tokens.js';
import { packageVersion } from '../version.js';
import { advanceCounters, hostResourceMetrics, type HostCounters } from './host-metrics.js';
import { mulberry32 } from '../problems/seeded-random.js';
import { buildScenario, DAY, DOWN_AGENT_HOST, HOSTS, HOUR, MINUTE, onCall, PEOPLE, SERVICES, type DemoAlert, type DemoFault, type DemoScenario, type Person } from './scenario.js';
import { appendTo } from '../domain/collections.js';

export interface DemoOptions {
  config: Readonly<ServerConfig>;
  seed: number;
  days: number;
  /** End of the simulated history (default: now, to the minute). */
  end?: number;
  /** Replace a database that already holds data. */
  force: boolean;
  /** Progress lines. */
  progress?(line: string): void;
}

export interface DemoSummary {
  database: string;
  from: number;
  to: number;
  services: number;
  servicesWithSla: number;
  hosts: number;
  agents: { up: number; down: number };
  alerts: number;
  alertEvents: number;
  incidents: { total: number; open: number; acknowledged: number; onHold: number; resolved: number; closed: number };
  /** Alerts per incident for the storms (one fault firing across dependent services). */
  storms: { alerts: number; incidents: number }[];
  mttaMinutes: number | null;
  mttrMinutes: number | null;
  worstDisk: { host: string; mountpoint: string; daysUntilFull: number } | null;
  problemCandidates: number | null;
  /** The admin token to use with the loaded data: created now (shown once), or the configured one. */
  adminToken: string | null;
  adminTokenConfigured: boolean;
  seconds: number;
}

/** The agent's heartbeat interval in the demo (`server.heartbeatInterval: 1h`). */
const HEARTBEAT_INTERVAL_S = 3600;
/** Simulated agents sample every 15 minutes and push once an hour. */
const SAMPLE_STEP = 15 * MINUTE;

interface Task {
  at: number;
  seq: number;
  run(): Promise<void>;
}

/** A time-ordered task list; tasks added while running keep (time, insertion) order. */
class Agenda {
  private tasks: Task[] = [];
  private seq = 0;
  add(at: number, run: () => Promise<void>): void {
    const task = { at, seq: this.seq++, run };
    let lo = 0;
    let hi = this.tasks.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const t = this.tasks[mid] as Task;
      if (t.at < at || (t.at === at && t.seq < task.seq)) lo = mid + 1;
      else hi = mid;
    }
    this.tasks.splice(lo, 0, task);
  }
  next(): Task | undefined {
    return this.tasks.shift();
  }
  get size(): number {
    return this.tasks.length;
  }
}

const iso = (ms: number) => new Date(ms).toISOString();

/** A stable UUID-shaped agent id per seed and host, as an agent keeps in its queue directory. */
function agentIdOf(seed: number, host: string): string {
  const h = createHash('sha256').update(`sightline-demo:${seed}:${host}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Checks the database holds no data yet, or wipes it with `force`; fails with CONFLICT otherwise. */
async function prepareDatabase(options: DemoOptions): Promise<Result<void>> {
  const { config } = options;
  const handle = openDatabase({ dataDir: config.dataDir, databaseUrl: config.databaseUrl, sqliteSynchronous: config.sqliteSynchronous });
  let found: { table: string; rows: number }[];
  try {
    await migrateDatabase(handle);
    found = await countStoredData(handle.db);
    if (found.length > 0 && options.force && handle.dialect === 'postgres') {
      const dropped = await dropPostgresTables(handle);
      options.progress?.(`--force: dropped ${dropped.length} tables in ${handle.location}`);
    }
  } finally {
    await handle.close();
  }
  if (found.length === 0) return ok(undefined);
  if (!options.force) {
    const what = found.map((f) => `${f.rows} ${f.table.replace(/_/g, ' ')}`).join(', ');
    return fail('CONFLICT', `${handle.location} already holds data (${what}); the demo loads only into a fresh database. Use another --data-dir (or DATABASE_URL), or --force to replace it.`);
  }
  if (handle.dialect === 'sqlite') {
    for (const suffix of ['', '-wal', '-shm']) rmSync(`${handle.location}${suffix}`, { force: true });
    options.progress?.(`--force: removed ${handle.location}`);
  }
  return ok(undefined);
}

export async function loadDemo(options: DemoOptions): Promise<Result<DemoSummary>> {
  const began = performance.now();
  const prepared = await prepareDatabase(options);
  if (!prepared.ok) return prepared;
  const progress = options.progress ?? (() => {});
  const end = Math.floor((options.end ?? Date.now()) / MINUTE) * MINUTE;
  const scenario = buildScenario({ seed: options.seed, days: options.days, end });
  const clock = new ManualClock(scenario.start - HOUR);
  const runtime = await createRuntime(options.config, { clock, log: pino({ level: 'silent' }), defaultMetrics: false });
  try {
    const summary = await simulate(runtime, clock, scenario, options, progress);
    return ok({ ...summary, seconds: (performance.now() - began) / 1000 });
  } finally {
    await runtime.close();
  }
}

async function simulate(runtime: Runtime, clock: ManualClock, scenario: DemoScenario, options: DemoOptions, progress: (line: string) => void): Promise<Omit<DemoSummary, 'seconds'>> {
  const { seed } = options;
  const { start, end } = scenario;
  const newToken = async (name: string, scopes: string[]) => {
    const created = await createToken(runtime.handle.db, clock, { name, scopes });
    if (!created.ok) throw new Error(`cannot create token ${name}: ${created.error.message}`);
    return created.value.token;
  };
  const adminToken = runtime.bootstrapToken ?? options.config.adminToken;
  const platform = await newToken('platform-team', ['read', 'write']);
  const alertmanager = await newToken('alertmanager', ['ingest']);
  const people = Object.fromEntries(await Promise.all(PEOPLE.map(async (p) => [p, await newToken(p, ['read', 'write'])] as const))) as Record<Person, string>;
  const agentTokens = new Map<string, string>();
  for (const host of HOSTS) agentTokens.set(host.name, await newToken(`agent-${host.name}`, ['ingest']));

  const call = async (method: string, path: string, token: string, json?: unknown, expect: number[] = [200, 201, 202]): Promise<Response> => {
    const headers: Record<string, string> = { authorization: `Bearer ${token}` };
    if (json !== undefined) headers['content-type'] = 'application/json';
    const res = await runtime.app.request(path, { method, headers, body: json === undefined ? undefined : JSON.stringify(json) });
    if (!expect.includes(res.status)) throw new Error(`${method} ${path} answered ${res.status}: ${(await res.text()).slice(0, 500)}`);
    return res;
  };
  /** People act on incidents that may have moved on meanwhile (auto-resolved): a 409 is life. */
  const act = async (person: Person, path: string, json?: unknown) => {
    const res = await call('POST', path, people[person], json, [200, 201, 409]);
    return res.status !== 409;
  };

  // The catalogue, as the platform team defines it.
  clock.set(start - HOUR);
  for (const s of [...SERVICES].reverse()) {
    await call('PUT', `/api/v1/services/${s.name}`, platform, { tier: s.tier, owner: s.owner, dependsOn: s.dependsOn, match: s.hosts.length ? { hosts: s.hosts } : {}, ...(s.sla ? { sla: s.sla } : {}) });
  }

  const agenda = new Agenda();
  const faultByFirstAlert = new Map<string, DemoFault>();
  const titleOf = (a: DemoAlert) => `${a.labels.alertname}: ${a.annotations.summary}`;
  for (const fault of scenario.faults) {
    const first = fault.alerts.reduce((x, y) => (y.startsAt < x.startsAt ? y : x));
    faultByFirstAlert.set(`${titleOf(first)}\u0000${first.startsAt}`, fault);
  }

  // Maintenance windows are announced a day ahead.
  for (const m of scenario.maintenance) {
    agenda.add(Math.max(start, m.startsAt - DAY), async () => {
      await call('POST', '/api/v1/silences', people[m.by], { kind: 'maintenance', matchers: m.matchers, startsAt: iso(m.startsAt), endsAt: iso(m.endsAt), comment: m.comment });
    });
  }

  // Alert events, batched per sender and minute as Alertmanager and agents batch them.
  interface Outgoing {
    alert: DemoAlert;
    status: 'firing' | 'resolved';
  }
  const byMinute = new Map<number, Outgoing[]>();
  const enqueue = (at: number, o: Outgoing) => appendTo(byMinute, at, o);
  let alertEvents = 0;
  for (const fault of scenario.faults) {
    for (const a of fault.alerts) {
      enqueue(a.startsAt, { alert: a, status: 'firing' });
      if (a.endsAt !== null) enqueue(a.endsAt, { alert: a, status: 'resolved' });
    }
  }
  const send = async (batch: Outgoing[]) => {
    const am = batch.filter((o) => o.alert.sender === 'alertmanager');
    if (am.length) {
      await call('POST', '/api/v1/alerts/alertmanager', alertmanager, {
        version: '4',
        status: am.some((o) => o.status === 'firing') ? 'firing' : 'resolved',
        receiver: 'sightline',
        groupLabels: {},
        commonLabels: {},
        commonAnnotations: {},
        externalURL: 'http://alertmanager.shop.example:9093',
        alerts: am.map((o) => ({
          status: o.status,
          labels: o.alert.labels,
          annotations: o.alert.annotations,
          startsAt: iso(o.alert.startsAt),
          endsAt: o.status === 'resolved' ? iso(o.alert.endsAt as number) : '0001-01-01T00:00:00Z',
          generatorURL: `http://prometheus.shop.example:9090/graph?g0.expr=${encodeURIComponent(o.alert.labels.alertname ?? '')}`,
        })),
      });
    }
    const byHost = new Map<string, Outgoing[]>();
    for (const o of batch.filter((x) => x.alert.sender === 'agent')) appendTo(byHost, o.alert.labels.host as string, o);
    for (const [host, items] of byHost) {
      await call('POST', '/api/v1/alerts', agentTokens.get(host) as string, {
        alerts: items.map((o) => ({
          labels: o.alert.labels,
          annotations: o.alert.annotations,
          status: o.status,
          startsAt: iso(o.alert.startsAt),
          ...(o.status === 'resolved' ? { endsAt: iso(o.alert.endsAt as number) } : {}),
        })),
      });
    }
    alertEvents += batch.length;
  };
  for (const [at, batch] of byMinute) agenda.add(at, () => send(batch));

  // Agents: hourly heartbeats with inventory and checks, and an OTLP push of the hour's samples.
  const version = packageVersion();
  const bootTime = start - 30 * DAY;
  const counters = new Map<string, HostCounters>(HOSTS.map((h) => [h.name, { at: start - HOUR, cpuIdle: 0, cpuUser: 0, cpuSystem: 0, rxBytes: 0, txBytes: 0 }]));
  const downAt = end - 5 * HOUR;
  const firingAgentAlerts = (host: string, t: number) =>
    scenario.faults.flatMap((f) => f.alerts).filter((a) => a.sender === 'agent' && a.labels.host === host && a.startsAt <= t && (a.endsAt === null || a.endsAt > t)).length;
  const heartbeat = async (t: number) => {
    for (const host of HOSTS) {
      if (host.name === DOWN_AGENT_HOST && t > downAt) continue;
      const agentId = agentIdOf(seed, host.name);
      await call('POST', '/api/v1/agents/heartbeat', agentTokens.get(host.name) as string, {
        agentId,
        host: host.name,
        version: host.name === 'search-1' ? '0.0.9' : version,
        sentAt: iso(t),
        intervalSeconds: HEARTBEAT_INTERVAL_S,
        sampleIntervalSeconds: SAMPLE_STEP / 1000,
        inventory: inventoryOf(host.name, t),
        checks: checksOf(host.name, t),
        firingAlerts: firingAgentAlerts(host.name, t),
      });
    }
  };
  const pushMetrics = async (t: number) => {
    const resourceMetrics = [];
    for (const host of HOSTS) {
      if (host.name === DOWN_AGENT_HOST && t > downAt) continue;
      const samples: HostCounters[] = [];
      let c = counters.get(host.name) as HostCounters;
      // Samples start just after the history does, so every day of it is a whole day.
      for (let at = Math.max(t - HOUR, start) + SAMPLE_STEP; at <= t; at += SAMPLE_STEP) {
        c = advanceCounters(host, c, at);
        samples.push(c);
      }
      counters.set(host.name, c);
      if (samples.length) resourceMetrics.push(hostResourceMetrics(host, agentIdOf(seed, host.name), version, samples, bootTime, end));
    }
    if (!resourceMetrics.length) return;
    const res = await call('POST', '/v1/metrics', agentTokens.get(HOSTS[0]?.name as string) as string, { resourceMetrics });
    const answer = (await res.json()) as { partialSuccess?: { rejectedDataPoints?: number; errorMessage?: string } };
    if (answer.partialSuccess?.rejectedDataPoints) throw new Error(`OTLP push rejected ${answer.partialSuccess.rejectedDataPoints} points: ${answer.partialSuccess.errorMessage}`);
  };
  const inventoryOf = (name: string, t: number) => {
    const host = HOSTS.find((h) => h.name === name);
    if (!host) return null;
    return {
      collectedAt: iso(Math.floor(t / DAY) * DAY),
      os: { platform: 'linux', distro: 'Debian GNU/Linux', release: '12', kernel: '6.1.0-27-amd64', arch: 'x64' },
      cpu: { model: host.cores >= 16 ? 'AMD EPYC 7443P 24-Core Processor' : 'Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz', logicalCores: host.cores, physicalCores: Math.max(1, host.cores / 2) },
      memoryBytes: host.memoryBytes,
      disks: Object.values(host.filesystems).map((size, i) => ({ device: `/dev/sd${'abcd'[i]}`, name: host.name.startsWith('db') ? 'SAMSUNG MZ7L3960' : 'QEMU HARDDISK', type: host.name.startsWith('db') ? 'SSD' : 'HD', sizeBytes: size })),
      interfaces: [{ name: 'eth0', mac: `52:54:00:${createHash('sha1').update(name).digest('hex').slice(0, 6).match(/../g)?.join(':')}`, ipv4: [`10.0.${HOSTS.indexOf(host) < 6 ? 1 : 2}.${10 + HOSTS.indexOf(host)}`], ipv6: [], speedMbps: 10_000 }],
    };
  };
  const checksOf = (name: string, t: number) => {
    const host = HOSTS.find((h) => h.name === name);
    const firing = (alertname: string) => scenario.faults.some((f) => f.alerts.some((a) => a.labels.alertname === alertname && a.startsAt <= t && (a.endsAt === null || a.endsAt > t)));
    const check = (checkName: string, type: string, target: string, success: boolean, extra: Record<string, unknown> = {}) => ({ name: checkName, type, target, success, since: iso(start), lastRunAt: iso(t - 12_000), durationSeconds: 0.004 + (host?.cores ?? 1) / 1000, ...extra });
    switch (host?.service) {
      case 'frontend':
        return [check('shop-home', 'http', 'https://shop.example/', true, { httpStatus: 200, tlsExpiresAt: iso(end + 61 * DAY) }), check('nginx', 'process', 'nginx', true)];
      case 'postgres':
        return [check('postgres-port', 'tcp', '127.0.0.1:5432', true), check('postgres', 'process', 'postgres', true)];
      case 'cache':
        return [check('redis-port', 'tcp', '127.0.0.1:6379', !firing('RedisDown'))];
      case 'queue':
        return [check('amqp-port', 'tcp', '127.0.0.1:5672', true), check('management', 'http', 'http://127.0.0.1:15672/api/healthchecks/node', !firing('RabbitmqDiskAlarm'), { httpStatus: firing('RabbitmqDiskAlarm') ? 503 : 200 })];
      case 'auth':
        return [check('login', 'http', 'https://login.shop.example/healthz', true, { httpStatus: 200, tlsExpiresAt: iso(end + 9 * DAY) })];
      default:
        return [check('app', 'http', `http://127.0.0.1:8080/healthz`, true, { httpStatus: 200 })];
    }
  };
  for (let t = start; t <= end; t += HOUR) {
    agenda.add(t, async () => {
      await heartbeat(t);
      await pushMetrics(t);
      await detectSilentAgents(runtime);
      // SLA pass (burn-rate signals, response and resolution warnings), every minute live; the
      // warnings carry the moment each threshold was crossed, so an hourly pass writes the same.
      await runSlaEvaluation({ ...runtime, cache: runtime.slaCache, globalTargets: runtime.config.sla.targets });
      // The live server folds and evaluates every 5 minutes. Folding once a day covers the same
      // hours (it refolds the last two days). Forecasts are evaluated once a day too, at whole
      // days of samples: a forecast's oldest daily window that holds only part of a day has a
      // lower peak, which reads as growth (a daily log-rotation sawtooth would then look like
      // a filling disk while the history is young).
      if ((t - start) % DAY === 0) {
        await rollUpCapacity(runtime, runtime.config.capacity.retention);
        await raiseCapacityAlerts(runtime, runtime.config.capacity.alerts);
      }
    });
  }

  // People: the on-call engineer acknowledges, assigns, writes notes, sometimes resolves or
  // puts on hold; lower priorities are acknowledged later, or not at all.
  const ACK: Record<string, { chance: number; min: number; max: number }> = {
    P1: { chance: 1, min: 2, max: 9 },
    P2: { chance: 0.95, min: 3, max: 20 },
    P3: { chance: 0.75, min: 10, max: 90 },
    P4: { chance: 0.4, min: 30, max: 240 },
    P5: { chance: 0.15, min: 60, max: 480 },
  };
  const RAISED_BY_SIGHTLINE: { alertname: string; note: string; priority?: string }[] = [
    { alertname: 'AgentDown', note: `${DOWN_AGENT_HOST} does not answer on SSH either; asked the data centre for remote hands.` },
    { alertname: 'SightlineMemoryFullSoon', note: 'The search JVM heap grows until it runs out and restarts; tracked with the SearchOutOfMemory problem.' },
    { alertname: 'SightlineFilesystemFullSoon', note: 'WAL archive grows faster since the new order-history feature; ordering a larger volume. Not an outage yet.', priority: 'P3' },
  ];
  let lastSeenIncident = 0;
  const plan = (incident: { id: number; title: string; priority: string; openedAt: string; status: string }) => {
    const opened = Date.parse(incident.openedAt);
    const fault = faultByFirstAlert.get(`${incident.title}\u0000${opened}`);
    const random = mulberry32((seed * 7919 + incident.id * 104_729) >>> 0);
    const person = onCall(opened, start);
    const path = `/api/v1/incidents/${incident.id}`;
    if (fault?.kind === 'open:search-oom') return; // nobody has picked it up yet
    const rule = ACK[incident.priority] ?? (ACK.P3 as { chance: number; min: number; max: number });
    // Sightline's own alerts: the agent that went silent, the disk forecast to fill up.
    const raised = RAISED_BY_SIGHTLINE.find((r) => incident.title.startsWith(r.alertname));
    if (!raised && !fault?.kind.startsWith('open:') && random() >= rule.chance) return;
    const ackAt = Math.max(clock.now() + MINUTE, opened + Math.round(rule.min + random() * (rule.max - rule.min)) * MINUTE);
    if (ackAt > end) return;
    agenda.add(ackAt, async () => {
      if (!(await act(person, `${path}/acknowledge`))) return;
      const priority = raised?.priority;
      await call('PATCH', path, people[person], { assignee: person, ...(priority ? { priority } : {}) });
      const note = raised?.note ?? (fault?.notes.length ? (fault.notes[Math.floor(random() * fault.notes.length)] as string) : null);
      const noteAt = ackAt + Math.round(3 + random() * 12) * MINUTE;
      if (note && noteAt <= end) agenda.add(noteAt, async () => void (await act(person, `${path}/notes`, { text: note })));
      if (fault?.hold && noteAt <= end) agenda.add(noteAt + MINUTE, async () => void (await act(person, `${path}/hold`, { note: fault.hold })));
    });
    if (fault?.resolveByHand && fault.endsAt !== null) {
      const resolveAt = fault.endsAt + Math.round(1 + random() * 3) * MINUTE;
      if (resolveAt <= end) agenda.add(Math.max(resolveAt, ackAt + MINUTE), async () => void (await act(person, `${path}/resolve`, { note: 'Recovered; see the notes above.' })));
    }
  };
  const discover = async () => {
    const fresh: { id: number; title: string; priority: string; openedAt: string; status: string }[] = [];
    let cursor: string | null = null;
    for (;;) {
      const res = await call('GET', `/api/v1/incidents?limit=50${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, platform);
      const page = (await res.json()) as { items: { id: number; title: string; priority: string; openedAt: string; status: string }[]; nextCursor: string | null };
      const newer = page.items.filter((i) => i.id > lastSeenIncident);
      fresh.push(...newer);
      if (newer.length < page.items.length || !page.nextCursor) break;
      cursor = page.nextCursor;
    }
    fresh.sort((a, b) => a.id - b.id);
    for (const incident of fresh) plan(incident);
    if (fresh.length) lastSeenIncident = (fresh[fresh.length - 1] as { id: number }).id;
  };

  // Run the history: each task at its time, then let the correlator settle, as it would live.
  let day = -1;
  const days = Math.round((end - start) / DAY);
  for (let task = agenda.next(); task; task = agenda.next()) {
    if (task.at > clock.now()) clock.set(task.at);
    await task.run();
    await runtime.correlator.drain();
    await discover();
    const d = Math.floor((clock.now() - start) / DAY);
    if (d > day && d < days) {
      day = d;
      if (d % 7 === 0 || d === days - 1) progress(`  day ${d + 1}/${days}: ${alertEvents} alert events sent, ${lastSeenIncident} incidents so far`);
    }
  }
  clock.set(end);
  await detectSilentAgents(runtime);
  await rollUpCapacity(runtime, runtime.config.capacity.retention);
  await raiseCapacityAlerts(runtime, runtime.config.capacity.alerts);
  await runSlaEvaluation({ ...runtime, cache: runtime.slaCache, globalTargets: runtime.config.sla.targets });
  await runtime.correlator.drain();
  await discover();

  // Problem candidates from the recurring faults (when this build has them).
  let problemCandidates: number | null = null;
  const refresh = await call('POST', '/api/v1/problem-candidates/refresh', platform, undefined, [200, 201, 202, 404]);
  if (refresh.status === 404) progress('  problem candidates: not in this build; skipped');
  else {
    const listed = (await (await call('GET', '/api/v1/problem-candidates', platform)).json()) as { items: unknown[] };
    problemCandidates = listed.items.length;
  }

  return { ...(await summarise(runtime, call, platform, scenario)), alertEvents, problemCandidates, adminToken, adminTokenConfigured: runtime.bootstrapToken === null && options.config.adminToken !== null };
}

type Call = (method: string, path: string, token: string) => Promise<Response>;

async function summarise(runtime: Runtime, call: Call, token: string, scenario: DemoScenario): Promise<Omit<DemoSummary, 'seconds' | 'alertEvents' | 'problemCandidates' | 'adminToken' | 'adminTokenConfigured'>> {
  const get = async <T>(path: string) => (await (await call('GET', path, token)).json()) as T;
  const incidents: { id: number; status: string; alertCount: number; openedAt: string }[] = [];
  let cursor: string | null = null;
  do {
    const page: { items: typeof incidents; nextCursor: string | null } = await get(`/api/v1/incidents?limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    incidents.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  const count = (status: string) => incidents.filter((i) => i.status === status).length;
  const services = (await get<{ items: { name: string; sla: unknown }[] }>('/api/v1/services')).items;
  const hosts = (await get<{ items: unknown[] }>('/api/v1/hosts')).items;
  const agents = (await get<{ items: { status: string }[] }>('/api/v1/agents')).items;
  const alerts = (await get<{ items: unknown[] }>('/api/v1/alerts?limit=1000')).items;
  const stats = await get<{ overall: { mttaSeconds: number | null; mttrSeconds: number | null } }>(`/api/v1/stats?since=${new Date(scenario.start).toISOString()}`);
  const capacity = (await get<{ items: { host: string; resources: { resource: string; mountpoint: string; daysUntilFull: number | null }[] }[] }>('/api/v1/capacity')).items;
  let worstDisk: DemoSummary['worstDisk'] = null;
  for (const h of capacity) {
    for (const r of h.resources) {
      if (r.resource === 'filesystem' && r.daysUntilFull !== null && (worstDisk === null || r.daysUntilFull < worstDisk.daysUntilFull)) worstDisk = { host: h.host, mountpoint: r.mountpoint, daysUntilFull: r.daysUntilFull };
    }
  }
  // Storms: the incidents whose timelines took in the storm's alerts (by title and event time);
  // one merged into another (cancelled) holds none of them any more.
  const storms: DemoSummary['storms'] = [];
  for (const f of scenario.faults.filter((x) => x.kind.startsWith('storm:'))) {
    const titles = new Set(f.alerts.map((a) => `${a.labels.alertname}: ${a.annotations.summary}`));
    const last = Math.max(...f.alerts.map((a) => a.startsAt));
    const candidates = incidents.filter((i) => i.status !== 'cancelled' && Date.parse(i.openedAt) <= last && Date.parse(i.openedAt) >= f.startsAt - DAY);
    let holding = 0;
    for (const i of candidates) {
      // The whole timeline, a page at a time: a storm incident's runs to thousands of entries.
      const timeline: { at: string; kind: string; message: string }[] = [];
      let cursor: string | null = null;
      do {
        const page: { items: typeof timeline; nextCursor: string | null } = await get(`/api/v1/incidents/${i.id}/timeline?limit=10000${cursor ? `&cursor=${cursor}` : ''}`);
        timeline.push(...page.items);
        cursor = page.nextCursor;
      } while (cursor !== null);
      const took = timeline.some((t) => (t.kind === 'opened' || t.kind === 'alert_joined') && Date.parse(t.at) >= f.startsAt && Date.parse(t.at) <= last && [...titles].some((title) => t.message === `Opened by ${title}` || t.message.startsWith(`${title} joined`)));
      if (took) holding++;
    }
    storms.push({ alerts: f.alerts.length, incidents: holding });
  }
  const minutesOf = (s: number | null) => (s === null ? null : Math.round((s / 60) * 10) / 10);
  return {
    database: `${runtime.handle.dialect} ${runtime.handle.location}`,
    from: scenario.start,
    to: scenario.end,
    services: services.length,
    servicesWithSla: services.filter((s) => s.sla !== null).length,
    hosts: hosts.length,
    agents: { up: agents.filter((a) => a.status === 'up').length, down: agents.filter((a) => a.status === 'down').length },
    alerts: alerts.length,
    incidents: { total: incidents.length, open: count('open'), acknowledged: count('acknowledged'), onHold: count('on_hold'), resolved: count('resolved'), closed: count('closed') },
    storms,
    mttaMinutes: minutesOf(stats.overall.mttaSeconds),
    mttrMinutes: minutesOf(stats.overall.mttrSeconds),
    worstDisk,
  };
}
