/**
 * The forecast read, on both databases: five-minute buckets merged into hours as they stream
 * off the series index give exactly what folding every stored bucket does, for all hosts and
 * for one, with the time range cutting hours in two at both ends; and the evaluation, which
 * keeps the complete hours of its previous read, sees every later write into them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { coarsenBuckets, HOUR_MS, type RollupBucket } from '../../server/src/capacity/rollup.js';
import { pruneRollups, readHourlyFromFiveMinute, readRollups, upsertRollups } from '../../server/src/db/capacity-repo.js';
import { evaluateCapacity, keptForecastHours } from '../../server/src/services/capacity.js';
import { startBackgroundJobs } from '../../server/src/main.js';
import { waitFor } from '../helpers/processes.js';
import { dialects, startTestServer, T0, type TestServer } from '../helpers/runtime.js';

const MIN = 60_000;
const DAY = 24 * HOUR_MS;
const sorted = (bs: RollupBucket[]) => [...bs].sort((a, b) => `${a.host}|${a.resource}|${a.mountpoint}|${a.bucketStart}`.localeCompare(`${b.host}|${b.resource}|${b.mountpoint}|${b.bucketStart}`));

describe.each(dialects())('capacity forecast read (%s)', (dialect) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer(dialect);
  });
  afterAll(async () => s?.close());

  it('merges five-minute buckets into the same hours as folding them, series by series', async () => {
    const buckets: RollupBucket[] = [];
    const series = [
      { host: 'b-host', resource: 'filesystem', mountpoint: '/var' },
      { host: 'b-host', resource: 'filesystem', mountpoint: '/' },
      { host: 'b-host', resource: 'memory', mountpoint: '' },
      { host: 'a-host', resource: 'cpu', mountpoint: '' },
      { host: 'a-host', resource: 'filesystem', mountpoint: '/var' },
    ] as const;
    for (const [n, x] of series.entries()) {
      // Five hours of five-minute buckets, some missing, with uneven sums, counts and maxima.
      for (let k = 0; k < 60; k++) {
        if ((k + n) % 7 === 3) continue;
        buckets.push({ ...x, bucketStart: T0 + k * 5 * MIN, sum: ((k * 37 + n * 11) % 23) / 10, count: 1 + ((k + n) % 3), max: ((k * 13 + n) % 17) / 16 });
      }
    }
    // Hourly rows of the same series must not leak into the read.
    await upsertRollups(s.runtime.handle.db, s.runtime.handle.dialect, '1h', coarsenBuckets(buckets, HOUR_MS), 'replace');
    await upsertRollups(s.runtime.handle.db, s.runtime.handle.dialect, '5m', buckets, 'add');

    const from = T0 + 25 * MIN;
    const to = T0 + 4 * HOUR_MS + 35 * MIN;
    const expected = coarsenBuckets(await readRollups(s.runtime.handle.db, '5m', from, to), HOUR_MS);
    const read = await readHourlyFromFiveMinute(s.runtime.handle.db, from, to);
    expect(read).toHaveLength(series.length * 5);
    expect(sorted(read)).toEqual(sorted(expected));
    // The first hour starts 25 minutes in: only its last seven buckets count.
    const first = read.find((b) => b.host === 'a-host' && b.resource === 'cpu' && b.bucketStart === T0);
    const within = buckets.filter((b) => b.host === 'a-host' && b.resource === 'cpu' && b.bucketStart >= from && b.bucketStart < T0 + HOUR_MS);
    expect(first?.count).toBe(within.reduce((n, b) => n + b.count, 0));

    const one = await readHourlyFromFiveMinute(s.runtime.handle.db, from, to, 'b-host');
    expect(sorted(one)).toEqual(sorted(expected.filter((b) => b.host === 'b-host')));
  });

  it('evaluates from kept complete hours exactly as from a fresh read, and sees late pushes and prunes', async () => {
    const { db, dialect: d } = s.runtime.handle;
    const start = T0 + 40 * DAY;
    const five = (host: string, at: number, value: number): RollupBucket => ({ host, resource: 'filesystem', mountpoint: '/srv', bucketStart: at, sum: value, count: 1, max: value });
    // Three days of a filling disk on two hosts, one bucket every 20 minutes.
    const buckets: RollupBucket[] = [];
    for (let k = 0; k < 3 * 72; k++) for (const [n, host] of ['c-host', 'd-host'].entries()) buckets.push(five(host, start + k * 20 * MIN, 0.3 + n * 0.1 + k * 0.002));
    await upsertRollups(db, d, '5m', buckets, 'add');

    const deps = { handle: s.runtime.handle, clock: s.clock };
    const check = async () => {
      const now = s.clock.now();
      const evaluated = (await evaluateCapacity(deps)).filter((h) => h.host === 'c-host' || h.host === 'd-host');
      const fresh = (await readHourlyFromFiveMinute(db, now - 30 * DAY, now + 1)).filter((b) => b.host === 'c-host' || b.host === 'd-host');
      expect(sorted(evaluated.flatMap((h) => h.resources.flatMap((r) => r.series)))).toEqual(sorted(fresh));
      return evaluated;
    };
    s.clock.set(start + 3 * DAY - 25 * MIN);
    const before = await check();
    expect(await check()).toEqual(before);

    // A late push into a complete hour two days back, and one into the running hour.
    await upsertRollups(db, d, '5m', [five('c-host', start + DAY + 5 * MIN, 0.99), five('d-host', start + 3 * DAY - 30 * MIN, 0.98)], 'add');
    const late = await check();
    const hour = late.find((h) => h.host === 'c-host')!.resources[0]!.series.find((b) => b.bucketStart === start + DAY)!;
    expect(hour.count).toBe(4);
    expect(hour.max).toBe(0.99);

    // Buckets pruned from the middle of the window are gone from the evaluation too.
    // (with the first test's buckets, which are older)
    expect(await pruneRollups(db, '5m', start + 2 * HOUR_MS)).toBeGreaterThanOrEqual(12);
    await check();
    // The clock moving on within the hour, and past it.
    s.clock.set(start + 3 * DAY - 1 * MIN);
    await check();
    s.clock.set(start + 3 * DAY + 61 * MIN);
    await check();
  });

  it('reads the forecasts at start, so the first page load does not pay for thirty days of roll-ups', async () => {
    const fresh = await startTestServer(dialect);
    try {
      fresh.clock.set(T0 + 6 * HOUR_MS);
      const buckets = Array.from({ length: 60 }, (_, k) => ({ host: 'warm-1', resource: 'filesystem' as const, mountpoint: '/', bucketStart: T0 + k * 5 * MIN, sum: 0.5, count: 1, max: 0.5 }));
      await upsertRollups(fresh.runtime.handle.db, fresh.runtime.handle.dialect, '5m', buckets, 'add');
      expect(keptForecastHours(fresh.runtime.handle)).toBeNull();
      const stop = startBackgroundJobs(fresh.runtime);
      try {
        const kept = await waitFor('the forecast read at start', () => keptForecastHours(fresh.runtime.handle), { timeoutMs: 10_000 });
        expect(kept.to).toBe(T0 + 6 * HOUR_MS);
      } finally {
        await stop();
      }
    } finally {
      await fresh.close();
    }
  });
});
