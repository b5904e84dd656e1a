/**
 * Rollup retention follows the configuration, on both databases: with five-minute buckets
 * kept 3 days and hourly ones 10 days, a pass prunes exactly what is older.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readRollups } from '../../server/src/db/capacity-repo.js';
import { rollUpCapacity } from '../../server/src/services/capacity.js';
import { dialects, startTestServer, T0, type TestServer } from '../helpers/runtime.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const str = (key: string, v: string) => ({ key, value: { stringValue: v } });

describe.each(dialects())('capacity retention (%s)', (dialect) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer(dialect, {}, 'capacity:\n  retention:\n    fiveMinute: 3d\n    hourly: 10d\n');
  });
  afterAll(async () => s?.close());

  it('prunes five-minute buckets after 3 days and hourly ones after 10, as configured', async () => {
    const retention = s.runtime.config.capacity.retention;
    expect(retention).toEqual({ fiveMinute: 3 * DAY, hourly: 10 * DAY });
    const days = [0, 7, 10, 12];
    const pruned: number[] = [];
    for (const d of days) {
      // One sample 10 minutes into the day; the pass an hour later folds that hour.
      const at = T0 + d * DAY + 10 * MIN;
      s.clock.set(T0 + d * DAY + HOUR);
      const res = await s.request('POST', '/v1/metrics', {
        token: s.tokens.ingest,
        json: {
          resourceMetrics: [
            {
              resource: { attributes: [str('host.name', 'keep-1')] },
              scopeMetrics: [{ metrics: [{ name: 'system.memory.utilization', gauge: { dataPoints: [{ timeUnixNano: `${BigInt(at) * 1_000_000n}`, asDouble: d / 100, attributes: [str('system.memory.state', 'used')] }] } }] }],
            },
          ],
        },
      });
      expect(res.status).toBe(200);
      pruned.push((await rollUpCapacity(s.runtime, retention)).pruned);
    }
    const startDays = async (resolution: '5m' | '1h') => (await readRollups(s.runtime.handle.db, resolution, 0, Number.MAX_SAFE_INTEGER, 'keep-1')).map((b) => Math.floor((b.bucketStart - T0) / DAY));
    // Now is day 12 + 1 h: five-minute buckets before day 9 + 1 h are gone, hourly ones before day 2 + 1 h.
    expect(await startDays('5m')).toEqual([10, 12]);
    expect(await startDays('1h')).toEqual([7, 10, 12]);
    // Day 7's pass removed day 0's five-minute bucket; day 10's day 7's and day 0's hour.
    expect(pruned).toEqual([0, 1, 2, 0]);
  });

  it('keeps everything for 30 and 400 days by default', async () => {
    const fresh = await startTestServer(dialect);
    try {
      expect(fresh.runtime.config.capacity.retention).toEqual({ fiveMinute: 30 * DAY, hourly: 400 * DAY });
    } finally {
      await fresh.close();
    }
  });
});
