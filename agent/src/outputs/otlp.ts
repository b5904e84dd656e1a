/**
 * @module OTLP/HTTP (JSON) push through the OpenTelemetry Node SDK, with semantic-convention names
 * (system.cpu.time, system.memory.usage, system.filesystem.usage, system.disk.io,
 * system.network.io, …). Observable instruments read the latest snapshot at export time, so
 * OTLP and /metrics never disagree about what was sampled. Off when no endpoint is configured.
 *
 * Each periodic export is serialized to an OTLP JSON request and put in the agent's on-disk OTLP
 * queue; a sender delivers the queue in order. The SDK's own exporter would try a push for a few
 * seconds and then drop it (and skip the next collections while it tries), so a server outage lost
 * every push made during it.
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
import { metrics as otelApi, type Attributes } from '@opentelemetry/api';
import { JsonMetricsSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AggregationTemporality, PeriodicExportingMetricReader, type PushMetricExporter } from '@opentelemetry/sdk-metrics';
import { NodeSDK, core } from '@opentelemetry/sdk-node';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
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
}

export interface OtlpPusher {
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

export function startOtlp(options: OtlpOptions): OtlpPusher {
  // The export is done once the request is on disk; delivery is the queue's sender's business.
  const exporter: PushMetricExporter = {
    export(data, done) {
      let request: unknown;
      try {
        request = JSON.parse(Buffer.from(JsonMetricsSerializer.serializeRequest(data) ?? new Uint8Array()).toString('utf8'));
      } catch (error) {
        done({ code: core.ExportResultCode.FAILED, error: error as Error });
        return;
      }
      options.enqueue(request).then(
        () => done({ code: core.ExportResultCode.SUCCESS }),
        (error: unknown) => done({ code: core.ExportResultCode.FAILED, error: error as Error }),
      );
    },
    forceFlush: async () => undefined,
    shutdown: async () => undefined,
    selectAggregationTemporality: () => AggregationTemporality.CUMULATIVE,
  };
  const reader = new PeriodicExportingMetricReader({
    exporter,
    exportIntervalMillis: options.intervalMs,
    exportTimeoutMillis: Math.min(options.intervalMs, 30_000),
  });
  const r = options.resource;
  const sdk = new NodeSDK({
    resource: resourceFromAttributes({
      [ATTR_SERVICE_NAME]: 'sightline-agent',
      [ATTR_SERVICE_VERSION]: r.version,
      // Incubating semconv attributes, spelled out as the semconv package advises.
      'service.instance.id': r.agentId,
      'host.name': r.hostName,
      'host.id': r.agentId,
      'host.arch': r.hostArch,
      'os.type': r.osType,
      'os.version': r.osVersion,
    }),
    autoDetectResources: false,
    metricReaders: [reader],
    // Metrics only: no span or log pipelines (the SDK would otherwise build them from OTEL_* env).
    spanProcessors: [],
    logRecordProcessors: [],
  });
  sdk.start();
  const meter = otelApi.getMeterProvider().getMeter('sightline-agent', r.version);

  const cpuTime = meter.createObservableCounter('system.cpu.time', { unit: 's', description: 'Seconds each logical CPU spent on each mode' });
  const load1 = meter.createObservableGauge('system.cpu.load_average.1m', { unit: '{thread}', description: '1-minute load average' });
  const memUsage = meter.createObservableUpDownCounter('system.memory.usage', { unit: 'By', description: 'Reports memory in use by state' });
  const memLimit = meter.createObservableUpDownCounter('system.memory.limit', { unit: 'By', description: 'Total memory available in the system' });
  const fsUsage = meter.createObservableUpDownCounter('system.filesystem.usage', { unit: 'By', description: 'Filesystem space by state' });
  const fsLimit = meter.createObservableUpDownCounter('system.filesystem.limit', { unit: 'By', description: 'Filesystem size' });
  const diskIo = meter.createObservableCounter('system.disk.io', { unit: 'By', description: 'Disk bytes transferred' });
  const diskOps = meter.createObservableCounter('system.disk.operations', { unit: '{operation}', description: 'Disk operations count' });
  const netIo = meter.createObservableCounter('system.network.io', { unit: 'By', description: 'Network bytes transferred' });
  const netPackets = meter.createObservableCounter('system.network.packets', { unit: '{packet}', description: 'Network packets transferred' });
  const netErrors = meter.createObservableCounter('system.network.errors', { unit: '{error}', description: 'Network errors' });
  const netDropped = meter.createObservableCounter('system.network.packet.dropped', { unit: '{packet}', description: 'Packets dropped' });
  const uptime = meter.createObservableGauge('system.uptime', { unit: 's', description: 'Seconds since boot' });
  const checkUp = meter.createObservableGauge('sightline.check.success', { unit: '1', description: 'Latest result of each check (1 success, 0 failure)' });
  const checkDuration = meter.createObservableGauge('sightline.check.duration', { unit: 's', description: 'Duration of the latest run of each check' });

  meter.addBatchObservableCallback(
    (o) => {
      const s = options.snapshot();
      const obs = (inst: Parameters<typeof o.observe>[0], value: number, attrs: Attributes = {}) => o.observe(inst, value, attrs);
      for (const c of s?.stat?.cpus ?? []) {
        const n = Number(c.cpu);
        for (const mode of ['user', 'nice', 'system', 'idle', 'iowait', 'irq', 'softirq', 'steal'] as const) {
          // semconv names the "softirq" mode "softirq" and "irq" "interrupt".
          obs(cpuTime, c[mode], { 'cpu.mode': mode === 'irq' ? 'interrupt' : mode, 'cpu.logical_number': n });
        }
      }
      if (s?.load) obs(load1, s.load.load1);
      const mem = new Map((s?.meminfo ?? []).map((f) => [f.name, f.value]));
      const total = mem.get('MemTotal');
      if (total !== undefined) {
        const free = mem.get('MemFree') ?? 0;
        const buffers = mem.get('Buffers') ?? 0;
        const cached = (mem.get('Cached') ?? 0) + (mem.get('SReclaimable') ?? 0);
        obs(memLimit, total);
        obs(memUsage, Math.max(0, total - free - buffers - cached), { 'system.memory.state': 'used' });
        obs(memUsage, free, { 'system.memory.state': 'free' });
        obs(memUsage, buffers, { 'system.memory.state': 'buffers' });
        obs(memUsage, cached, { 'system.memory.state': 'cached' });
      }
      for (const f of s?.filesystems ?? []) {
        if (f.deviceError) continue;
        const attrs = { 'system.device': f.device, 'system.filesystem.mountpoint': f.mountpoint, 'system.filesystem.type': f.fstype, 'system.filesystem.mode': f.readonly ? 'ro' : 'rw' };
        obs(fsLimit, f.sizeBytes, attrs);
        obs(fsUsage, f.sizeBytes - f.freeBytes, { ...attrs, 'system.filesystem.state': 'used' });
        obs(fsUsage, f.availBytes, { ...attrs, 'system.filesystem.state': 'free' });
        obs(fsUsage, f.freeBytes - f.availBytes, { ...attrs, 'system.filesystem.state': 'reserved' });
      }
      for (const d of s?.disks ?? []) {
        obs(diskIo, d.readBytes, { 'system.device': d.device, 'disk.io.direction': 'read' });
        obs(diskIo, d.writtenBytes, { 'system.device': d.device, 'disk.io.direction': 'write' });
        obs(diskOps, d.readsCompleted, { 'system.device': d.device, 'disk.io.direction': 'read' });
        obs(diskOps, d.writesCompleted, { 'system.device': d.device, 'disk.io.direction': 'write' });
      }
      for (const n of s?.netdev ?? []) {
        for (const [dir, field] of [
          ['receive', 'receive'],
          ['transmit', 'transmit'],
        ] as const) {
          const attrs = { 'network.interface.name': n.device, 'network.io.direction': dir };
          obs(netIo, n[field].bytes ?? 0, attrs);
          obs(netPackets, n[field].packets ?? 0, attrs);
          obs(netErrors, n[field].errs ?? 0, attrs);
          obs(netDropped, n[field].drop ?? 0, attrs);
        }
      }
      if (s?.stat) obs(uptime, Math.max(0, s.takenAtMs / 1000 - s.stat.bootTime));
      for (const c of options.checks()) {
        const attrs = { 'sightline.check.name': c.result.name, 'sightline.check.type': c.result.type, 'sightline.check.target': c.result.target };
        obs(checkUp, c.result.success ? 1 : 0, attrs);
        obs(checkDuration, c.result.durationSeconds, attrs);
      }
    },
    [cpuTime, load1, memUsage, memLimit, fsUsage, fsLimit, diskIo, diskOps, netIo, netPackets, netErrors, netDropped, uptime, checkUp, checkDuration],
  );

  return {
    flush: () => reader.forceFlush(),
    async stop() {
      try {
        await sdk.shutdown();
      } finally {
        // Free the global slot so a later agent in this process (tests) can register its own.
        otelApi.disable();
      }
    },
  };
}
