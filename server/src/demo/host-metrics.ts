/**
 * @module Simulated host metrics for the demo, as an agent's OTLP/HTTP JSON push carries them
 * (semantic-convention names: system.cpu.time, system.memory.*, system.filesystem.usage,
 * system.network.io). Daily load curves, a log-rotation sawtooth on /var/log, a slow memory
 * leak on search-1 and one data disk filling up. Deterministic: a function of the time.
 */
import { DAY, FILLING_DISK, HOUR, type DemoHost } from './scenario.js';

/** Seconds of CPU and bytes of network each host has counted so far (cumulative counters). */
export interface HostCounters {
  at: number;
  cpuIdle: number;
  cpuUser: number;
  cpuSystem: number;
  rxBytes: number;
  txBytes: number;
}

/** A smooth, deterministic wobble in [-1, 1] for a host at a time (no shared random state). */
function wobble(host: string, t: number, period: number): number {
  let h = 0;
  for (const c of host) h = (h * 31 + c.charCodeAt(0)) | 0;
  return Math.sin((2 * Math.PI * t) / period + (h % 1000)) * 0.6 + Math.sin((2 * Math.PI * t) / (period * 0.37) + (h % 77)) * 0.4;
}

/** Busy share of the day's traffic: low at night (UTC 01–05), peaks in the evening. */
function dailyLoad(t: number): number {
  const hour = (t % DAY) / HOUR;
  return 0.35 + 0.65 * Math.max(0, Math.sin(((hour - 5) / 24) * 2 * Math.PI * 0.9));
}

export function cpuBusy(host: DemoHost, t: number): number {
  return Math.min(0.97, Math.max(0.02, host.cpuPeak * dailyLoad(t) + 0.05 * wobble(host.name, t, 3 * HOUR)));
}

export function memoryUsed(host: DemoHost, t: number): number {
  let used = host.memoryBase + 0.04 * wobble(host.name, t, 6 * HOUR);
  // search-1 leaks heap until the JVM dies and restarts, about twice a week.
  if (host.name === 'search-1') used = 0.55 + 0.35 * (((t % (3.5 * DAY)) + 3.5 * DAY) % (3.5 * DAY)) / (3.5 * DAY);
  return Math.min(0.98, Math.max(0.05, used));
}

/** Used share of a filesystem, as df's Use%. */
export function filesystemUsed(host: DemoHost, mountpoint: string, t: number, end: number): number {
  if (host.name === FILLING_DISK.host && mountpoint === FILLING_DISK.mountpoint) return FILLING_DISK.usedAtEnd - (FILLING_DISK.perDay * (end - t)) / DAY;
  if (mountpoint === '/var/log') {
    // Grows through the day; logrotate at 00:00 UTC drops it back.
    const intoDay = (((t % DAY) + DAY) % DAY) / DAY;
    return 0.2 + 0.45 * intoDay + 0.02 * wobble(host.name, t, HOUR);
  }
  if (mountpoint === '/var/lib/rabbitmq') return 0.38 + (0.003 * (t - (end - 60 * DAY))) / DAY;
  if (mountpoint === '/var/lib/postgresql') return 0.62 + 0.002 * wobble(host.name, t, DAY);
  if (mountpoint === '/var/lib/search') return 0.47 + 0.01 * wobble(host.name, t, DAY);
  return 0.31 + 0.005 * wobble(host.name + mountpoint, t, DAY);
}

/** Bytes per second over the host's interfaces. */
function networkRate(host: DemoHost, t: number): number {
  return 2e6 * host.cores * dailyLoad(t) * (1 + 0.2 * wobble(host.name, t, HOUR));
}

/** Advances the counters from their time to `t`, at the rates of time `t`. */
export function advanceCounters(host: DemoHost, counters: HostCounters, t: number): HostCounters {
  const seconds = (t - counters.at) / 1000;
  const busy = cpuBusy(host, t);
  const cpuSeconds = seconds * host.cores;
  const rate = networkRate(host, t);
  return {
    at: t,
    cpuIdle: counters.cpuIdle + cpuSeconds * (1 - busy),
    cpuUser: counters.cpuUser + cpuSeconds * busy * 0.8,
    cpuSystem: counters.cpuSystem + cpuSeconds * busy * 0.2,
    rxBytes: counters.rxBytes + seconds * rate,
    txBytes: counters.txBytes + seconds * rate * 0.6,
  };
}

const str = (key: string, value: string) => ({ key, value: { stringValue: value } });
const ns = (ms: number) => `${BigInt(Math.round(ms)) * 1_000_000n}`;

/** One host's `resourceMetrics` entry with a sample at each of `samples` (time and counters). */
export function hostResourceMetrics(host: DemoHost, agentId: string, version: string, samples: HostCounters[], bootTime: number, end: number) {
  const int = (t: number, v: number, attributes: unknown[] = []) => ({ timeUnixNano: ns(t), startTimeUnixNano: ns(bootTime), asInt: String(Math.round(v)), attributes });
  const dbl = (t: number, v: number, attributes: unknown[] = []) => ({ timeUnixNano: ns(t), startTimeUnixNano: ns(bootTime), asDouble: v, attributes });
  const cpu = samples.flatMap((s) => [dbl(s.at, s.cpuIdle, [str('cpu.mode', 'idle')]), dbl(s.at, s.cpuUser, [str('cpu.mode', 'user')]), dbl(s.at, s.cpuSystem, [str('cpu.mode', 'system')])]);
  const memory = samples.flatMap((s) => {
    const used = memoryUsed(host, s.at) * host.memoryBytes;
    return [int(s.at, used, [str('system.memory.state', 'used')]), int(s.at, host.memoryBytes - used, [str('system.memory.state', 'free')])];
  });
  const filesystems = samples.flatMap((s) =>
    Object.entries(host.filesystems).flatMap(([mountpoint, size], i) => {
      const attrs = [str('system.device', `/dev/sd${'abcd'[i]}1`), str('system.filesystem.mountpoint', mountpoint), str('system.filesystem.type', 'ext4')];
      const reserved = size * 0.05;
      const used = filesystemUsed(host, mountpoint, s.at, end) * (size - reserved);
      return [int(s.at, used, [...attrs, str('system.filesystem.state', 'used')]), int(s.at, size - reserved - used, [...attrs, str('system.filesystem.state', 'free')]), int(s.at, reserved, [...attrs, str('system.filesystem.state', 'reserved')])];
    }),
  );
  const network = samples.flatMap((s) => [
    int(s.at, s.rxBytes, [str('network.interface.name', 'eth0'), str('network.io.direction', 'receive')]),
    int(s.at, s.txBytes, [str('network.interface.name', 'eth0'), str('network.io.direction', 'transmit')]),
  ]);
  return {
    resource: { attributes: [str('service.name', 'sightline-agent'), str('service.version', version), str('host.name', host.name), str('host.id', agentId), str('host.arch', 'amd64'), str('os.type', 'linux')] },
    scopeMetrics: [
      {
        scope: { name: 'sightline-agent', version },
        metrics: [
          { name: 'system.cpu.time', unit: 's', sum: { aggregationTemporality: 2, isMonotonic: true, dataPoints: cpu } },
          { name: 'system.memory.limit', unit: 'By', sum: { aggregationTemporality: 2, isMonotonic: false, dataPoints: samples.map((s) => int(s.at, host.memoryBytes)) } },
          { name: 'system.memory.usage', unit: 'By', sum: { aggregationTemporality: 2, isMonotonic: false, dataPoints: memory } },
          { name: 'system.filesystem.usage', unit: 'By', sum: { aggregationTemporality: 2, isMonotonic: false, dataPoints: filesystems } },
          { name: 'system.network.io', unit: 'By', sum: { aggregationTemporality: 2, isMonotonic: true, dataPoints: network } },
        ],
      },
    ],
  };
}
