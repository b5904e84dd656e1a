/**
 * The bounded HTTP fuzz run against a live server process (built CLI, SQLite in a temp dir,
 * loopback port), with a modest count; `npm run fuzz` runs the same with a larger one.
 * Never a 5xx, the process never dies, its RSS stays bounded.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { stopAllProcesses } from '../helpers/processes.js';
import { ingestSeeds } from '../fuzz/seeds.js';
import { fuzzLiveServer } from '../fuzz/live.js';

/** Far above the ~100–200 MB such a run takes, far below what unbounded buffering would reach. */
const RSS_LIMIT_MB = 512;
const PER_ENDPOINT = 60;

afterAll(async () => {
  await stopAllProcesses();
});

describe('HTTP fuzz against a live server', () => {
  it('answers every input below 500, stays up and bounded in memory', { timeout: 240_000 }, async () => {
    const seed = Number(process.env.SIGHTLINE_FUZZ_SEED ?? 20261121);
    const result = await fuzzLiveServer({ perEndpoint: PER_ENDPOINT, seed, hugeBodies: 1 });
    console.log(`HTTP fuzz (seed ${seed}):\n${result.text}`);
    expect(result.report.failures).toEqual([]);
    expect(result.afterwards).toEqual([]);
    for (const s of ingestSeeds()) expect(result.report.endpoints.get(`POST ${s.path}`)?.tried ?? 0, s.path).toBeGreaterThanOrEqual(PER_ENDPOINT);
    expect(Math.max(...result.report.rssSamplesMb)).toBeLessThan(RSS_LIMIT_MB);
    expect(result.report.rssSamplesMb.length).toBeGreaterThan(5);
  });
});
