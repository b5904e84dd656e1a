/**
 * The forecast read, on both databases: five-minute buckets merged into hours as they stream
 * off the series index give exactly what folding every stored bucket does, for all hosts and
 * for one, with the time range cutting hours in two at both ends.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { coarsenBuckets, HOUR_MS, type RollupBucket } from '../../server/src/capacity/rollup.js';
import { readHourlyFromFiveMinute, readRollups, upsertRollups } from '../../server/src/db/capacity-repo.js';
import { dialects, startTestServer, T0, type TestServer } from '../helpers/runtime.js';

const MIN = 60_000;

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
    const sorted = (bs: RollupBucket[]) => [...bs].sort((a, b) => `${a.host}|${a.resource}|${a.mountpoint}|${a.bucketStart}`.localeCompare(`${b.host}|${b.resource}|${b.mountpoint}|${b.bucketStart}`));
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
});
