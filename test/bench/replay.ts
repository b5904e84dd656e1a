/**
 * Replay speed: a seeded alert storm of about a million events (storm/generate.ts, its
 * per-day rates over as many days as that takes) is written to a fresh SQLite alert log, and
 * `replayAlertLog` folds the whole log through the correlation engine in memory, with the
 * storm's topology as the catalogue (the rules file's `services:`).
 *
 *   npm run bench:replay
 *
 * Absolute times say little on a shared machine, so the reference is measured in the same
 * run: the live correlator (the real runtime on a manual clock, `POST /api/v1/alerts` in
 * batches then `correlator.drain()`, as bench:correlation does) on a prefix of the same events.
 * Its path also stores every event, which the replay does not: the ratio is how much faster
 * re-correlating a window is than having correlated it live.
 *
 * Settings (env): BENCH_SEED (20261121), BENCH_EVENTS (1,000,000: about that many are
 * generated), BENCH_LIVE_EVENTS (50,000: the live reference's prefix).
 *
 * The last line is machine-readable:
 *   bench replay: events=<n> rate=<events/s correlating> wall_rate=<events/s incl. reading the log> live_rate=<events/s> ratio=<rate/live_rate>
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { loadConfig, type ServerConfig } from '../../server/src/config.js';
import { appendAlertEvents } from '../../server/src/db/alert-events-repo.js';
import { migrateDatabase, openDatabase, type DatabaseHandle } from '../../server/src/db/connection.js';
import type { AlertEvent } from '../../server/src/domain/alert.js';
import { fingerprintLabels } from '../../server/src/ingest/fingerprint.js';
import { createRuntime } from '../../server/src/main.js';
import { replayAlertLog } from '../../server/src/replay.js';
import { ManualClock } from '../../server/src/services/clock.js';
import { createToken } from '../../server/src/services/tokens.js';
import { DEFAULT_STORM, generateStorm, labelKey, nativeAlerts, stormEvents, type StormEvent } from './storm/generate.js';
import { renderTopologyYaml } from './storm/topology.js';
import { setting } from './settings.js';

const SEED = setting('BENCH_SEED', DEFAULT_STORM.seed);
const TARGET = setting('BENCH_EVENTS', 1_000_000);
const LIVE_TARGET = setting('BENCH_LIVE_EVENTS', 50_000);
/** Events per transaction when writing the log, and per request to the live server. */
const STORE_BATCH = 5000;
const LIVE_BATCH = 2000;
const PROGRESS_EVERY = 100_000;
const LIVE_PROGRESS_EVERY = 10_000;
/** Days of the storm that measure its events per day; long enough for recurrences to settle. */
const CALIBRATION_DAYS = 50;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const perSecond = (n: number, ms: number) => Math.round(n / (ms / 1000));
const thousands = (n: number) => n.toLocaleString('en-US');

// 1. The storm: DEFAULT_STORM's rates per day, over enough days for about TARGET events.
const generateStarted = performance.now();
const stormOf = (days: number) => generateStorm({ ...DEFAULT_STORM, seed: SEED, days });
const calibration = stormEvents(stormOf(CALIBRATION_DAYS)).length / CALIBRATION_DAYS;
const days = Math.max(1, Math.round(TARGET / calibration));
console.log(`generating: ${Math.round(calibration)} events a day over ${CALIBRATION_DAYS} days, so ${days} days for about ${thousands(TARGET)} events...`);
const storm = stormOf(days);
const events = stormEvents(storm);
const generatedMs = performance.now() - generateStarted;
const realFaults = storm.faults.filter((f) => f.id.startsWith('fault-')).length;
console.log(
  `storm: seed=${SEED}, ${days} days from ${new Date(storm.options.start).toISOString().slice(0, 10)}, ${storm.topology.services.length} services, ` +
    `${storm.options.faultsPerDay} faults and ${storm.options.noisePerDay} noise alerts a day (${realFaults} cascading faults + ${storm.faults.length - realFaults} noise), ` +
    `${thousands(storm.episodes.length)} alert episodes, ${thousands(events.length)} events (generated in ${seconds(generatedMs)})`,
);

const root = mkdtempSync(path.join(tmpdir(), 'sightline-bench-replay-'));
/** The storm's topology as the catalogue, in a config file whose data dir is `dir`. */
function configIn(dir: string) {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'sightline.yaml');
  writeFileSync(file, renderTopologyYaml(storm.topology));
  const loaded = loadConfig({ file, env: { SIGHTLINE_DATA_DIR: dir } });
  if (!loaded.ok) throw new Error(loaded.problems.join('\n'));
  return loaded.config;
}

const fingerprints = new Map<string, string>();
function alertEventOf({ status, episode }: StormEvent): AlertEvent {
  const key = labelKey(episode.labels);
  let fingerprint = fingerprints.get(key);
  if (fingerprint === undefined) fingerprints.set(key, (fingerprint = fingerprintLabels(episode.labels)));
  return {
    source: 'prometheus',
    fingerprint,
    status,
    labels: episode.labels,
    annotations: episode.annotations,
    startsAt: episode.startsAt,
    endsAt: status === 'resolved' ? episode.endsAt : null,
    generatorUrl: null,
  };
}

/** 2. Writes the log straight through the repository, each event received at its own time. */
async function storeLog(handle: DatabaseHandle): Promise<void> {
  const started = performance.now();
  for (let i = 0; i < events.length; i += STORE_BATCH) {
    const batch = events.slice(i, i + STORE_BATCH);
    await handle.db.transaction().execute(async (trx) => {
      // One append per arrival time: events of the same second arrive together.
      for (let j = 0; j < batch.length; ) {
        const at = (batch[j] as StormEvent).at;
        let k = j;
        while (k < batch.length && (batch[k] as StormEvent).at === at) k++;
        await appendAlertEvents(trx, batch.slice(j, k).map(alertEventOf), at);
        j = k;
      }
    });
    const done = Math.min(i + STORE_BATCH, events.length);
    if (Math.floor(done / PROGRESS_EVERY) > Math.floor(i / PROGRESS_EVERY) || done === events.length) {
      console.log(`storing: ${thousands(done)} of ${thousands(events.length)} events (${seconds(performance.now() - started)})`);
    }
  }
  const ms = performance.now() - started;
  console.log(`stored ${thousands(events.length)} events in ${seconds(ms)} (${perSecond(events.length, ms)} events/s, transactions of ${STORE_BATCH})`);
}

/** 3. Replays the whole log; returns the engine's rate and the whole replay's. */
async function replayLog(handle: DatabaseHandle, config: Readonly<ServerConfig>): Promise<{ events: number; rate: number; wallRate: number }> {
  const from = (events[0] as StormEvent).at - HOUR;
  const to = (events[events.length - 1] as StormEvent).at + DAY;
  console.log('replaying: reading the log and correlating (nothing is reported until it is done)...');
  const started = performance.now();
  const result = await replayAlertLog({ source: handle, config, from, to, catalogue: 'config' });
  const ms = performance.now() - started;
  const rate = perSecond(result.events, result.correlateMs);
  const wallRate = perSecond(result.events, ms);
  console.log(
    `replay: ${thousands(result.events)} events, ${thousands(result.episodes)} alert episodes → ${thousands(result.replay.incidents)} incidents ` +
      `(${thousands(result.replay.alerts)} episodes attached, ${result.replay.compression.toFixed(2)} per incident; catalogue of ${result.catalogue.services} services)`,
  );
  console.log(`replay: correlated in ${seconds(result.correlateMs)} (${rate} events/s); whole replay incl. reading the log ${seconds(ms)} (${wallRate} events/s)`);
  return { events: result.events, rate, wallRate };
}

/** 4. The reference: the live correlator on a prefix of the same events; returns its events/s. */
async function correlateLive(config: Readonly<ServerConfig>, prefix: readonly StormEvent[]): Promise<number> {
  const clock = new ManualClock(storm.options.start);
  const runtime = await createRuntime(config, { clock, log: pino({ level: 'silent' }), defaultMetrics: false });
  try {
    const created = await createToken(runtime.handle.db, clock, { name: 'bench-ingest', scopes: ['ingest'] });
    if (!created.ok) throw new Error(created.error.message);
    console.log(`live: sending ${thousands(prefix.length)} events in batches of ${LIVE_BATCH}...`);
    const started = performance.now();
    for (let i = 0; i < prefix.length; i += LIVE_BATCH) {
      const batch = prefix.slice(i, i + LIVE_BATCH);
      // Live, the server's clock is at the newest event when it arrives.
      clock.set((batch[batch.length - 1]?.at ?? 0) + 1000);
      const alerts = nativeAlerts(batch);
      const response = await runtime.app.request('/api/v1/alerts', {
        method: 'POST',
        headers: { authorization: `Bearer ${created.value.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ alerts }),
      });
      if (!response.ok) throw new Error(`ingest failed: ${response.status} ${await response.text()}`);
      await runtime.correlator.drain();
      const done = i + batch.length;
      if (Math.floor(done / LIVE_PROGRESS_EVERY) > Math.floor(i / LIVE_PROGRESS_EVERY) && done < prefix.length) {
        console.log(`live: ${thousands(done)} of ${thousands(prefix.length)} events (${seconds(performance.now() - started)})`);
      }
    }
    const ms = performance.now() - started;
    const rate = perSecond(prefix.length, ms);
    console.log(`live correlator: ${thousands(prefix.length)} events ingested and correlated in ${seconds(ms)} (${rate} events/s)`);
    return rate;
  } finally {
    await runtime.close();
  }
}

try {
  const config = configIn(path.join(root, 'replay'));
  const handle = openDatabase({ dataDir: config.dataDir, databaseUrl: null, sqliteSynchronous: config.sqliteSynchronous });
  let replayed: Awaited<ReturnType<typeof replayLog>>;
  try {
    await migrateDatabase(handle);
    await storeLog(handle);
    replayed = await replayLog(handle, config);
  } finally {
    await handle.close();
  }
  const liveRate = await correlateLive(configIn(path.join(root, 'live')), events.slice(0, Math.min(LIVE_TARGET, events.length)));
  const ratio = replayed.rate / liveRate;
  console.log(`replay engine / live correlator: ${ratio.toFixed(1)}x the events per second`);
  console.log(`bench replay: events=${replayed.events} rate=${replayed.rate} wall_rate=${replayed.wallRate} live_rate=${liveRate} ratio=${ratio.toFixed(2)}`);
} finally {
  rmSync(root, { recursive: true, force: true });
}
