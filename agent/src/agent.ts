/**
 * @module The agent: wires the sampler, checks, rules, /metrics, OTLP and the two on-disk queues
 * (heartbeats and alerts to the server; OTLP pushes to their endpoint) around one latest snapshot.
 * Every background task catches its own errors and counts them in
 * sightline_agent_collector_errors_total{collector=…}; nothing escapes to the process.
 * The state directory (`queue.dir`) holds the queues, the agent id, rule states and check states.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pino, { type Logger } from 'pino';
import { z } from 'zod';
import { checkFamilies } from './checks/families.js';
import { createCheckRunner, type CheckRunner, type CheckState, type SavedCheckState } from './checks/runner.js';
import { systemClock, systemRandom, type Clock, type Random } from './clock.js';
import type { Statfs } from './collectors/filesystem.js';
import { otlpTarget, type AgentConfig } from './config.js';
import { ALERTS_PATH, HEARTBEAT_PATH, type Heartbeat, type Inventory, type NativeAlert } from './contract.js';
import { systemInventory, type InventoryProvider } from './inventory.js';
import type { OtlpPusher } from './outputs/otlp.js';
import { createMetricsRegistry, startMetricsServer, type MetricsRegistry, type MetricsServer } from './outputs/prometheus.js';
import { openDiskQueue, type DiskQueue, type DropReason, type OverflowInfo } from './outputs/queue.js';
import { createSender, type Sender } from './outputs/sender.js';
import { derivedFamilies, effectiveRules, evaluateRules, stateKey, type RuleState } from './rules.js';
import { createSampler, type Sampler } from './sampler.js';
import { nodeFamilies, type Family } from './series.js';
import type { HostSnapshot } from './snapshot.js';
import { agentVersion } from './version.js';

export interface AgentDeps {
  clock?: Clock;
  random?: Random;
  statfs?: Statfs;
  inventory?: InventoryProvider;
  logger?: Logger;
}

export interface Agent {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** One sampler cycle and one run of every check, without starting loops (for --once). */
  collectOnce(): Promise<string>;
  /** Runs one sampler cycle now, with rule evaluation (tests drive the agent with this). */
  tick(): Promise<HostSnapshot>;
  /** Queues a heartbeat now. */
  sendHeartbeat(): Promise<void>;
  snapshot(): HostSnapshot | undefined;
  checkStates(): CheckState[];
  families(): Family[];
  metrics(): Promise<string>;
  /** URL of GET /metrics once started (null when listen is ""). */
  metricsUrl(): string | null;
  agentId(): string;
  queueLength(): number;
  /** Export OTLP now (no-op when OTLP is off). */
  flushOtlp(): Promise<void>;
}

/** How long stop() gives each slow part (checks in flight, the OTLP SDK's last collection, background tasks). */
const STOP_GRACE_MS = 1_000;

/** Resolves when `p` settles or after `ms`, whichever is first; never rejects for the timeout. */
function within<T>(ms: number, p: Promise<T>): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)));
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** The `path` of queued OTLP pushes (for reading the queue; the sender posts to the configured endpoint). */
const OTLP_QUEUE_PATH = '/v1/metrics';

/** The check states file, checked before use: a damaged file only means the checks run at once. */
const SavedCheckStates = z.array(
  z.looseObject({
    identity: z.string(),
    sinceMs: z.number(),
    result: z.looseObject({ name: z.string(), type: z.enum(['http', 'tcp', 'process']), target: z.string(), success: z.boolean(), startedAtMs: z.number(), durationSeconds: z.number() }),
  }),
);

type Component = 'inventory' | 'rules' | 'heartbeat' | 'alerts' | 'queue' | 'sender' | 'otlp' | 'http' | 'checks' | 'state';

export function createAgent(config: AgentConfig, deps: AgentDeps = {}): Agent {
  const clock = deps.clock ?? systemClock;
  const random = deps.random ?? systemRandom;
  const log = deps.logger ?? pino({ level: config.logLevel, base: { component: 'sightline-agent' } }, pino.destination(2));
  const version = agentVersion();
  const sampler: Sampler = createSampler({
    procRoot: config.procRoot,
    sysRoot: config.sysRoot,
    rootfs: config.rootfs,
    filesystem: {
      mountPointsExclude: config.filesystem.mountPointsExclude,
      fsTypesExclude: config.filesystem.fsTypesExclude,
      networkFsTypes: config.filesystem.networkFsTypes,
      includeNetwork: config.filesystem.includeNetwork,
      timeoutMs: config.filesystem.timeout,
    },
    diskDeviceExclude: config.diskstats.deviceExclude,
    netdevDeviceExclude: config.netdev.deviceExclude,
    netclassDeviceExclude: config.netclass.deviceExclude,
    clock,
    ...(deps.statfs ? { statfs: deps.statfs } : {}),
  });
  const inventoryProvider = deps.inventory ?? systemInventory(() => clock.now());
  const rules = effectiveRules(config.defaultRules, config.rules);
  const checkServices = new Map(config.checks.flatMap((c) => (c.service !== undefined ? [[c.name, c.service] as const] : [])));
  const errors = new Map<Component, number>();

  let latest: HostSnapshot | undefined;
  let inventory: Inventory | null = null;
  let ruleStates = new Map<string, RuleState>();
  let savedRuleStates = '[]';
  let agentId = '';
  let queue: DiskQueue | undefined;
  let sender: Sender | undefined;
  let otlpQueue: DiskQueue | undefined;
  let otlpSender: Sender | undefined;
  let server: MetricsServer | undefined;
  let otlp: OtlpPusher | undefined;
  let started = false;
  const timers: NodeJS.Timeout[] = [];
  const background = new Set<Promise<unknown>>();

  const checks: CheckRunner = createCheckRunner({
    checks: config.checks,
    procRoot: config.procRoot,
    clock,
    // Only between start and stop: --once runs checks without touching the saved timers.
    onResult: () => {
      if (checkStatesLoaded) void persistCheckStates();
    },
  });

  /** One warning when a queue's bound starts dropping the oldest items (again after it emptied). */
  const overflowWarning = (name: string, what: string) => (info: OverflowInfo) =>
    log.warn(
      { queue: name, items: info.items, bytes: info.bytes, maxItems: info.maxItems, maxBytes: info.maxBytes },
      `${what} queue is full: dropping the oldest until the receiver takes them again (counted in sightline_agent_dropped_total{queue="${name}",reason="overflow"})`,
    );

  function countError(component: Component, err: unknown): void {
    errors.set(component, (errors.get(component) ?? 0) + 1);
    log.warn({ err, component }, 'background task failed');
  }

  /** Runs a background task so that its failure is counted, never thrown. */
  function guard(component: Component, fn: () => Promise<unknown>): Promise<void> {
    const p = fn().then(
      () => undefined,
      (err: unknown) => countError(component, err),
    );
    background.add(p);
    void p.finally(() => background.delete(p));
    return p;
  }

  function selfFamilies(): Family[] {
    const durations = latest?.durations ?? {};
    const collectorErrors: Record<string, number> = { ...sampler.errorCounts() };
    for (const [k, v] of errors) collectorErrors[k] = v;
    const queues = { server: queue, otlp: otlpQueue };
    const pushes = { server: sender?.lastSuccessMs(), otlp: otlpSender?.lastSuccessMs() };
    const pushSamples = Object.entries(pushes).flatMap(([target, ms]) => (ms !== undefined ? [{ labels: { target }, value: ms / 1000 }] : []));
    return [
      {
        name: 'sightline_agent_collector_duration_seconds',
        type: 'gauge',
        help: 'Seconds each collector took in the latest sampler cycle.',
        samples: Object.entries(durations).map(([collector, value]) => ({ labels: { collector }, value })),
      },
      {
        name: 'sightline_agent_collector_errors_total',
        type: 'counter',
        help: 'Failures of collectors and background tasks since start, by collector or task.',
        samples: Object.entries(collectorErrors).map(([collector, value]) => ({ labels: { collector }, value })),
      },
      {
        name: 'sightline_agent_queue_length',
        type: 'gauge',
        help: 'Items waiting in an on-disk queue: server (heartbeats and alerts), otlp (OTLP pushes).',
        samples: Object.entries(queues).flatMap(([name, q]) => (q ? [{ labels: { queue: name }, value: q.length() }] : [])),
      },
      {
        name: 'sightline_agent_queue_bytes',
        type: 'gauge',
        help: 'Bytes of the items waiting in an on-disk queue.',
        samples: Object.entries(queues).flatMap(([name, q]) => (q ? [{ labels: { queue: name }, value: q.bytes() }] : [])),
      },
      {
        name: 'sightline_agent_dropped_total',
        type: 'counter',
        help: 'Queued items dropped: overflow (queue bound, oldest first), rejected (receiver said 4xx), corrupt.',
        samples: Object.entries(queues).flatMap(([name, q]) =>
          q ? Object.entries(q.dropped()).map(([reason, value]) => ({ labels: { queue: name, reason: reason as DropReason }, value })) : [],
        ),
      },
      {
        name: 'sightline_agent_last_successful_push_timestamp_seconds',
        type: 'gauge',
        help: 'When a push last succeeded, by target (server, otlp), in unixtime.',
        samples: pushSamples,
      },
      {
        name: 'sightline_agent_firing_alerts',
        type: 'gauge',
        help: 'Alerts from local rules currently firing.',
        samples: [{ labels: {}, value: [...ruleStates.values()].filter((s) => s.firedAtMs !== undefined).length }],
      },
      {
        name: 'sightline_agent_host_info',
        type: 'gauge',
        help: 'The host name this agent reports (alert labels, heartbeats, OTLP host.name; the server keys forecasts by it); value is always 1.',
        samples: [{ labels: { host: config.hostname }, value: 1 }],
      },
      {
        name: 'sightline_agent_build_info',
        type: 'gauge',
        help: 'Agent version and Node.js version; value is always 1.',
        samples: [{ labels: { version, nodejs_version: process.versions.node }, value: 1 }],
      },
    ];
  }

  // Host families are built once per snapshot: the rules after each tick and every scrape until the
  // next tick read the same ones (building them is most of a scrape's CPU and garbage).
  let hostFamilies: { snapshot: HostSnapshot; families: Family[] } | undefined;
  const families = (): Family[] => {
    if (latest && hostFamilies?.snapshot !== latest) hostFamilies = { snapshot: latest, families: nodeFamilies(latest) };
    return [...(latest && hostFamilies ? hostFamilies.families : []), ...checkFamilies(checks.states()), ...selfFamilies()];
  };
  const registry: MetricsRegistry = createMetricsRegistry(families);

  async function enqueue(kind: 'heartbeat' | 'alerts', path_: string, body: unknown): Promise<void> {
    if (!queue) return;
    await queue.push({ path: path_, body, enqueuedAtMs: clock.now() });
    sender?.kick();
    log.debug({ kind }, 'queued');
  }

  function heartbeat(): Heartbeat {
    const iso = (ms: number) => new Date(ms).toISOString();
    return {
      agentId,
      host: config.hostname,
      version,
      sentAt: iso(clock.now()),
      intervalSeconds: config.server.heartbeatInterval / 1000,
      sampleIntervalSeconds: config.interval / 1000,
      inventory,
      checks: checks.states().map((s) => ({
        name: s.result.name,
        type: s.result.type,
        target: s.result.target,
        success: s.result.success,
        since: iso(s.sinceMs),
        lastRunAt: iso(s.result.startedAtMs),
        durationSeconds: s.result.durationSeconds,
        ...(s.result.error !== undefined ? { error: s.result.error } : {}),
        ...(s.result.http ? { httpStatus: s.result.http.statusCode } : {}),
        ...(s.result.http?.sslEarliestCertExpiry !== undefined ? { tlsExpiresAt: iso(s.result.http.sslEarliestCertExpiry * 1000) } : {}),
        ...(checkServices.has(s.result.name) ? { service: checkServices.get(s.result.name) } : {}),
      })),
      firingAlerts: [...ruleStates.values()].filter((s) => s.firedAtMs !== undefined).length,
    };
  }

  const ruleStatePath = () => path.join(config.queue.dir, 'rule-state.json');
  const checkStatePath = () => path.join(config.queue.dir, 'check-state.json');
  let checkStateWrite: Promise<void> = Promise.resolve();
  let checkStateDirty = false;
  let checkStatesLoaded = false;

  /**
   * Saves every check's latest state after a run, so a restart neither re-runs a check early nor
   * waits a whole interval. Writes are coalesced: a run during a write is saved by the next one.
   */
  function persistCheckStates(): Promise<void> {
    if (checkStateDirty) return checkStateWrite;
    checkStateDirty = true;
    checkStateWrite = checkStateWrite.then(async () => {
      checkStateDirty = false;
      const tmp = `${checkStatePath()}.tmp`;
      await writeFile(tmp, JSON.stringify(checks.saved()));
      await rename(tmp, checkStatePath());
    });
    checkStateWrite = checkStateWrite.catch((err: unknown) => countError('state', err));
    return checkStateWrite;
  }

  async function loadCheckStates(): Promise<SavedCheckState[]> {
    let text: string;
    try {
      text = await readFile(checkStatePath(), 'utf8');
    } catch {
      return []; // Never saved: every check runs at once.
    }
    const parsed = SavedCheckStates.safeParse(JSON.parse(text));
    if (!parsed.success) throw new Error(`${checkStatePath()}: not a saved check state; checks run at once`);
    return parsed.data as SavedCheckState[];
  }

  async function persistRuleStates(): Promise<void> {
    if (!queue) return;
    const text = JSON.stringify([...ruleStates.values()]);
    if (text === savedRuleStates) return;
    const tmp = `${ruleStatePath()}.tmp`;
    await writeFile(tmp, text);
    await rename(tmp, ruleStatePath());
    savedRuleStates = text;
  }

  async function evaluate(): Promise<void> {
    const all = [...families(), ...derivedFamilies(latest, checks.states(), checkServices)];
    const { states, alerts } = evaluateRules(rules, all, ruleStates, clock.now(), { host: config.hostname, service: config.service });
    ruleStates = states;
    if (alerts.length > 0) {
      log.info({ alerts: alerts.map((a) => `${a.labels.alertname}:${a.status}`) }, 'rule alerts');
      await enqueue('alerts', ALERTS_PATH, { alerts } satisfies { alerts: NativeAlert[] });
    }
    await persistRuleStates();
  }

  async function tick(): Promise<HostSnapshot> {
    latest = await sampler.sample();
    await guard('rules', evaluate);
    return latest;
  }

  async function refreshInventory(): Promise<void> {
    inventory = await inventoryProvider();
  }

  async function loadAgentId(): Promise<string> {
    const file = path.join(config.queue.dir, 'agent-id');
    try {
      const id = (await readFile(file, 'utf8')).trim();
      if (id) return id;
    } catch {
      // First start: make one below.
    }
    const id = randomUUID();
    try {
      await mkdir(config.queue.dir, { recursive: true });
      await writeFile(file, `${id}\n`);
    } catch (err) {
      countError('state', err);
    }
    return id;
  }

  async function loadRuleStates(): Promise<void> {
    try {
      const saved = JSON.parse(await readFile(ruleStatePath(), 'utf8')) as RuleState[];
      ruleStates = new Map(saved.map((s) => [stateKey(s.alertname, s.labels), s]));
      savedRuleStates = JSON.stringify(saved);
    } catch {
      // No saved state yet.
    }
  }

  /** setTimeout chain on a fixed cadence: a slow cycle shortens the next wait instead of drifting. */
  function every(ms: number, fn: () => Promise<void>, firstDelay = ms): void {
    let next = clock.monotonic() + firstDelay;
    const schedule = () => {
      if (!started) return;
      const t = setTimeout(async () => {
        await fn();
        next += ms;
        const now = clock.monotonic();
        if (next < now) next = now + ms;
        schedule();
      }, Math.max(0, next - clock.monotonic()));
      timers.push(t);
      if (timers.length > 64) timers.splice(0, timers.length - 16);
    };
    schedule();
  }

  return {
    tick,
    snapshot: () => latest,
    checkStates: () => checks.states(),
    families,
    metrics: () => registry.render(),
    metricsUrl: () => server?.url ?? null,
    agentId: () => agentId,
    queueLength: () => queue?.length() ?? 0,
    flushOtlp: async () => {
      await otlp?.flush();
    },
    sendHeartbeat: () => enqueue('heartbeat', HEARTBEAT_PATH, heartbeat()),

    async collectOnce() {
      await Promise.all([sampler.sample().then((s) => (latest = s)), checks.runAll()]);
      return registry.render();
    },

    async start() {
      if (started) return;
      started = true;
      agentId = await loadAgentId();
      if (config.server.url !== undefined && config.server.token !== undefined) {
        queue = await openDiskQueue({
          dir: config.queue.dir,
          maxItems: config.queue.maxItems,
          maxBytes: config.queue.maxBytes,
          onOverflow: overflowWarning('server', 'heartbeat and alert'),
        });
        await loadRuleStates();
        sender = createSender({
          queue,
          baseUrl: config.server.url,
          headers: { authorization: `Bearer ${config.server.token}` },
          idempotencyPrefix: agentId,
          timeoutMs: config.server.timeout,
          retryMinMs: config.queue.retryMin,
          retryMaxMs: config.queue.retryMax,
          clock,
          random,
          onError: (err) => log.debug({ err }, 'delivery failed, will retry'),
        });
        sender.start();
      }
      // Inventory only travels in heartbeats: without a server it is never collected.
      const inventoryReady = queue ? guard('inventory', refreshInventory) : Promise.resolve();
      if (queue) every(config.inventory.interval, () => guard('inventory', refreshInventory));
      await tick();
      let savedChecks: SavedCheckState[] = [];
      try {
        if (config.checks.length > 0) savedChecks = await loadCheckStates();
      } catch (err) {
        countError('state', err); // unreadable: the checks run at once, as on a first start
      }
      checkStatesLoaded = true;
      checks.start(savedChecks);
      every(config.interval, async () => {
        await tick().catch((err: unknown) => countError('rules', err));
      });
      if (config.listen !== '') {
        server = await startMetricsServer(config.listen, registry, (err) => countError('http', err));
        log.info({ url: server.url }, 'serving metrics');
      }
      if (queue) {
        // First heartbeat once the inventory is in (or after 5 s without it), then on the interval.
        void guard('heartbeat', async () => {
          await Promise.race([inventoryReady, new Promise((r) => setTimeout(r, 5_000).unref())]);
          if (started) await enqueue('heartbeat', HEARTBEAT_PATH, heartbeat());
        });
        every(config.server.heartbeatInterval, () => guard('heartbeat', () => enqueue('heartbeat', HEARTBEAT_PATH, heartbeat())));
      }
      // Without an endpoint of its own, the agent pushes to its Sightline server (capacity data).
      const target = otlpTarget(config);
      if (target !== null) {
        // Loaded only when configured.
        const { hostArch, metricsUrl, startOtlp } = await import('./outputs/otlp.js');
        const uname = latest?.uname;
        // A queue of its own: a backlog of pushes never holds up heartbeats and alerts, or the reverse.
        const pushes = await openDiskQueue({
          dir: path.join(config.queue.dir, 'otlp'),
          maxItems: config.queue.maxItems,
          maxBytes: config.queue.maxBytes,
          onOverflow: overflowWarning('otlp', 'OTLP push'),
        });
        otlpQueue = pushes;
        otlpSender = createSender({
          queue: pushes,
          baseUrl: metricsUrl(target.endpoint),
          url: metricsUrl(target.endpoint),
          headers: target.toServer && config.server.token ? { authorization: `Bearer ${config.server.token}`, ...config.otlp.headers } : config.otlp.headers,
          idempotencyPrefix: `${agentId}-otlp`,
          timeoutMs: config.server.timeout,
          retryMinMs: config.queue.retryMin,
          retryMaxMs: config.queue.retryMax,
          clock,
          random,
          onError: (err) => log.debug({ err }, 'OTLP delivery failed, will retry'),
        });
        otlpSender.start();
        otlp = startOtlp({
          intervalMs: config.otlp.interval,
          resource: {
            hostName: config.hostname,
            hostArch: hostArch(os.arch()),
            osType: (uname?.sysname ?? os.type()).toLowerCase(),
            osVersion: uname?.release ?? os.release(),
            agentId,
            version,
          },
          snapshot: () => latest,
          checks: () => checks.states(),
          now: () => clock.now(),
          enqueue: async (request) => {
            try {
              await pushes.push({ path: OTLP_QUEUE_PATH, body: request, enqueuedAtMs: clock.now() });
            } catch (err) {
              countError('otlp', err);
              throw err;
            }
            otlpSender?.kick();
          },
        });
      }
      log.info({ agentId, version, interval: config.interval, checks: config.checks.length, rules: rules.length }, 'agent started');
    },

    async stop() {
      if (!started) return;
      started = false;
      for (const t of timers) clearTimeout(t);
      timers.length = 0;
      // Stopping is bounded (SIGTERM must end the agent within seconds): what is owed to a receiver
      // is already on disk in a queue, so nothing else may hold the exit up for long.
      await checks.stop(STOP_GRACE_MS);
      if (checkStatesLoaded && config.checks.length > 0) await persistCheckStates();
      checkStatesLoaded = false;
      // The SDK's last collection goes into the OTLP queue before its sender stops.
      if (otlp) await within(STOP_GRACE_MS, otlp.stop()).catch((err: unknown) => countError('otlp', err));
      // A push in flight is cut off; its item stays at the head of its queue for the next start.
      await Promise.all([sender?.stop(), otlpSender?.stop()]);
      await server?.close();
      // Inventory (systeminformation) and the first heartbeat's wait may take long; not worth waiting for.
      await within(STOP_GRACE_MS, Promise.allSettled([...background]));
      await persistRuleStates().catch((err: unknown) => countError('state', err));
      await checkStateWrite;
      server = undefined;
      otlp = undefined;
      sender = undefined;
      otlpSender = undefined;
      log.info('agent stopped');
    },
  };
}

/** Builds and starts an agent; resolves once it is sampling and serving. */
export async function runAgent(config: AgentConfig, deps: AgentDeps = {}): Promise<Agent> {
  const agent = createAgent(config, deps);
  await agent.start();
  return agent;
}
