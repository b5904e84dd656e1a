/**
 * @module From an OTLP metrics request to capacity observations: utilisation samples
 * (CPU, memory, each filesystem) and cumulative counters (CPU time, network bytes) whose
 * rates need the previous push. Semantic-convention names, old and new attribute keys.
 * Unknown metrics are ignored; unusable points of known metrics are counted as rejected.
 */
import type { CapacityResource, CounterName, CounterState } from '../domain/capacity.js';
import { attributeMap, OtlpNumberDataPoint, unixNanoToMs, type AttributeValue, type OtlpMetricsRequest } from '../ingest/otlp-metrics.js';

export type { CapacityResource, CounterName, CounterState };

/** One utilisation (0–1) or rate (network: bytes/s) sample. `mountpoint` is '' except for filesystems. */
export interface CapacitySample {
  host: string;
  resource: CapacityResource;
  mountpoint: string;
  at: number;
  value: number;
}

export interface CounterSample {
  host: string;
  name: CounterName;
  at: number;
  value: number;
}

export interface CapacityObservations {
  samples: CapacitySample[];
  counters: CounterSample[];
  /** Data points of known metrics that could not be used. */
  rejected: number;
  /** The first reason a point was rejected, for `partialSuccess.errorMessage`. */
  firstError: string | null;
}

const KNOWN = new Set([
  'system.cpu.time',
  'system.memory.usage',
  'system.memory.limit',
  'system.memory.utilization',
  'system.filesystem.usage',
  'system.filesystem.limit',
  'system.filesystem.utilization',
  'system.network.io',
]);

const pick = (attrs: Map<string, AttributeValue>, ...keys: string[]): string | undefined => {
  for (const k of keys) {
    const v = attrs.get(k);
    if (v !== undefined) return String(v);
  }
  return undefined;
};

interface FsParts {
  used?: number;
  free?: number;
  limit?: number;
  utilisation?: number;
}
interface MemParts {
  used?: number;
  states: number;
  limit?: number;
  utilisation?: number;
}

export function extractCapacityObservations(request: OtlpMetricsRequest): CapacityObservations {
  let rejected = 0;
  let firstError: string | null = null;
  const reject = (why: string, count = 1) => {
    rejected += count;
    firstError ??= why;
  };
  const fs = new Map<string, FsParts & { host: string; mountpoint: string; at: number }>();
  const mem = new Map<string, MemParts & { host: string; at: number }>();
  const counters = new Map<string, CounterSample>();
  const addCounter = (host: string, name: CounterName, at: number, value: number) => {
    const key = `${host}\u0000${name}\u0000${at}`;
    const c = counters.get(key);
    if (c) c.value += value;
    else counters.set(key, { host, name, at, value });
  };

  for (const rm of request.resourceMetrics ?? []) {
    const host = pick(attributeMap(rm.resource?.attributes), 'host.name');
    for (const sm of rm.scopeMetrics ?? []) {
      for (const metric of sm.metrics ?? []) {
        if (!KNOWN.has(metric.name)) continue;
        const data = metric.gauge ?? metric.sum;
        const points = data?.dataPoints ?? [];
        if (!host) {
          reject(`${metric.name}: resource has no host.name attribute`, points.length);
          continue;
        }
        // Rates come from cumulative counters; a delta sum would need other arithmetic.
        const temporality = metric.sum?.aggregationTemporality;
        if (metric.sum && (metric.name === 'system.cpu.time' || metric.name === 'system.network.io') && !(temporality === 2 || temporality === 'AGGREGATION_TEMPORALITY_CUMULATIVE')) {
          reject(`${metric.name}: only cumulative temporality is supported`, points.length);
          continue;
        }
        for (const raw of points) {
          const parsed = OtlpNumberDataPoint.safeParse(raw);
          if (!parsed.success) {
            reject(`${metric.name}: ${parsed.error.issues[0]?.path.join('.') || 'data point'}: ${parsed.error.issues[0]?.message}`);
            continue;
          }
          const p = parsed.data;
          const value = p.asDouble !== undefined ? Number(p.asDouble) : Number(p.asInt);
          const at = unixNanoToMs(p.timeUnixNano);
          if (!Number.isFinite(value) || value < 0 || at <= 0) {
            reject(`${metric.name}: value must be a finite, non-negative number with a timestamp`);
            continue;
          }
          const attrs = attributeMap(p.attributes);
          switch (metric.name) {
            case 'system.cpu.time': {
              const mode = pick(attrs, 'cpu.mode', 'system.cpu.state', 'state');
              addCounter(host, 'cpu.total', at, value);
              if (mode === 'idle') addCounter(host, 'cpu.idle', at, value);
              break;
            }
            case 'system.network.io': {
              if (pick(attrs, 'network.interface.name', 'device') === 'lo') break;
              addCounter(host, 'network.bytes', at, value);
              break;
            }
            case 'system.memory.usage':
            case 'system.memory.limit':
            case 'system.memory.utilization': {
              const key = `${host}\u0000${at}`;
              const m = mem.get(key) ?? { host, at, states: 0 };
              mem.set(key, m);
              const state = pick(attrs, 'system.memory.state', 'state');
              if (metric.name === 'system.memory.limit') m.limit = value;
              else if (metric.name === 'system.memory.utilization') {
                if (state === 'used') m.utilisation = value;
              } else {
                m.states += value;
                if (state === 'used') m.used = value;
              }
              break;
            }
            default: {
              const mountpoint = pick(attrs, 'system.filesystem.mountpoint', 'mountpoint');
              if (!mountpoint) {
                reject(`${metric.name}: data point has no system.filesystem.mountpoint attribute`);
                break;
              }
              const key = `${host}\u0000${mountpoint}\u0000${at}`;
              const f = fs.get(key) ?? { host, mountpoint, at };
              fs.set(key, f);
              const state = pick(attrs, 'system.filesystem.state', 'state');
              if (metric.name === 'system.filesystem.limit') f.limit = (f.limit ?? 0) + value;
              else if (metric.name === 'system.filesystem.utilization') {
                if (state === 'used') f.utilisation = value;
              } else if (state === 'used') f.used = (f.used ?? 0) + value;
              else if (state === 'free') f.free = (f.free ?? 0) + value;
            }
          }
        }
      }
    }
  }

  const samples: CapacitySample[] = [];
  for (const f of fs.values()) {
    // As df's "Use%": used against what an unprivileged writer can still use (reserved
    // blocks excluded), so "full" means writes start failing.
    const u = f.utilisation ?? (f.used !== undefined && f.free !== undefined && f.used + f.free > 0 ? f.used / (f.used + f.free) : f.used !== undefined && f.limit ? f.used / f.limit : undefined);
    if (u !== undefined) samples.push({ host: f.host, resource: 'filesystem', mountpoint: f.mountpoint, at: f.at, value: clamp01(u) });
  }
  for (const m of mem.values()) {
    const total = m.limit ?? (m.states > 0 ? m.states : undefined);
    const u = m.utilisation ?? (m.used !== undefined && total ? m.used / total : undefined);
    if (u !== undefined) samples.push({ host: m.host, resource: 'memory', mountpoint: '', at: m.at, value: clamp01(u) });
  }
  return { samples, counters: [...counters.values()], rejected, firstError };
}

const clamp01 = (x: number) => Math.min(1, Math.max(0, x));

/**
 * Rates between consecutive cumulative counter readings of one host: CPU utilisation
 * (1 − Δidle/Δtotal) and network bytes per second. A reading that goes backwards (a
 * restart) or is not newer than the last one starts over without a sample.
 * Returns the samples and the state to keep for the next push.
 */
export function deriveCounterRates(host: string, previous: CounterState, readings: CounterSample[]): { samples: CapacitySample[]; state: CounterState } {
  const state: CounterState = new Map(previous);
  const samples: CapacitySample[] = [];
  const byTime = new Map<number, Map<CounterName, number>>();
  for (const r of readings) {
    const m = byTime.get(r.at) ?? new Map<CounterName, number>();
    m.set(r.name, r.value);
    byTime.set(r.at, m);
  }
  for (const at of [...byTime.keys()].sort((a, b) => a - b)) {
    const now = byTime.get(at) as Map<CounterName, number>;
    const delta = (name: CounterName): number | null => {
      const before = state.get(name);
      const v = now.get(name);
      if (v === undefined || !before || before.at >= at || v < before.value) return null;
      return v - before.value;
    };
    const total = delta('cpu.total');
    const idle = delta('cpu.idle');
    if (total !== null && idle !== null && total > 0) samples.push({ host, resource: 'cpu', mountpoint: '', at, value: clamp01(1 - idle / total) });
    const bytes = delta('network.bytes');
    const since = state.get('network.bytes')?.at;
    if (bytes !== null && since !== undefined) samples.push({ host, resource: 'network', mountpoint: '', at, value: bytes / ((at - since) / 1000) });
    for (const [name, value] of now) {
      const before = state.get(name);
      if (!before || before.at < at) state.set(name, { at, value });
    }
  }
  return { samples, state };
}
