/**
 * The hostile cases and a bounded HTTP fuzz run against a live server process (built CLI,
 * loopback port) on SQLite and on PostgreSQL, with a modest count; `npm run fuzz` runs the
 * same with a larger one. Never a 5xx, never a stall, the process never dies, every hostile
 * input gets its expected answer, and the RSS stays bounded.
 */
import { afterAll, describe, expect, inject, it } from 'vitest';
import { stopAllProcesses } from '../helpers/processes.js';
import { createTestDatabase } from '../helpers/postgres.js';
import { ingestSeeds } from '../fuzz/seeds.js';
import { formatCounts, fuzzLiveServer } from '../fuzz/live.js';

/** Far above the ~100–200 MB such a run takes, far below what unbounded buffering would reach. */
const RSS_LIMIT_MB = 512;
const PER_ENDPOINT = 60;

afterAll(async () => {
  await stopAllProcesses();
});

const postgresUrl = inject('postgresUrl');
const databases = postgresUrl ? ['sqlite', 'postgres'] : ['sqlite'];

describe.each(databases)('HTTP fuzz against a live server on %s', (database) => {
  it('answers every input below 500, never stalls, stays up and bounded in memory', { timeout: 300_000 }, async () => {
    const seed = Number(process.env.SIGHTLINE_FUZZ_SEED ?? 20261121);
    const databaseUrl = database === 'postgres' ? await createTestDatabase(postgresUrl as string) : undefined;
    const result = await fuzzLiveServer({ perEndpoint: PER_ENDPOINT, seed, hugeBodies: 1, databaseUrl });
    console.log(`HTTP fuzz on ${database} (seed ${seed}): ${formatCounts(result.counts)}\n${result.text}`);
    expect(result.hostile.problems).toEqual([]);
    expect(result.counts).toMatchObject({ serverErrors: 0, crashes: 0, stalls: 0 });
    expect(result.hostile.cases).toBeGreaterThanOrEqual(9);
    expect(result.report.failures).toEqual([]);
    expect(result.afterwards).toEqual([]);
    for (const s of ingestSeeds()) expect(result.report.endpoints.get(`POST ${s.path}`)?.tried ?? 0, s.path).toBeGreaterThanOrEqual(PER_ENDPOINT);
    expect(Math.max(...result.report.rssSamplesMb)).toBeLessThan(RSS_LIMIT_MB);
    expect(result.report.rssSamplesMb.length).toBeGreaterThan(5);
  });
});
