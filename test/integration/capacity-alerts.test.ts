/**
 * Capacity alerts become incidents, on both databases: a disk filling up raises a warning
 * incident, filling faster escalates it to critical (the same alert and incident, its
 * priority rises), and freeing it resolves the alert and so the incident. A slow memory leak
 * on another host raises a memory warning. Data arrives over OTLP as the agent sends it.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../server/src/config.js';
import { DEFAULT_CAPACITY_ALERTS } from '../../server/src/domain/capacity-config.js';
import { raiseCapacityAlerts } from '../../server/src/services/capacity-alerts.js';
import { dialects, startTestServer, T0, type TestServer } from '../helpers/runtime.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const GB = 1e9;

const str = (key: string, v: string) => ({ key, value: { stringValue: v } });
const ns = (ms: number) => `${BigInt(ms) * 1_000_000n}`;
const int = (at: number, v: number, attributes: unknown[] = []) => ({ timeUnixNano: ns(at), asInt: String(Math.round(v)), attributes });

/** Disk /data (100 GB usable) used fraction over time in days: +10 %/day, then +15 %/day, then freed. */
const disk = (d: number) => (d <= 3 ? 0.4 + 0.1 * d : d <= 4.5 ? 0.7 + 0.15 * (d - 3) : 0.3);
/** leak-2's memory (16 GB): +5 %/day. */
const leak = (d: number) => 0.45 + 0.05 * d;

function request(fromDay: number, toDay: number) {
  const times: number[] = [];
  for (let h = Math.round(fromDay * 24); h <= toDay * 24; h++) times.push(T0 + h * HOUR);
  const memory = (used: (d: number) => number) => ({
    name: 'system.memory.usage',
    unit: 'By',
    sum: {
      aggregationTemporality: 2,
      dataPoints: times.flatMap((t) => [int(t, used((t - T0) / DAY) * 16 * GB, [str('system.memory.state', 'used')]), int(t, (1 - used((t - T0) / DAY)) * 16 * GB, [str('system.memory.state', 'free')])]),
    },
  });
  const fsAttrs = [str('system.device', '/dev/sdb1'), str('system.filesystem.mountpoint', '/data'), str('system.filesystem.type', 'ext4')];
  return {
    resourceMetrics: [
      {
        resource: { attributes: [str('host.name', 'fill-1')] },
        scopeMetrics: [
          {
            metrics: [
              {
                name: 'system.filesystem.usage',
                unit: 'By',
                sum: {
                  aggregationTemporality: 2,
                  dataPoints: times.flatMap((t) => [
                    int(t, disk((t - T0) / DAY) * 100 * GB, [...fsAttrs, str('system.filesystem.state', 'used')]),
                    int(t, (1 - disk((t - T0) / DAY)) * 100 * GB, [...fsAttrs, str('system.filesystem.state', 'free')]),
                  ]),
                },
              },
              memory(() => 0.3),
            ],
          },
        ],
      },
      { resource: { attributes: [str('host.name', 'leak-2')] }, scopeMetrics: [{ metrics: [memory(leak)] }] },
    ],
  };
}

interface Incident {
  id: number;
  title: string;
  status: string;
  priority: string;
  host: string | null;
  firingCount: number;
}
interface Detail extends Incident {
  alerts: { source: string; status: string; labels: Record<string, string>; annotations: Record<string, string> }[];
}

describe.each(dialects())('capacity alerts (%s)', (dialect) => {
  let s: TestServer;
  const deps = () => ({ handle: s.runtime.handle, clock: s.clock, correlator: s.runtime.correlator });

  /** Pushes the data of days (from, to], moves the clock to `to` and runs one evaluation. */
  async function advance(from: number, to: number) {
    s.clock.set(T0 + to * DAY);
    const res = await s.request('POST', '/v1/metrics', { token: s.tokens.ingest, json: request(from, to) });
    expect(res.status, await res.clone().text()).toBe(200);
    expect(await res.json()).toEqual({});
    const outcome = await raiseCapacityAlerts(deps(), s.runtime.config.capacity.alerts);
    await s.settle();
    return outcome;
  }

  async function incidents(): Promise<Incident[]> {
    const res = await s.request('GET', '/api/v1/incidents?limit=100', { token: s.tokens.read });
    expect(res.status).toBe(200);
    return ((await res.json()) as { items: Incident[] }).items;
  }
  const detail = async (id: number) => (await (await s.request('GET', `/api/v1/incidents/${id}`, { token: s.tokens.read })).json()) as Detail;

  beforeAll(async () => {
    s = await startTestServer(dialect);
  });
  afterAll(async () => s?.close());

  it('uses the defaults: warning within 7 days, critical within 24 hours, filesystems and memory', () => {
    expect(s.runtime.config.capacity.alerts).toEqual(DEFAULT_CAPACITY_ALERTS);
    expect(DEFAULT_CAPACITY_ALERTS).toEqual({ enabled: true, warning: 7 * DAY, critical: DAY, resources: ['filesystem', 'memory'] });
  });

  it('raises a warning incident for a disk that will be full in 3 days; a memory leak 8 days out stays quiet', async () => {
    expect(await advance(-0.01, 3)).toEqual({ raised: 1, resolved: 0, firing: 1 });
    const open = (await incidents()).filter((i) => i.status === 'open');
    expect(open).toHaveLength(1);
    expect(open[0]).toMatchObject({ host: 'fill-1', title: 'SightlineFilesystemFullSoon: Filesystem /data on fill-1 is forecast to be full within 7 days' });
    const d = await detail(open[0]!.id);
    expect(d.alerts).toHaveLength(1);
    expect(d.alerts[0]).toMatchObject({ source: 'sightline', status: 'firing', labels: { alertname: 'SightlineFilesystemFullSoon', host: 'fill-1', mountpoint: '/data', resource: 'filesystem', severity: 'warning' } });
    expect(d.alerts[0]!.annotations.description).toMatch(/is forecast to be full in 3\.0 days \(70\.0 % used now[;)]/);
    // The same forecasts again change nothing.
    expect(await raiseCapacityAlerts(deps(), s.runtime.config.capacity.alerts)).toEqual({ raised: 0, resolved: 0, firing: 1 });
  });

  it('escalates to critical when the disk fills faster (full in under 24 h), in the same incident, and the memory leak becomes a warning', async () => {
    const warning = (await incidents()).find((i) => i.host === 'fill-1')!;
    // fill-1's alert re-raised as critical (same fingerprint); leak-2's memory (6.5 days out) raised.
    expect(await advance(3, 4.5)).toEqual({ raised: 2, resolved: 0, firing: 2 });
    // A day and a half after the warning, past the join window and the maximum incident span:
    // the same fault, so the warning's incident goes on, at a higher priority.
    s.clock.set(s.clock.now() + s.runtime.config.correlation.resolveHoldDown + 1_000);
    await s.settle();
    const all = await incidents();
    const fill = all.filter((i) => i.host === 'fill-1');
    expect(fill.map((i) => [i.id, i.status, i.firingCount])).toEqual([[warning.id, 'open', 1]]);
    expect(Number(fill[0]!.priority.slice(1))).toBeLessThan(Number(warning.priority.slice(1)));
    const d = (await detail(warning.id)) as Detail & { timeline: { kind: string; message: string }[] };
    expect(d.alerts.map((a) => [a.labels.severity, a.status])).toEqual([['critical', 'firing']]);
    const hours = Number(/full in (\d+\.\d) hours \(92\.5 % used now[;)]/.exec(d.alerts[0]!.annotations.description!)?.[1]);
    expect(hours).toBeGreaterThan(0);
    expect(hours).toBeLessThan(24);
    expect(d.timeline.some((t) => t.kind === 'updated' && t.message.startsWith(`Priority ${warning.priority} → ${fill[0]!.priority}`))).toBe(true);

    const mem = all.find((i) => i.host === 'leak-2')!;
    expect(mem.status).toBe('open');
    expect(mem.title).toBe('SightlineMemoryFullSoon: Memory on leak-2 is forecast to be full within 7 days');
    expect((await detail(mem.id)).alerts[0]!.labels).toEqual({ alertname: 'SightlineMemoryFullSoon', host: 'leak-2', resource: 'memory', severity: 'warning' });
  });

  it('resolves the alert once the disk has been freed, and the incident with it', async () => {
    // Daily peaks keep the trend for a while after a clean-up; two and a half days later it is gone.
    expect(await advance(4.5, 7)).toEqual({ raised: 0, resolved: 1, firing: 1 });
    s.clock.set(s.clock.now() + s.runtime.config.correlation.resolveHoldDown + 1_000);
    await s.settle();
    const fill = (await incidents()).filter((i) => i.host === 'fill-1');
    // One fault, one incident, from the warning to the clean-up.
    expect(fill.map((i) => i.status)).toEqual(['resolved']);
    for (const i of fill) expect((await detail(i.id)).alerts.every((a) => a.status === 'resolved')).toBe(true);
    // leak-2 (4 days out) is still a warning: nothing raised again.
    expect((await incidents()).find((i) => i.host === 'leak-2')!.status).toBe('open');
  });

  it('does nothing when switched off, and resolves what fired', async () => {
    expect(await raiseCapacityAlerts(deps(), { ...DEFAULT_CAPACITY_ALERTS, enabled: false })).toEqual({ raised: 0, resolved: 1, firing: 0 });
  });
});

describe('capacity configuration', () => {
  const load = (yaml: string | null) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sightline-capacity-config-'));
    const file = yaml === null ? null : path.join(dir, 'sightline.yaml');
    if (file && yaml !== null) writeFileSync(file, yaml);
    try {
      return loadConfig({ env: { SIGHTLINE_DATA_DIR: dir }, file });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };

  it('defaults: 5-minute rollups 30 days, hourly 400 days, alerts at 7 days and 24 hours, forecasts within a year', () => {
    const good = load(null);
    expect(good.ok && good.config.capacity).toEqual({ retention: { fiveMinute: 30 * DAY, hourly: 400 * DAY }, alerts: DEFAULT_CAPACITY_ALERTS, maxConcurrentIngests: 4, forecastHorizon: 365 * DAY });
  });

  it('reads thresholds, retention, the ingest bound and the forecast horizon from YAML', () => {
    const res = load('capacity:\n  retention: { fiveMinute: 14d, hourly: 90d }\n  alerts: { warning: 3d, critical: 12h, resources: [filesystem] }\n  maxConcurrentIngests: 2\n  forecastHorizon: 90d\n');
    expect(res.ok && res.config.capacity).toEqual({
      retention: { fiveMinute: 14 * DAY, hourly: 90 * DAY },
      alerts: { enabled: true, warning: 3 * DAY, critical: 12 * HOUR, resources: ['filesystem'] },
      maxConcurrentIngests: 2,
      forecastHorizon: 90 * DAY,
    });
  });

  it('rejects settings that cannot work, naming each', () => {
    const res = load('capacity:\n  retention: { fiveMinute: 1d, hourly: 400d }\n  alerts: { warning: 1d, critical: 2d, resources: [cpu] }\n');
    expect(res.ok).toBe(false);
    const problems = res.ok ? [] : res.problems;
    expect(problems.some((p) => /^capacity\.retention\.fiveMinute: must be longer than 2d1h/.test(p))).toBe(true);
    expect(problems.some((p) => /^capacity\.alerts\.resources\.0: /.test(p))).toBe(true);
    const horizon = load('capacity:\n  forecastHorizon: 12h\n');
    expect(horizon.ok ? [] : horizon.problems).toEqual([expect.stringMatching(/^capacity\.forecastHorizon: must be at least 1d/)]);
    const order = load('capacity:\n  retention: { fiveMinute: 30d, hourly: 7d }\n  alerts: { warning: 1d, critical: 2d }\n');
    const orderProblems = order.ok ? [] : order.problems;
    expect(orderProblems).toEqual(expect.arrayContaining([expect.stringMatching(/^capacity\.retention\.hourly: must not be shorter than fiveMinute/), expect.stringMatching(/^capacity\.alerts\.critical: must not be longer than warning/)]));
  });
});
