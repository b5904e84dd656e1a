/**
 * Capacity end to end through the API on both databases: OTLP/HTTP JSON pushes (plain and
 * gzip) over a simulated week, rollups, forecasts, the capacity API, metrics, and errors.
 */
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readRollups } from '../../server/src/db/capacity-repo.js';
import { rollUpCapacity } from '../../server/src/services/capacity.js';
import { dialects, startTestServer, T0, type TestServer } from '../helpers/runtime.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const GB = 1e9;

const str = (key: string, v: string) => ({ key, value: { stringValue: v } });
const ns = (ms: number) => `${BigInt(ms) * 1_000_000n}`;
const int = (at: number, v: number, attributes: unknown[] = []) => ({ timeUnixNano: ns(at), startTimeUnixNano: ns(T0 - DAY), asInt: String(Math.round(v)), attributes });
const dbl = (at: number, v: number, attributes: unknown[] = []) => ({ timeUnixNano: ns(at), asDouble: v, attributes });

interface HostModel {
  host: string;
  /** Filesystems: mount point → used bytes at time t (size 100 GB, 5 GB reserved). */
  filesystems: Record<string, (t: number) => number>;
  memUsed: (t: number) => number;
}

/** What the agent sends (agent/src/outputs/otlp.ts) for one host at the given times. */
function resourceMetrics(m: HostModel, times: number[]) {
  const fsPoints = times.flatMap((t) =>
    Object.entries(m.filesystems).flatMap(([mount, used]) => {
      const attrs = [str('system.device', '/dev/sda1'), str('system.filesystem.mountpoint', mount), str('system.filesystem.type', 'ext4')];
      const u = used(t);
      return [
        int(t, u, [...attrs, str('system.filesystem.state', 'used')]),
        int(t, 95 * GB - u, [...attrs, str('system.filesystem.state', 'free')]),
        int(t, 5 * GB, [...attrs, str('system.filesystem.state', 'reserved')]),
      ];
    }),
  );
  // Two CPUs, 25 % busy; 1 MB/s in each direction on eth0 (lo is ignored).
  const secs = (t: number) => (t - (T0 - DAY)) / 1000;
  const cpu = times.flatMap((t) =>
    [0, 1].flatMap((n) => [
      dbl(t, secs(t) * 0.75, [str('cpu.mode', 'idle'), { key: 'cpu.logical_number', value: { intValue: String(n) } }]),
      dbl(t, secs(t) * 0.2, [str('cpu.mode', 'user'), { key: 'cpu.logical_number', value: { intValue: String(n) } }]),
      dbl(t, secs(t) * 0.05, [str('cpu.mode', 'system'), { key: 'cpu.logical_number', value: { intValue: String(n) } }]),
    ]),
  );
  const net = times.flatMap((t) =>
    ['receive', 'transmit'].flatMap((dir) => [
      int(t, secs(t) * 1e6, [str('network.interface.name', 'eth0'), str('network.io.direction', dir)]),
      int(t, secs(t) * 5e6, [str('network.interface.name', 'lo'), str('network.io.direction', dir)]),
    ]),
  );
  return {
    resource: { attributes: [str('host.name', m.host), str('service.name', 'sightline-agent')] },
    scopeMetrics: [
      {
        scope: { name: 'sightline-agent' },
        metrics: [
          { name: 'system.cpu.time', unit: 's', sum: { aggregationTemporality: 2, isMonotonic: true, dataPoints: cpu } },
          { name: 'system.memory.limit', unit: 'By', sum: { aggregationTemporality: 2, dataPoints: times.map((t) => int(t, 16 * GB)) } },
          {
            name: 'system.memory.usage',
            unit: 'By',
            sum: { aggregationTemporality: 2, dataPoints: times.flatMap((t) => [int(t, m.memUsed(t), [str('system.memory.state', 'used')]), int(t, 16 * GB - m.memUsed(t), [str('system.memory.state', 'free')])]) },
          },
          { name: 'system.filesystem.usage', unit: 'By', sum: { aggregationTemporality: 2, dataPoints: fsPoints } },
          { name: 'system.network.io', unit: 'By', sum: { aggregationTemporality: 2, isMonotonic: true, dataPoints: net } },
          { name: 'system.uptime', unit: 's', gauge: { dataPoints: times.map((t) => dbl(t, 1000)) } },
        ],
      },
    ],
  };
}

// web-1: /var fills linearly, 40 GB + 2 GB/day; / is a daily log-rotation sawtooth.
const web: HostModel = {
  host: 'web-1',
  filesystems: {
    '/var': (t) => 40 * GB + (2 * GB * (t - T0)) / DAY,
    '/': (t) => 30 * GB + 40 * GB * (((((t - T0) % DAY) + DAY) % DAY) / DAY),
  },
  memUsed: (t) => 8 * GB + GB * Math.sin((t - T0) / HOUR),
};
// db-2: /data fills fast, 60 GB + 5 GB/day.
const dbHost: HostModel = { host: 'db-2', filesystems: { '/data': (t) => 60 * GB + (5 * GB * (t - T0)) / DAY }, memUsed: () => 4 * GB };
// idle-3: nothing changes.
const idle: HostModel = { host: 'idle-3', filesystems: { '/': () => 20 * GB }, memUsed: () => 2 * GB };

describe.each(dialects())('capacity (%s)', (dialect) => {
  let s: TestServer;
  let pushed = 0;

  const push = (body: unknown, options: { gzip?: boolean; token?: string; headers?: Record<string, string> } = {}) => {
    const json = JSON.stringify(body);
    const headers: Record<string, string> = { authorization: `Bearer ${options.token ?? s.tokens.ingest}`, 'content-type': 'application/json', ...options.headers };
    if (options.gzip) headers['content-encoding'] = 'gzip';
    return s.runtime.app.request('/v1/metrics', { method: 'POST', headers, body: options.gzip ? gzipSync(json) : json });
  };

  beforeAll(async () => {
    s = await startTestServer(dialect);
    // A week of hourly pushes, each with the twelve five-minute samples of the past hour.
    for (let hour = 1; hour <= 7 * 24; hour++) {
      s.clock.set(T0 + hour * HOUR);
      const times = Array.from({ length: 12 }, (_, i) => T0 + (hour - 1) * HOUR + (i + 1) * 5 * MIN);
      const res = await push({ resourceMetrics: [web, dbHost, idle].map((m) => resourceMetrics(m, times)) }, { gzip: hour % 2 === 0 });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({});
      pushed++;
    }
  }, 180_000);
  afterAll(async () => s?.close());

  it('keeps five-minute rollups per host and resource, with rates from counters', async () => {
    expect(pushed).toBe(168);
    const now = s.clock.now();
    // Samples fall on every fifth minute up to now: twelve buckets in (now − 1 h, now].
    const rows = await readRollups(s.runtime.handle.db, '5m', now - HOUR + 1, now + 1, 'web-1');
    const series = [...new Set(rows.map((r) => `${r.resource}:${r.mountpoint}`))].sort();
    expect(series).toEqual(['cpu:', 'filesystem:/', 'filesystem:/var', 'memory:', 'network:']);
    const cpu = rows.filter((r) => r.resource === 'cpu');
    expect(cpu).toHaveLength(12);
    for (const r of cpu) expect(r.sum / r.count).toBeCloseTo(0.25, 6);
    // lo is left out: 1 MB/s each way on eth0.
    for (const r of rows.filter((x) => x.resource === 'network')) expect(r.sum / r.count).toBeCloseTo(2e6, 0);
    const fsVar = rows.filter((r) => r.mountpoint === '/var').at(-1)!;
    expect(fsVar.sum / fsVar.count).toBeCloseTo(54 / 95, 6);
  });

  it('merges repeated pushes into the same bucket (sum, count, max)', async () => {
    const at = s.clock.now() - 2 * MIN;
    const model = (used: number): HostModel => ({ host: 'merge-9', filesystems: { '/': () => used }, memUsed: () => GB });
    expect((await push({ resourceMetrics: [resourceMetrics(model(19 * GB), [at])] })).status).toBe(200);
    expect((await push({ resourceMetrics: [resourceMetrics(model(57 * GB), [at + MIN])] }, { gzip: true })).status).toBe(200);
    const [row] = (await readRollups(s.runtime.handle.db, '5m', at - 5 * MIN, at + 5 * MIN, 'merge-9')).filter((r) => r.resource === 'filesystem');
    expect(row).toMatchObject({ count: 2 });
    expect(row!.sum).toBeCloseTo(0.2 + 0.6, 9);
    expect(row!.max).toBeCloseTo(0.6, 9);
  });

  it('forecasts: a linear fill within 2 % of the truth, the sawtooth and flat ones not full', async () => {
    const res = await s.request('GET', '/api/v1/capacity/web-1', { token: s.tokens.read });
    expect(res.status).toBe(200);
    const body = (await res.json()) as any;
    const fs = (mount: string) => body.resources.find((r: any) => r.resource === 'filesystem' && r.mountpoint === mount);
    // 54 of 95 usable GB used, +2 GB/day: full in 20.5 days.
    const truth = (95 - 54) / 2;
    expect(Math.abs(fs('/var').daysUntilFull - truth) / truth).toBeLessThan(0.02);
    expect(fs('/var').trends.map((t: any) => t.windowDays)).toEqual([7, 30]);
    expect(fs('/').daysUntilFull).toBeNull();
    expect(fs('/').p95).toBeGreaterThan(0.7);
    expect(fs('/var').series.resolution).toBe('1h');
    // Hours T0 … T0 + 7 d: the last one holds only the sample taken at now.
    expect(fs('/var').series.points).toHaveLength(169);
    const cpu = body.resources.find((r: any) => r.resource === 'cpu');
    expect(cpu.p95).toBeCloseTo(0.25, 6);
    expect(cpu.headroom).toBeCloseTo(0.75, 6);
    expect(cpu.daysUntilFull).toBeNull();
    expect(body.daysUntilFull).toBeCloseTo(fs('/var').daysUntilFull, 9);
    expect((await s.request('GET', '/api/v1/capacity/nobody', { token: s.tokens.read })).status).toBe(404);
  });

  it('lists every host worst first by days until full', async () => {
    const res = await s.request('GET', '/api/v1/capacity', { token: s.tokens.read });
    expect(res.status).toBe(200);
    const items = ((await res.json()) as any).items;
    expect(items.map((h: any) => h.host)).toEqual(['db-2', 'web-1', 'merge-9', 'idle-3']);
    // db-2: 95 GB usable, 95 GB at day 7 → 60 + 35: full now.
    const db2 = items[0];
    expect(db2.daysUntilFull).toBeLessThan(0.1);
    expect(items[3].daysUntilFull).toBeNull();
    expect(items[0].resources[0].series).toBeUndefined();
  });

  it('exports days until full and p95 utilisation at scrape', async () => {
    const text = await (await s.request('GET', '/metrics')).text();
    const value = (re: RegExp) => Number(re.exec(text)?.[1]);
    const varDays = value(/^sightline_capacity_days_until_full\{host="web-1",resource="filesystem",mountpoint="\/var"\} (\S+)$/m);
    expect(Math.abs(varDays - 20.5) / 20.5).toBeLessThan(0.02);
    expect(text).not.toMatch(/sightline_capacity_days_until_full\{host="idle-3"/);
    expect(value(/^sightline_capacity_utilisation_p95_ratio\{host="web-1",resource="cpu",mountpoint=""\} (\S+)$/m)).toBeCloseTo(0.25, 6);
    expect(text).not.toMatch(/resource="network"/);
  });

  it('folds complete hours into hourly rollups and prunes by age', async () => {
    const outcome = await rollUpCapacity(s.runtime);
    expect(outcome.hourly).toBeGreaterThan(0);
    const db = s.runtime.handle.db;
    const now = s.clock.now();
    const hourly = await readRollups(db, '1h', now - 2 * HOUR, now, 'web-1');
    const cpuHour = hourly.find((r) => r.resource === 'cpu')!;
    expect(cpuHour.count).toBe(12);
    expect(cpuHour.sum / cpuHour.count).toBeCloseTo(0.25, 6);
    // Running it again recomputes, never double counts.
    await rollUpCapacity(s.runtime);
    expect((await readRollups(db, '1h', now - 2 * HOUR, now, 'web-1')).find((r) => r.resource === 'cpu')!.count).toBe(12);
    // 31 days on, the five-minute buckets of the first day are gone, the hourly ones kept.
    s.clock.set(T0 + 31 * DAY + HOUR);
    expect((await rollUpCapacity(s.runtime)).pruned).toBeGreaterThan(0);
    expect(await readRollups(db, '5m', T0, T0 + DAY)).toHaveLength(0);
    expect((await readRollups(db, '1h', T0 + 5 * DAY, T0 + 6 * DAY, 'web-1')).length).toBeGreaterThan(0);
    s.clock.set(T0 + 7 * DAY);
  });

  it('reports rejected data points through partialSuccess and ignores unknown metrics', async () => {
    const at = s.clock.now();
    const res = await push({
      resourceMetrics: [
        {
          resource: { attributes: [str('host.name', 'partial-5')] },
          scopeMetrics: [
            {
              metrics: [
                { name: 'system.memory.usage', sum: { aggregationTemporality: 2, dataPoints: [int(at, GB, [str('system.memory.state', 'used')]), { timeUnixNano: ns(at) }] } },
                { name: 'system.filesystem.usage', sum: { aggregationTemporality: 2, dataPoints: [int(at, GB, [str('system.filesystem.state', 'used')])] } },
                { name: 'something.else', gauge: { dataPoints: [{ nonsense: true }] } },
              ],
            },
          ],
        },
        { resource: { attributes: [] }, scopeMetrics: [{ metrics: [{ name: 'system.memory.utilization', gauge: { dataPoints: [dbl(at, 0.5)] } }] }] },
      ],
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as any;
    expect(body.partialSuccess.rejectedDataPoints).toBe(3);
    expect(body.partialSuccess.errorMessage).toMatch(/asDouble nor asInt/);
  });

  it('answers 400, 413, 415, 401 and 403 in the error shape', async () => {
    const raw = await s.runtime.app.request('/v1/metrics', { method: 'POST', headers: { authorization: `Bearer ${s.tokens.ingest}`, 'content-type': 'application/json' }, body: '{"resourceMetrics":' });
    expect(raw.status).toBe(400);
    expect(((await raw.json()) as any).error.code).toBe('VALIDATION');
    expect((await push({ resourceMetrics: 5 })).status).toBe(400);
    const notGzip = await s.runtime.app.request('/v1/metrics', { method: 'POST', headers: { authorization: `Bearer ${s.tokens.ingest}`, 'content-type': 'application/json', 'content-encoding': 'gzip' }, body: '{}' });
    expect(notGzip.status).toBe(400);

    // 21 MiB of JSON compresses to a few kB: the limit applies after decompression.
    const bomb = JSON.stringify({ resourceMetrics: [], pad: ' '.repeat(21 * 1024 * 1024) });
    const big = await push(JSON.parse(bomb), { gzip: true });
    expect(big.status).toBe(413);
    expect(((await big.json()) as any).error.code).toBe('PAYLOAD_TOO_LARGE');
    // Above the server's general 5 MiB limit but under 20 MiB is fine for OTLP.
    expect((await push({ resourceMetrics: [], pad: 'x'.repeat(6 * 1024 * 1024) })).status).toBe(200);

    const proto = await s.runtime.app.request('/v1/metrics', { method: 'POST', headers: { authorization: `Bearer ${s.tokens.ingest}`, 'content-type': 'application/x-protobuf' }, body: new Uint8Array([10, 0]) });
    expect(proto.status).toBe(415);
    expect(((await proto.json()) as any).error.message).toMatch(/^OTLP\/HTTP protobuf is not supported: configure the exporter for http\/json .*OTEL_EXPORTER_OTLP_METRICS_PROTOCOL=http\/json/);

    const none = await s.runtime.app.request('/v1/metrics', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(none.status).toBe(401);
    expect((await push({}, { token: s.tokens.read })).status).toBe(403);
    expect((await s.request('GET', '/api/v1/capacity', { token: s.tokens.ingest })).status).toBe(403);
    expect((await s.request('GET', '/api/v1/capacity', { token: null })).status).toBe(401);
  });
});
