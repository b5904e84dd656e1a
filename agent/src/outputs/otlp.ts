/**
 * @module OTLP/HTTP (JSON) push with semantic-convention names (system.cpu.time,
 * system.memory.usage, system.filesystem.usage, system.disk.io, system.network.io, …). Each
 * export reads the latest snapshot, so OTLP and /metrics never disagree about what was sampled.
 * Off when no endpoint is configured.
 *
 * The request is built here, in the OTLP/HTTP JSON encoding (opentelemetry-proto's
 * ExportMetricsServiceRequest in its canonical JSON mapping), rather than through the
 * OpenTelemetry SDK: for a fixed set of values read from a snapshot the SDK added only cost.
 * Importing @opentelemetry/sdk-node took about 28 MB of RSS and a third of a CPU second (Node 20),
 * sdk-metrics plus otlp-transformer alone about 16 MB; see docs/agent.md for the agent's
 * footprint before and after. What the SDK gave, and this keeps: cumulative sums with a fixed start time, monotonic counters
 * marked as such, gauges, instrumentation scope and resource attributes.
 *
 * Each periodic export is put in the agent's on-disk OTLP queue; a sender delivers the queue in
 * order, so a server outage loses no push.
 *
 * Why every push is queued, not only the latest: a push carries each point with the time it was
 * collected. Cumulative sums (CPU time, disk and network bytes) are totals since start, so the
 * next push supersedes an earlier one for the total; replaying the earlier ones keeps the rate
 * for each interval of the outage instead of one average over it. Gauges and non-monotonic sums
 * (memory and filesystem usage, load, check results) have no such property: each interval's
 * value is a sample of capacity history that no later push contains. So queued pushes are
 * replayed whole, oldest first, with their original timestamps, and the receiver sees the same
 * sequence of points it would have seen without the outage. Temporality stays cumulative (the
 * server derives rates from cumulative counters, and a lost or dropped delta would be lost for
 * good).
 */
import type { CheckState } from '../checks/runner.js';
import type { HostSnapshot } from '../snapshot.js';

export interface OtlpOptions {
  intervalMs: number;
  /** Resource attributes beyond service.*: host.name, os.type, … */
  resource: { hostName: string; hostArch: string; osType: string; osVersion: string; agentId: string; version: string };
  snapshot: () => HostSnapshot | undefined;
  checks: () => readonly CheckState[];
  /** Stores one OTLP JSON request durably for delivery; a rejection fails that export. */
  enqueue: (request: unknown) => Promise<void>;
  /** Epoch ms (the agent's clock). */
  now: () => number;
  /** Called with an export's failure (it is retried at the next interval with fresh values). */
  onError?: (err: unknown) => void;
}

export interface OtlpPusher {
  /** The last export (into the queue), then no more. */
  stop(): Promise<void>;
  /** Collect and queue now (tests, shutdown). */
  flush(): Promise<void>;
}

/** Node's os.arch() → semconv host.arch values. */
export function hostArch(nodeArch: string): string {
  const map: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm32', ia32: 'x86', ppc64: 'ppc64', s390x: 's390x' };
  return map[nodeArch] ?? nodeArch;
}

export function metricsUrl(endpoint: string): string {
  return /\/v1\/metrics\/?$/.test(endpoint) ? endpoint : `${endpoint.replace(/\/$/, '')}/v1/metrics`;
}

type AttributeValue = string | number;
type Attributes = Record<string, AttributeValue>;
interface Point {
  attributes: Attributes;
  value: number;
}

/** opentelemetry-proto AggregationTemporality: 2 is CUMULATIVE. */
const CUMULATIVE = 2;

/** AnyValue in the JSON mapping: integers as intValue (an int64, so a decimal string), the rest as strings. */
function keyValues(attributes: Attributes): { key: string; value: { stringValue: string } | { intValue: string } }[] {
  return Object.entries(attributes).map(([key, v]) => ({ key, value: typeof v === 'number' ? { intValue: String(Math.trunc(v)) } : { stringValue: v } }));
}

/** Epoch ms → fixed64 nanoseconds as a decimal string (beyond 2^53, so not a JSON number). */
export function unixNano(ms: number): string {
  return (BigInt(Math.round(ms)) * 1_000_000n).toString();
}

interface Instrument {
  name: string;
  unit: string;
  description: string;
  /** counter: monotonic cumulative sum; updown: non-monotonic cumulative sum; gauge: last value. */
  kind: 'counter' | 'updown' | 'gauge';
}

const INSTRUMENTS = {
  cpuTime: { name: 'system.cpu.time', unit: 's', description: 'Seconds each logical CPU spent on each mode', kind: 'counter' },
  load1: { name: 'system.cpu.load_average.1m', unit: '{thread}', description: '1-minute load average', kind: 'gauge' },
  memUsage: { name: 'system.memory.usage', unit: 'By', description: 'Reports memory in use by state', kind: 'updown' },
  memLimit: { name: 'system.memory.limit', unit: 'By', description: 'Total memory available in the system', kind: 'updown' },
  fsUsage: { name: 'system.filesystem.usage', unit: 'By', description: 'Filesystem space by state', kind: 'updown' },
  fsLimit: { name: 'system.filesystem.limit', unit: 'By', description: 'Filesystem size', kind: 'updown' },
  diskIo: { name: 'system.disk.io', unit: 'By', description: 'Disk bytes transferred', kind: 'counter' },
  diskOps: { name: 'system.disk.operations', unit: '{operation}', description: 'Disk operations count', kind: 'counter' },
  netIo: { name: 'system.network.io', unit: 'By', description: 'Network bytes transferred', kind: 'counter' },
  netPackets: { name: 'system.network.packets', unit: '{packet}', description: 'Network packets transferred', kind: 'counter' },
  netErrors: { name: 'system.network.errors', unit: '{error}', description: 'Network errors', kind: 'counter' },
  netDropped: { name: 'system.network.packet.dropped', unit: '{packet}', description: 'Packets dropped', kind: 'counter' },
  uptime: { name: 'system.uptime', unit: 's', description: 'Seconds since boot', kind: 'gauge' },
  checkUp: { name: 'sightline.check.success', unit: '1', description: 'Latest result of each check (1 success, 0 failure)', kind: 'gauge' },
  checkDuration: { name: 'sightline.check.duration', unit: 's', description: 'Duration of the latest run of each check', kind: 'gauge' },
} satisfies Record<string, Instrument>;
type InstrumentName = keyof typeof INSTRUMENTS;

/** The snapshot's values by instrument, with semantic-convention attributes. */
export function observe(s: HostSnapshot | undefined, checks: readonly CheckState[]): Map<InstrumentName, Point[]> {
  const out = new Map<InstrumentName, Point[]>();
  const obs = (name: InstrumentName, value: number, attributes: Attributes = {}) => {
    const points = out.get(name) ?? [];
    points.push({ attributes, value });
    out.set(name, points);
  };
  for (const c of s?.stat?.cpus ?? []) {
    const n = Number(c.cpu);
    for (const mode of ['user', 'nice', 'system', 'idle', 'iowait', 'irq', 'softirq', 'steal'] as const) {
      // semconv names the "softirq" mode "softirq" and "irq" "interrupt".
      obs('cpuTime', c[mode], { 'cpu.mode': mode === 'irq' ? 'interrupt' : mode, 'cpu.logical_number': n });
    }
  }
  if (s?.load) obs('load1', s.load.load1);
  const mem = new Map((s?.meminfo ?? []).map((f) => [f.name, f.value]));
  const total = mem.get('MemTotal');
  if (total !== undefined) {
    const free = mem.get('MemFree') ?? 0;
    const buffers = mem.get('Buffers') ?? 0;
    const cached = (mem.get('Cached') ?? 0) + (mem.get('SReclaimable') ?? 0);
    obs('memLimit', total);
    obs('memUsage', Math.max(0, total - free - buffers - cached), { 'system.memory.state': 'used' });
    obs('memUsage', free, { 'system.memory.state': 'free' });
    obs('memUsage', buffers, { 'system.memory.state': 'buffers' });
    obs('memUsage', cached, { 'system.memory.state': 'cached' });
  }
  for (const f of s?.filesystems ?? []) {
    if (f.deviceError) continue;
    const attrs = { 'system.device': f.device, 'system.filesystem.mountpoint': f.mountpoint, 'system.filesystem.type': f.fstype, 'system.filesystem.mode': f.readonly ? 'ro' : 'rw' };
    obs('fsLimit', f.sizeBytes, attrs);
    obs('fsUsage', f.sizeBytes - f.freeBytes, { ...attrs, 'system.filesystem.state': 'used' });
    obs('fsUsage', f.availBytes, { ...attrs, 'system.filesystem.state': 'free' });
    obs('fsUsage', f.freeBytes - f.availBytes, { ...attrs, 'system.filesystem.state': 'reserved' });
  }
  for (const d of s?.disks ?? []) {
    obs('diskIo', d.readBytes, { 'system.device': d.device, 'disk.io.direction': 'read' });
    obs('diskIo', d.writtenBytes, { 'system.device': d.device, 'disk.io.direction': 'write' });
    obs('diskOps', d.readsCompleted, { 'system.device': d.device, 'disk.io.direction': 'read' });
    obs('diskOps', d.writesCompleted, { 'system.device': d.device, 'disk.io.direction': 'write' });
  }
  for (const n of s?.netdev ?? []) {
    for (const dir of ['receive', 'transmit'] as const) {
      const attrs = { 'network.interface.name': n.device, 'network.io.direction': dir };
      obs('netIo', n[dir].bytes ?? 0, attrs);
      obs('netPackets', n[dir].packets ?? 0, attrs);
      obs('netErrors', n[dir].errs ?? 0, attrs);
      obs('netDropped', n[dir].drop ?? 0, attrs);
    }
  }
  if (s?.stat) obs('uptime', Math.max(0, s.takenAtMs / 1000 - s.stat.bootTime));
  for (const c of checks) {
    const attrs = { 'sightline.check.name': c.result.name, 'sightline.check.type': c.result.type, 'sightline.check.target': c.result.target };
    obs('checkUp', c.result.success ? 1 : 0, attrs);
    obs('checkDuration', c.result.durationSeconds, attrs);
  }
  return out;
}

/** One ExportMetricsServiceRequest: cumulative sums start at `startMs` (the pusher's start), as the SDK's did. */
export function exportRequest(resource: OtlpOptions['resource'], observed: Map<InstrumentName, Point[]>, startMs: number, nowMs: number): unknown {
  const start = unixNano(startMs);
  const time = unixNano(nowMs);
  const metrics = [...observed].map(([key, points]) => {
    const inst: Instrument = INSTRUMENTS[key];
    const dataPoints = points.map((p) => ({
      attributes: keyValues(p.attributes),
      startTimeUnixNano: start,
      timeUnixNano: time,
      asDouble: p.value,
    }));
    const metric = { name: inst.name, description: inst.description, unit: inst.unit };
    if (inst.kind === 'gauge') return { ...metric, gauge: { dataPoints } };
    return { ...metric, sum: { aggregationTemporality: CUMULATIVE, isMonotonic: inst.kind === 'counter', dataPoints } };
  });
  return {
    resourceMetrics: [
      {
        resource: {
          attributes: keyValues({
            'service.name': 'sightline-agent',
            'service.version': resource.version,
            'service.instance.id': resource.agentId,
            'host.name': resource.hostName,
            'host.id': resource.agentId,
            'host.arch': resource.hostArch,
            'os.type': resource.osType,
            'os.version': resource.osVersion,
          }),
        },
        scopeMetrics: [{ scope: { name: 'sightline-agent', version: resource.version }, metrics }],
      },
    ],
  };
}

export function startOtlp(options: OtlpOptions): OtlpPusher {
  const startMs = options.now();
  let stopped = false;
  // One export at a time, in order: a flush during a periodic export waits for it.
  let chain: Promise<void> = Promise.resolve();
  const collect = (): Promise<void> => {
    const next = chain.then(() => options.enqueue(exportRequest(options.resource, observe(options.snapshot(), options.checks()), startMs, options.now())));
    chain = next.catch(() => undefined);
    return next;
  };
  const timer = setInterval(() => {
    if (!stopped) collect().catch((err: unknown) => options.onError?.(err));
  }, options.intervalMs);
  return {
    flush: collect,
    async stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      await collect();
    },
  };
}
