/**
 * @module A seeded alert-storm generator with ground truth, for the correlation benchmark.
 *
 * Over a few simulated days it emits alert episodes (one firing → resolved span of one
 * label set), each tagged with the id of the fault that really caused it:
 * - root faults on a service (database overload, full disk, dead host, bad deploy, …) whose
 *   symptoms cascade up the dependency DAG to dependents (up to three hops, fading with
 *   distance) and some of their hosts, each hop seconds to minutes later;
 * - flapping: some episodes split into several firing/resolved toggles of the same alert;
 * - background noise: single alerts, some of them flapping on their own;
 * - recurrence: some faults repeat an earlier day's fault exactly (same alerts, so same
 *   fingerprints) at about the same time of day, and a nightly job alert fires every day;
 *   each occurrence is a fault of its own.
 * Alerts come in several shapes: per-instance service metrics (alertname/instance/job/
 * severity/service), service-wide SLO alerts without instance, node-exporter host alerts
 * without a service label, `TargetDown` with only job and instance. Summaries carry numbers,
 * ids and IPs that change between episodes; labels never do.
 *
 * One label set never has two overlapping episodes: a later fault that would fire an alert
 * already firing for another fault is simply not seen for it (as in real life).
 */
import { Random } from './random.js';
import { dependentsOf, generateTopology, type Host, type Layer, type Service, type Topology } from './topology.js';

export type Labels = Record<string, string>;

export interface StormEpisode {
  /** Ground truth: the fault this episode belongs to. */
  faultId: string;
  labels: Labels;
  annotations: Labels;
  startsAt: number;
  endsAt: number;
  /** Where the alert really comes from, whatever its labels say. */
  service: string | null;
  role: 'root' | 'cascade' | 'noise';
  /** Dependency hops from the fault's root service (0 for root and noise alerts). */
  hops: number;
}

export interface StormFault {
  id: string;
  kind: string;
  /** The faulty service; null for noise on a host shared by nobody in particular. */
  rootService: string | null;
  startsAt: number;
  /** Id of the earlier fault this one repeats, if any. */
  recurrenceOf: string | null;
}

export interface StormOptions {
  seed: number;
  days: number;
  services: number;
  faultsPerDay: number;
  noisePerDay: number;
  /** Midnight UTC of the first simulated day. */
  start?: number;
}

export interface Storm {
  options: Required<StormOptions>;
  topology: Topology;
  faults: StormFault[];
  /** Sorted by start, then by label key. */
  episodes: StormEpisode[];
}

export interface StormEvent {
  at: number;
  status: 'firing' | 'resolved';
  episode: StormEpisode;
}

/** Storm events as alerts of Sightline's native `POST /api/v1/alerts` body. */
export function nativeAlerts(events: readonly StormEvent[]) {
  const iso = (ms: number) => new Date(ms).toISOString();
  return events.map(({ status, episode }) => ({
    labels: episode.labels,
    annotations: episode.annotations,
    status,
    startsAt: iso(episode.startsAt),
    ...(status === 'resolved' ? { endsAt: iso(episode.endsAt) } : {}),
  }));
}

export const DEFAULT_STORM: Required<StormOptions> = {
  seed: 20_261_121,
  days: 5,
  services: 45,
  faultsPerDay: 40,
  noisePerDay: 100,
  start: Date.parse('2026-11-16T00:00:00.000Z'),
};

const SEC = 1000;
const MIN = 60 * SEC;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

/** A stable identity of a label set (what a fingerprint hashes). */
export function labelKey(labels: Labels): string {
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}=${labels[k]}`)
    .join(',');
}

interface AlertShape {
  labels: Labels;
  /** Builds the summary of one episode: numbers differ every time. */
  summary(rng: Random): string;
}

const instanceOf = (s: Service, h: Host) => `${h.address}:${s.port}`;

function serviceAlert(s: Service, h: Host | null, alertname: string, severity: string, summary: (rng: Random) => string): AlertShape {
  const labels: Labels = { alertname, service: s.name, job: s.job, severity, env: 'prod' };
  if (h) labels.instance = instanceOf(s, h);
  return { labels, summary };
}

function hostAlert(h: Host, alertname: string, severity: string, summary: (rng: Random) => string): AlertShape {
  return { labels: { alertname, instance: `${h.address}:9100`, job: 'node', severity }, summary };
}

function targetDown(s: Service, h: Host): AlertShape {
  return {
    labels: { alertname: 'TargetDown', job: s.job, instance: instanceOf(s, h), severity: 'critical' },
    summary: (r) => `${instanceOf(s, h)} of job ${s.job} has been down for more than ${r.int(1, 5)} minutes`,
  };
}

const hex = (r: Random, n: number) => Array.from({ length: n }, () => '0123456789abcdef'[r.int(0, 15)]).join('');

const SYMPTOMS = {
  latency: (s: Service, h: Host) => serviceAlert(s, h, 'HighLatency', 'warning', (r) => `p99 latency ${r.int(800, 9000)}ms on ${h.address} (threshold 500ms)`),
  errors: (s: Service) =>
    serviceAlert(s, null, 'HighErrorRate', 'critical', (r) => `Error rate ${(r.next() * 30 + 5).toFixed(1)}% on ${s.name} (${r.int(100, 9000)} of ${r.int(10_000, 90_000)} requests failed)`),
  upstream: (s: Service, h: Host, upstream: string) =>
    serviceAlert(s, h, 'UpstreamErrors', 'warning', (r) => `${r.int(20, 900)} 5xx from ${upstream} in 5m, last trace ${hex(r, 16)}`),
  slo: (s: Service) => serviceAlert(s, null, 'SLOBurnRateHigh', 'critical', (r) => `Error budget burning ${(r.next() * 20 + 2).toFixed(1)}x over 1h for ${s.name}`),
  cpu: (h: Host) => hostAlert(h, 'HostHighCpuLoad', 'warning', (r) => `CPU load ${r.int(85, 100)}% on ${h.address} for ${r.int(5, 15)}m`),
};

/** Root alerts of one fault kind on a service, chosen with the pattern's own random stream. */
function rootAlerts(kind: string, s: Service, shape: Random): AlertShape[] {
  const h = shape.pick(s.hosts);
  switch (kind) {
    case 'db-overload':
      return [
        serviceAlert(s, h, 'PostgresTooManyConnections', 'critical', (r) => `${r.int(180, 200)} of 200 connections in use on ${h.address}`),
        serviceAlert(s, h, 'PostgresSlowQueries', 'warning', (r) => `${r.int(20, 400)} queries slower than 1s, slowest pid ${r.int(1000, 99999)}`),
        ...(shape.chance(0.6) ? [SYMPTOMS.cpu(h)] : []),
      ];
    case 'db-disk':
      return [
        hostAlert(h, 'HostDiskWillFillIn4Hours', 'warning', (r) => `Filesystem /var/lib/postgresql at ${r.int(85, 97)}% on ${h.address}`),
        serviceAlert(s, shape.pick(s.hosts), 'PostgresReplicationLag', 'critical', (r) => `Replication lag ${r.int(30, 900)}s on replica`),
      ];
    case 'cache-memory':
      return [
        serviceAlert(s, h, 'RedisMemoryHigh', 'warning', (r) => `Redis memory ${r.int(90, 99)}% of maxmemory on ${h.address}`),
        serviceAlert(s, h, 'RedisEvictionsHigh', 'critical', (r) => `${r.int(1000, 90000)} keys evicted in 5m`),
      ];
    case 'queue-backlog':
      return [
        serviceAlert(s, null, 'KafkaConsumerLag', 'critical', (r) => `Consumer group ${s.job}-consumers lag ${r.int(10_000, 2_000_000)} messages`),
        serviceAlert(s, h, 'KafkaUnderReplicatedPartitions', 'warning', (r) => `${r.int(1, 40)} under-replicated partitions on broker ${h.address}`),
      ];
    case 'host-down':
      return [hostAlert(h, 'NodeDown', 'critical', (r) => `${h.address} unreachable for ${r.int(2, 9)} minutes`), targetDown(s, h), ...(s.hosts.length <= 2 ? [SYMPTOMS.errors(s)] : [])];
    case 'bad-deploy':
      return [
        SYMPTOMS.errors(s),
        ...shape.sample(s.hosts, shape.int(1, s.hosts.length)).map((x) =>
          serviceAlert(s, x, 'ContainerRestarting', 'warning', (r) => `Pod ${s.name}-${hex(r, 9)}-${hex(r, 5)} restarted ${r.int(3, 30)} times`),
        ),
        ...(shape.chance(0.5) ? [SYMPTOMS.latency(s, h)] : []),
      ];
    case 'cert':
      return [serviceAlert(s, null, 'CertificateExpiringSoon', 'warning', (r) => `TLS certificate for ${s.name}.example.com expires in ${r.int(1, 6)} days`)];
    default:
      throw new Error(`unknown fault kind ${kind}`);
  }
}

const KINDS: Record<Layer, string[]> = {
  frontend: ['bad-deploy', 'cert', 'host-down'],
  api: ['bad-deploy', 'bad-deploy', 'host-down'],
  backend: ['bad-deploy', 'host-down'],
  database: ['db-overload', 'db-overload', 'db-disk', 'host-down'],
  queue: ['queue-backlog', 'host-down'],
  cache: ['cache-memory', 'host-down'],
};
/** How strongly a fault kind spreads to dependents. */
const SPREAD: Record<string, number> = { 'db-overload': 1, 'db-disk': 0.4, 'cache-memory': 0.7, 'queue-backlog': 0.6, 'host-down': 0.5, 'bad-deploy': 0.8, cert: 0 };
const HOP_CHANCE = [0.85, 0.55, 0.3];
const ROOT_LAYER_WEIGHT: [Layer, number][] = [
  ['database', 0.3],
  ['api', 0.28],
  ['backend', 0.15],
  ['cache', 0.12],
  ['queue', 0.1],
  ['frontend', 0.05],
];

interface PlannedAlert {
  shape: AlertShape;
  service: string;
  role: 'root' | 'cascade';
  hops: number;
  /** Start and end relative to the fault's start and end. */
  delay: number;
  tail: number;
  flaps: boolean;
}

/**
 * The alerts one fault pattern raises: fixed by the pattern's seed, so a recurrence of the
 * pattern raises the same alerts with the same labels.
 */
function planFault(topology: Topology, root: Service, kind: string, patternSeed: number): PlannedAlert[] {
  const shape = new Random(patternSeed);
  const planned: PlannedAlert[] = rootAlerts(kind, root, shape).map((a) => ({
    shape: a,
    service: root.name,
    role: 'root',
    hops: 0,
    delay: shape.int(0, 90) * SEC,
    tail: shape.int(0, 120) * SEC,
    flaps: shape.chance(0.08),
  }));
  const spread = SPREAD[kind] ?? 0;
  const reached = new Map<string, number>([[root.name, 0]]);
  let frontier: { service: Service; delay: number }[] = [{ service: root, delay: 0 }];
  for (let hop = 1; hop <= HOP_CHANCE.length && spread > 0; hop++) {
    const next: { service: Service; delay: number }[] = [];
    for (const { service: parent, delay: parentDelay } of frontier) {
      for (const dependent of dependentsOf(topology, parent.name)) {
        if (reached.has(dependent.name) || !shape.chance((HOP_CHANCE[hop - 1] as number) * spread)) continue;
        reached.set(dependent.name, hop);
        const delay = parentDelay + shape.int(20, 240) * SEC;
        next.push({ service: dependent, delay });
        const host = shape.pick(dependent.hosts);
        const symptoms: AlertShape[] = [];
        if (dependent.layer === 'frontend') symptoms.push(SYMPTOMS.slo(dependent));
        else if (shape.chance(0.6)) symptoms.push(SYMPTOMS.errors(dependent));
        for (const h of shape.sample(dependent.hosts, shape.int(1, Math.min(3, dependent.hosts.length)))) symptoms.push(SYMPTOMS.latency(dependent, h));
        if (shape.chance(0.35)) symptoms.push(SYMPTOMS.upstream(dependent, host, parent.name));
        if (shape.chance(0.15)) symptoms.push(SYMPTOMS.cpu(host));
        for (const a of symptoms) {
          planned.push({
            shape: a,
            service: dependent.name,
            role: 'cascade',
            hops: hop,
            delay: delay + shape.int(0, 60) * SEC,
            tail: shape.int(-120, 300) * SEC,
            flaps: shape.chance(0.12),
          });
        }
      }
    }
    frontier = next;
  }
  return planned;
}

/** Splits [start, end) into alternating firing spans and gaps: a flapping alert. */
function flapSpans(start: number, end: number, rng: Random): [number, number][] {
  const spans: [number, number][] = [];
  let t = start;
  while (t < end) {
    const stop = Math.min(end, t + rng.int(30, 300) * SEC);
    spans.push([t, stop]);
    t = stop + rng.int(30, 180) * SEC;
  }
  return spans;
}

interface Candidate {
  fault: StormFault;
  episodes: StormEpisode[];
}

function episodeOf(faultId: string, shape: AlertShape, startsAt: number, endsAt: number, rng: Random, extra: Pick<StormEpisode, 'service' | 'role' | 'hops'>): StormEpisode {
  return { faultId, labels: shape.labels, annotations: { summary: shape.summary(rng) }, startsAt, endsAt, ...extra };
}

function pickRoot(topology: Topology, rng: Random): Service {
  let x = rng.next();
  let layer: Layer = 'database';
  for (const [l, w] of ROOT_LAYER_WEIGHT) {
    layer = l;
    if ((x -= w) < 0) break;
  }
  return rng.pick(topology.services.filter((s) => s.layer === layer));
}

/** A time of day: mostly working hours, when deploys and traffic peaks happen. */
const timeOfDay = (rng: Random) => (rng.chance(0.7) ? 8 * HOUR + rng.int(0, 12 * 3600) * SEC : rng.int(0, 24 * 3600) * SEC);

const NOISE_HOST = ['HostHighCpuLoad', 'HostOutOfMemory', 'HostDiskWillFillIn4Hours', 'HostClockSkew', 'HostNetworkReceiveErrors', 'HostSystemdServiceCrashed'];
const NOISE_SERVICE = ['HighLatency', 'HighMemoryUsage', 'GCPauseHigh'];

function noiseShape(topology: Topology, rng: Random): { shape: AlertShape; service: Service } {
  const s = rng.pick(topology.services);
  const h = rng.pick(s.hosts);
  const x = rng.next();
  if (x < 0.5) {
    const alertname = rng.pick(NOISE_HOST);
    return { service: s, shape: hostAlert(h, alertname, rng.pick(['warning', 'warning', 'critical']), (r) => `${alertname} on ${h.address}: value ${r.int(1, 999)}`) };
  }
  if (x < 0.75) {
    const alertname = rng.pick(NOISE_SERVICE);
    return { service: s, shape: serviceAlert(s, h, alertname, 'warning', (r) => `${alertname} on ${h.address}: ${r.int(100, 5000)} (threshold ${r.int(50, 99)})`) };
  }
  if (x < 0.85) return { service: s, shape: rootAlerts('cert', s, rng)[0] as AlertShape };
  return { service: s, shape: targetDown(s, h) };
}

export function generateStorm(input: Partial<StormOptions> & { seed: number }): Storm {
  const options: Required<StormOptions> = { ...DEFAULT_STORM, ...input };
  const topology = generateTopology({ seed: options.seed, services: options.services });
  const root = new Random(options.seed);
  const faultRng = root.fork('faults');
  const noiseRng = root.fork('noise');
  const candidates: Candidate[] = [];
  /** A fault as first seen; a recurrence replays its seed. */
  interface Pattern {
    id: string;
    root: Service;
    kind: string;
    seed: number;
    startsAt: number;
  }
  const patterns: Pattern[] = [];
  let firstBackup: string | null = null;
  let faultNo = 0;
  let noiseNo = 0;

  for (let day = 0; day < options.days; day++) {
    const midnight = options.start + day * DAY;
    for (let i = 0; i < options.faultsPerDay; i++) {
      const id = `fault-${String(++faultNo).padStart(4, '0')}`;
      const earlier = patterns.filter((p) => p.startsAt < midnight);
      const recur = earlier.length > 0 && faultRng.chance(0.15);
      let pattern: Pattern;
      let startsAt: number;
      if (recur) {
        pattern = faultRng.pick(earlier);
        startsAt = midnight + ((pattern.startsAt - options.start) % DAY) + faultRng.int(-30, 30) * MIN;
      } else {
        const service = pickRoot(topology, faultRng);
        startsAt = midnight + timeOfDay(faultRng);
        pattern = { id, root: service, kind: faultRng.pick(KINDS[service.layer]), seed: faultRng.int(1, 2 ** 31), startsAt };
        patterns.push(pattern);
      }
      const duration = Math.round(faultRng.logUniform(6, 90) * MIN / SEC) * SEC;
      const fault: StormFault = { id, kind: pattern.kind, rootService: pattern.root.name, startsAt, recurrenceOf: recur ? pattern.id : null };
      const episodes: StormEpisode[] = [];
      for (const a of planFault(topology, pattern.root, pattern.kind, pattern.seed)) {
        const start = startsAt + a.delay;
        const end = Math.max(start + MIN, startsAt + duration + a.tail);
        const spans = a.flaps ? flapSpans(start, end, faultRng) : [[start, end] as [number, number]];
        for (const [s, e] of spans) episodes.push(episodeOf(id, a.shape, s, e, faultRng, { service: a.service, role: a.role, hops: a.hops }));
      }
      candidates.push({ fault, episodes });
    }

    for (let i = 0; i < options.noisePerDay; i++) {
      const id = `noise-${String(++noiseNo).padStart(5, '0')}`;
      const { shape, service } = noiseShape(topology, noiseRng);
      const startsAt = midnight + noiseRng.int(0, 24 * 3600) * SEC;
      const flapping = noiseRng.chance(0.15);
      const end = startsAt + Math.round(noiseRng.logUniform(2, flapping ? 120 : 40) * MIN / SEC) * SEC;
      const spans = flapping ? flapSpans(startsAt, end, noiseRng) : [[startsAt, end] as [number, number]];
      candidates.push({
        fault: { id, kind: flapping ? 'noise-flapping' : 'noise', rootService: service.name, startsAt, recurrenceOf: null },
        episodes: spans.map(([s, e]) => episodeOf(id, shape, s, e, noiseRng, { service: service.name, role: 'noise', hops: 0 })),
      });
    }

    // A nightly job that overruns every night: the same alert, a new fault each day.
    const batch = topology.services.find((s) => s.layer === 'database') as Service;
    const host = batch.hosts[0] as Host;
    const id = `noise-${String(++noiseNo).padStart(5, '0')}`;
    const recurrenceOf = firstBackup;
    firstBackup ??= id;
    const startsAt = midnight + 2 * HOUR + noiseRng.int(0, 20 * 60) * SEC;
    candidates.push({
      fault: { id, kind: 'nightly-backup', rootService: batch.name, startsAt, recurrenceOf },
      episodes: [
        episodeOf(id, hostAlert(host, 'BackupJobSlow', 'warning', (r) => `pg_dump of ${batch.name} running for ${r.int(61, 180)} minutes`), startsAt, startsAt + noiseRng.int(20, 60) * MIN, noiseRng, {
          service: batch.name,
          role: 'noise',
          hops: 0,
        }),
      ],
    });
  }

  // Accept faults in time order; an alert already firing (for another fault) cannot fire again.
  candidates.sort((a, b) => a.fault.startsAt - b.fault.startsAt || a.fault.id.localeCompare(b.fault.id));
  const busy = new Map<string, [number, number][]>();
  const faults: StormFault[] = [];
  const episodes: StormEpisode[] = [];
  for (const { fault, episodes: mine } of candidates) {
    const byAlert = new Map<string, StormEpisode[]>();
    for (const e of mine) {
      const key = labelKey(e.labels);
      byAlert.set(key, [...(byAlert.get(key) ?? []), e]);
    }
    const kept: StormEpisode[] = [];
    for (const [key, list] of byAlert) {
      const taken = busy.get(key) ?? [];
      const first = Math.min(...list.map((e) => e.startsAt));
      const last = Math.max(...list.map((e) => e.endsAt));
      // Two minutes apart at least, so each episode stays a distinct firing of the alert.
      if (taken.some(([s, e]) => first < e + 2 * MIN && s < last + 2 * MIN)) continue;
      // A fault's own plan can raise one alert twice (one host, two hops): keep the first.
      const own = list.sort((a, b) => a.startsAt - b.startsAt).filter((e, i, all) => i === 0 || e.startsAt >= (all[i - 1] as StormEpisode).endsAt);
      taken.push([first, last]);
      busy.set(key, taken);
      kept.push(...own);
    }
    if (kept.length === 0) continue;
    faults.push(fault);
    episodes.push(...kept);
  }
  episodes.sort((a, b) => a.startsAt - b.startsAt || labelKey(a.labels).localeCompare(labelKey(b.labels)));
  return { options, topology, faults, episodes };
}

/** Firing and resolved events of every episode in event-time order (a resolve before a firing at the same instant). */
export function stormEvents(storm: Storm): StormEvent[] {
  const events: StormEvent[] = [];
  for (const episode of storm.episodes) {
    events.push({ at: episode.startsAt, status: 'firing', episode });
    events.push({ at: episode.endsAt, status: 'resolved', episode });
  }
  const rank = (e: StormEvent) => (e.status === 'resolved' ? 0 : 1);
  return events.sort((a, b) => a.at - b.at || rank(a) - rank(b) || labelKey(a.episode.labels).localeCompare(labelKey(b.episode.labels)));
}
