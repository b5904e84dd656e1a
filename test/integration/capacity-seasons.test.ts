/**
 * Seasonal capacity forecasts over the real server, on both databases: a disk with a daily
 * cycle and weekend backups (the bench's `weekly` profile, seed 1) is sent over OTLP as the
 * agent would, and the capacity pass is replayed every twelve hours until the disk is full. The
 * alert must be raised once, at least three days before full, and stay up (no flapping with
 * the week); at the end the API and `/metrics` give the interval, the weekly pattern and the
 * backtest.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { raiseCapacityAlerts } from '../../server/src/services/capacity-alerts.js';
import { DAY, generateProfile, HOUR, START } from '../bench/capacity-profiles.js';
import { dialects, startTestServer, T0, type TestServer } from '../helpers/runtime.js';

const GB = 1e9;
const profile = generateProfile('weekly', 1, 60);
const fullAt = profile.fullAt as number;
/** Profile time to server time. */
const shift = (at: number) => T0 + (at - START);
const str = (key: string, v: string) => ({ key, value: { stringValue: v } });
const ns = (ms: number) => `${BigInt(ms) * 1_000_000n}`;

/** The profile's samples of `[from, to)` (every 15 minutes) as one OTLP push of host `seasonal-1`, /data of 100 GB. */
function request(from: number, to: number) {
  const attrs = [str('system.device', '/dev/sdb1'), str('system.filesystem.mountpoint', '/data'), str('system.filesystem.type', 'ext4')];
  const points = profile.samples.filter((s, i) => i % 3 === 0 && s.at >= from && s.at < to);
  return {
    resourceMetrics: [
      {
        resource: { attributes: [str('host.name', 'seasonal-1')] },
        scopeMetrics: [
          {
            metrics: [
              {
                name: 'system.filesystem.usage',
                unit: 'By',
                sum: {
                  aggregationTemporality: 2,
                  dataPoints: points.flatMap((p) => [
                    { timeUnixNano: ns(shift(p.at)), asInt: String(Math.round(p.value * 100 * GB)), attributes: [...attrs, str('system.filesystem.state', 'used')] },
                    { timeUnixNano: ns(shift(p.at)), asInt: String(Math.round((1 - p.value) * 100 * GB)), attributes: [...attrs, str('system.filesystem.state', 'free')] },
                  ]),
                },
              },
            ],
          },
        ],
      },
    ],
  };
}

describe.each(dialects())('seasonal capacity (%s)', (dialect) => {
  let s: TestServer;
  const passes: { at: number; raised: number; resolved: number; firing: number }[] = [];

  beforeAll(async () => {
    s = await startTestServer(dialect);
    const deps = { handle: s.runtime.handle, clock: s.clock, correlator: s.runtime.correlator };
    let sent = START;
    // Twenty-five days of history first, then a pass every twelve hours until the disk is full.
    for (let at = START + 25 * DAY; at <= fullAt; at += 12 * HOUR) {
      s.clock.set(shift(at));
      const res = await s.request('POST', '/v1/metrics', { token: s.tokens.ingest, json: request(sent, at + 1) });
      expect(res.status, await res.clone().text()).toBe(200);
      sent = at + 1;
      const outcome = await raiseCapacityAlerts(deps, s.runtime.config.capacity.alerts);
      passes.push({ at, ...outcome });
    }
    await s.settle();
  }, 120_000);
  afterAll(async () => s?.close());

  it('raises the alert once, at least three days before the disk is full, and keeps it up', () => {
    const changes = passes.filter((p) => p.raised > 0 || p.resolved > 0);
    const firstRaise = changes.find((p) => p.raised > 0);
    expect(firstRaise, 'an alert was raised').toBeDefined();
    expect((fullAt - firstRaise!.at) / DAY).toBeGreaterThanOrEqual(3);
    // Nothing resolved on the way; an escalation to critical re-raises the same alert once at most.
    expect(passes.reduce((n, p) => n + p.resolved, 0)).toBe(0);
    expect(changes.length).toBeLessThanOrEqual(2);
    // Firing from the first raise to the end.
    expect(passes.filter((p) => p.at >= firstRaise!.at).every((p) => p.firing === 1)).toBe(true);
  });

  it('answers with the interval, the weekly pattern and the backtest in the API', async () => {
    // A week before full, as a planner would look.
    const weekBefore = START + Math.floor((fullAt - 7 * DAY - START) / HOUR) * HOUR;
    const truth = (fullAt - weekBefore) / DAY;
    s.clock.set(shift(weekBefore));
    const res = await s.request('GET', '/api/v1/capacity/seasonal-1', { token: s.tokens.read });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { resources: any[] };
    const data = body.resources.find((r) => r.mountpoint === '/data');
    expect(data.seasonality).toBe('weekly');
    expect(data.levelShiftAt).toBeNull();
    expect(Math.abs(data.daysUntilFull - truth) / truth).toBeLessThan(0.1);
    expect(data.fullBetween.lowDays).toBeLessThanOrEqual(data.daysUntilFull);
    expect(data.fullBetween.highDays).toBeGreaterThanOrEqual(data.daysUntilFull);
    expect(data.fullBetween.text).toMatch(/^full between \d+(\.\d)? and \d+(\.\d)? days$/);
    expect(data.backtest).toMatchObject({ madeDaysAgo: 7 });
    expect(data.backtest.observedPeak).toBeGreaterThan(0.5);
    expect(Math.abs(data.backtest.errorDays)).toBeLessThan(3);
    expect(Math.abs(data.backtest.errorPercent)).toBeLessThan(25);
    expect(data.trends.map((t: any) => t.windowDays)).toEqual([21, 30]);

    const metrics = await (await s.request('GET', '/metrics')).text();
    const gauge = (name: string) => Number(new RegExp(`^${name}\\{host="seasonal-1",resource="filesystem",mountpoint="/data"\\} (\\S+)$`, 'm').exec(metrics)?.[1]);
    expect(gauge('sightline_capacity_days_until_full')).toBeCloseTo(data.daysUntilFull, 6);
    expect(gauge('sightline_capacity_days_until_full_low')).toBeCloseTo(data.fullBetween.lowDays, 6);
    expect(gauge('sightline_capacity_days_until_full_high')).toBeCloseTo(data.fullBetween.highDays, 6);
  });
});
