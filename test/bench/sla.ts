/**
 * SLA evaluation cost: a seeded alert storm (storm/generate.ts) over a month goes through
 * the real runtime (SQLite, the real correlator, a manual clock) with an SLA policy on
 * every service of its catalogue (99.9 % a month, `dependencies: any`, response and
 * resolution targets); then each way the SLA is read is timed at the end of the storm:
 * `GET /api/v1/sla` and a `/metrics` scrape (each with and without the shared evaluation
 * cache), the current-period report of every service, and one periodic SLA pass. Median
 * and max of BENCH_REPEAT runs each, printed, never asserted.
 *
 *   npm run bench:sla
 *
 * Settings (env): BENCH_SEED, BENCH_DAYS (30), BENCH_SERVICES (45), BENCH_FAULTS_PER_DAY
 * (40), BENCH_NOISE_PER_DAY (100), BENCH_REPEAT (7).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { stringify } from 'yaml';
import { loadConfig } from '../../server/src/config.js';
import { createRuntime } from '../../server/src/main.js';
import { ManualClock } from '../../server/src/services/clock.js';
import { runSlaEvaluation } from '../../server/src/services/sla-job.js';
import { createToken } from '../../server/src/services/tokens.js';
import { DEFAULT_STORM, generateStorm, nativeAlerts, stormEvents } from './storm/generate.js';
import { catalogueOf } from './storm/topology.js';
import { setting } from './settings.js';

const DAYS = setting('BENCH_DAYS', 30);
const REPEAT = setting('BENCH_REPEAT', 7);
const start = Date.parse('2026-11-01T00:00:00.000Z');
const storm = generateStorm({
  seed: setting('BENCH_SEED', DEFAULT_STORM.seed),
  days: DAYS,
  services: setting('BENCH_SERVICES', DEFAULT_STORM.services),
  faultsPerDay: setting('BENCH_FAULTS_PER_DAY', DEFAULT_STORM.faultsPerDay),
  noisePerDay: setting('BENCH_NOISE_PER_DAY', DEFAULT_STORM.noisePerDay),
  start,
});
const events = stormEvents(storm);
const catalogue = catalogueOf(storm.topology);
const config = {
  services: catalogue.services.map((s) => ({
    ...s,
    sla: { objective: '99.9', period: 'month', dependencies: 'any', targets: { P1: { respond: '15m', resolve: '4h' }, P2: { respond: '30m', resolve: '8h' }, P3: { respond: '4h', resolve: '3d' } } },
  })),
};

const dataDir = mkdtempSync(path.join(tmpdir(), 'sightline-bench-sla-'));
const file = path.join(dataDir, 'sightline.yaml');
writeFileSync(file, stringify(config, { lineWidth: 0 }));
const loaded = loadConfig({ file, env: { SIGHTLINE_DATA_DIR: dataDir } });
if (!loaded.ok) throw new Error(loaded.problems.join('\n'));
const clock = new ManualClock(start);
const runtime = await createRuntime(loaded.config, { clock, log: pino({ level: 'silent' }), defaultMetrics: false });
const token = await createToken(runtime.handle.db, clock, { name: 'bench', scopes: ['admin'] });
if (!token.ok) throw new Error(token.error.message);
const request = (url: string, init: RequestInit = {}) => runtime.app.request(url, { ...init, headers: { authorization: `Bearer ${token.value.token}`, 'content-type': 'application/json' } });

const ingestStarted = performance.now();
for (let i = 0; i < events.length; i += 2000) {
  const batch = events.slice(i, i + 2000);
  clock.set((batch[batch.length - 1]?.at ?? 0) + 1000);
  const alerts = nativeAlerts(batch);
  const response = await request('/api/v1/alerts', { method: 'POST', body: JSON.stringify({ alerts }) });
  if (!response.ok) throw new Error(`ingest failed: ${response.status} ${await response.text()}`);
  await runtime.correlator.drain();
}
const ingestMs = performance.now() - ingestStarted;
const counts = await runtime.handle.db
  .selectFrom('incidents')
  .select((eb) => eb.fn.countAll().as('n'))
  .executeTakeFirstOrThrow();

async function time(name: string, fn: () => Promise<unknown>): Promise<string> {
  const ms: number[] = [];
  for (let i = 0; i < REPEAT; i++) {
    const t = performance.now();
    await fn();
    ms.push(performance.now() - t);
  }
  ms.sort((a, b) => a - b);
  return `${name.padEnd(34)} median ${(ms[Math.floor(ms.length / 2)] as number).toFixed(1).padStart(8)} ms   max ${(ms[ms.length - 1] as number).toFixed(1).padStart(8)} ms`;
}

const ok = async (url: string) => {
  const r = await request(url);
  if (!r.ok) throw new Error(`${url}: ${r.status}`);
  await r.text();
};
const uncached = (fn: () => Promise<unknown>) => () => {
  runtime.slaCache.entry = null;
  return fn();
};
const lines = [
  await time('GET /api/v1/sla, uncached', uncached(() => ok('/api/v1/sla'))),
  await time('GET /api/v1/sla, cached', () => ok('/api/v1/sla')),
  await time('GET /metrics, uncached', uncached(() => ok('/metrics'))),
  await time('GET /metrics, cached', () => ok('/metrics')),
  await time('GET /api/v1/sla/report (all)', () => ok('/api/v1/sla/report?period=current')),
  await time('GET /api/v1/sla/report CSV', () => ok('/api/v1/sla/report?period=current&format=csv')),
  await time('periodic SLA pass', () => runSlaEvaluation({ ...runtime, globalTargets: {} })),
];
console.log(`bench sla: ${DAYS} days, ${catalogue.services.length} services with a policy, ${events.length} alert events, ${Number(counts.n)} incidents; ingest ${(ingestMs / 1000).toFixed(1)} s`);
for (const line of lines) console.log(line);
await runtime.close();
rmSync(dataDir, { recursive: true, force: true });
