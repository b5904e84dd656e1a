/**
 * Correlation-quality benchmark: seeded alert streams with ground truth go through the real
 * Sightline runtime in-process (SQLite, the real correlator, a manual clock), and the alert →
 * incident grouping it produces is scored against the truth beside three baselines computed on
 * the same alerts: group by host with a 10-minute gap, by service label (10 minutes), and
 * Alertmanager-style by alertname + instance (5 minutes).
 *
 *   npm run bench:correlation
 *
 * Profiles (BENCH_PROFILE=default or security; unset runs both):
 * - default: a cascading-fault storm over a service topology (see storm/generate.ts);
 * - security: an intrusion-detection / host-monitoring stream (see storm/security.ts): rule
 *   codes as alert names, scans over many hosts, multi-step attacks on one host among unrelated
 *   alerts, a slow exfiltration lasting days, repeated noise. It has no service catalogue.
 *
 * Settings (env): BENCH_SEED (each profile's own default: 20261121, 20261208), BENCH_DAYS (5),
 * BENCH_SERVICES (45), BENCH_FAULTS_PER_DAY (40), BENCH_NOISE_PER_DAY (100) for the default
 * profile, BENCH_BATCH events per request (2000), BENCH_TOPOLOGY_OUT=<file> to also write the
 * topology as catalogue YAML, BENCH_DUMP=<prefix> to write every episode with its truth,
 * predicted incident and the layer that put it there (<prefix>.<profile>.plain.jsonl,
 * <prefix>.<profile>.catalogue.jsonl), BENCH_CONFIG=<file> for server settings to try (YAML,
 * e.g. a `correlation:` block), BENCH_CHANGES=0 to leave out the changes the default profile
 * generates beside its storm (storm/changes.ts; recorded before the alerts are sent).
 *
 * The default profile runs Sightline twice on fresh databases: without a service catalogue, and
 * with the generated topology loaded as its catalogue (`services:` in the config file), which
 * the topology layer needs; BENCH_CATALOGUE=1 or 0 runs only one. Its headline numbers are
 * those with the catalogue.
 *
 * The unit scored is the alert episode (one firing → resolved span of a label set), so a
 * flapping alert counts once per firing. One machine-readable line per profile:
 *   bench correlation <profile>: f1=<x> baseline_best_f1=<y> compression=<z>
 * and, when the default profile ran, the last line as before:
 *   bench correlation: f1=<x> baseline_best_f1=<y> compression=<z>
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { loadConfig } from '../../server/src/config.js';
import { fingerprintLabels } from '../../server/src/ingest/fingerprint.js';
import { createRuntime } from '../../server/src/main.js';
import { ManualClock } from '../../server/src/services/clock.js';
import { createToken } from '../../server/src/services/tokens.js';
import { insertChange } from '../../server/src/db/changes-repo.js';
import { generateChanges, type StormChange } from './storm/changes.js';
import { groupAlertmanagerStyle, groupByHost, groupByServiceLabel } from './storm/baselines.js';
import { DEFAULT_STORM, generateStorm, labelKey, nativeAlerts, stormEvents, type Storm, type StormEpisode, type StormEvent } from './storm/generate.js';
import { DEFAULT_SECURITY, generateSecurityStorm } from './storm/security.js';
import { scoreGrouping, type GroupingScore } from './storm/score.js';
import { renderTopologyYaml } from './storm/topology.js';
import { setting } from './settings.js';

const BATCH = Math.min(setting('BENCH_BATCH', 2000), 10_000);
const CATALOGUE = ({ '1': 'with', '0': 'without', '': 'both' } as const)[process.env.BENCH_CATALOGUE ?? ''];
if (!CATALOGUE) throw new Error('BENCH_CATALOGUE must be 1 (with the catalogue only) or 0 (without only); unset runs both');
const PROFILES = process.env.BENCH_PROFILE ? [process.env.BENCH_PROFILE] : ['default', 'security'];
for (const p of PROFILES) if (p !== 'default' && p !== 'security') throw new Error(`BENCH_PROFILE must be default or security, not ${p}`);

const started = performance.now();

/** Builds the runtime as test/helpers/runtime.ts does, without vitest. */
async function startServer(storm: Storm, withCatalogue: boolean, changes: readonly StormChange[]) {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'sightline-bench-correlation-'));
  // BENCH_CONFIG: a YAML file of settings to try (e.g. `correlation:`), added to the catalogue.
  const extra = process.env.BENCH_CONFIG ? readFileSync(process.env.BENCH_CONFIG, 'utf8') : '';
  let file: string | null = null;
  if (withCatalogue || extra) {
    file = path.join(dataDir, 'sightline.yaml');
    writeFileSync(file, `${withCatalogue ? renderTopologyYaml(storm.topology) : ''}\n${extra}`);
  }
  const loaded = loadConfig({ file, env: { SIGHTLINE_DATA_DIR: dataDir } });
  if (!loaded.ok) throw new Error(loaded.problems.join('\n'));
  const clock = new ManualClock(storm.options.start);
  const runtime = await createRuntime(loaded.config, { clock, log: pino({ level: 'silent' }), defaultMetrics: false });
  const created = await createToken(runtime.handle.db, clock, { name: 'bench-ingest', scopes: ['ingest'] });
  if (!created.ok) throw new Error(created.error.message);
  // Recorded as they began: the correlator only weighs those before an alert.
  for (const { causedFault: _truth, ...change } of changes) await insertChange(runtime.handle.db, change);
  return {
    runtime,
    clock,
    token: created.value.token,
    async close() {
      await runtime.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

const episodeKey = (fingerprint: string, startsAt: number) => `${fingerprint}@${startsAt}`;
const fingerprints = new Map<string, string>();
const fingerprintOf = (e: StormEpisode) => {
  const key = labelKey(e.labels);
  let fp = fingerprints.get(key);
  if (fp === undefined) fingerprints.set(key, (fp = fingerprintLabels(e.labels)));
  return fp;
};

interface SightlineRun {
  name: string;
  score: GroupingScore;
  ingestMs: number;
  unattached: number;
}

/** Sends the whole stream, in event-time order, through a fresh runtime and scores its incidents. */
async function runSightline(profile: string, storm: Storm, events: readonly StormEvent[], withCatalogue: boolean, changes: readonly StormChange[]): Promise<SightlineRun> {
  const server = await startServer(storm, withCatalogue, changes);
  const ingestStarted = performance.now();
  for (let i = 0; i < events.length; i += BATCH) {
    const batch = events.slice(i, i + BATCH);
    // Live, the server's clock is at the newest event when it arrives.
    server.clock.set((batch[batch.length - 1]?.at ?? 0) + 1000);
    const alerts = nativeAlerts(batch);
    const response = await server.runtime.app.request('/api/v1/alerts', {
      method: 'POST',
      headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ alerts }),
    });
    if (!response.ok) throw new Error(`ingest failed: ${response.status} ${await response.text()}`);
    await server.runtime.correlator.drain();
  }
  const ingestMs = performance.now() - ingestStarted;

  // Every firing episode the correlator attached leaves one `opened` or `alert_joined` entry
  // at the episode's start, naming the alert: that incident, followed through the correlator's
  // own merges (a `merged` entry naming where it went), is its predicted incident.
  const rows = await server.runtime.handle.db
    .selectFrom('incident_timeline')
    .select(['incident_id', 'at', 'kind', 'actor', 'data'])
    .where('kind', 'in', ['opened', 'alert_joined', 'merged'])
    .orderBy('id')
    .execute();
  await server.close();
  const mergedInto = new Map<number, number>();
  for (const row of rows) {
    const data = JSON.parse(row.data ?? '{}') as { into?: number };
    if (row.kind === 'merged' && row.actor === 'sightline' && typeof data.into === 'number') mergedInto.set(row.incident_id, data.into);
  }
  const finalIncident = (id: number) => {
    for (let hops = 0; mergedInto.has(id) && hops < mergedInto.size; hops++) id = mergedInto.get(id) as number;
    return id;
  };
  const predictedOf = new Map<string, number>();
  const howOf = new Map<string, { method: string; evidence?: unknown; merged?: number }>();
  for (const row of rows) {
    if (row.kind === 'merged') continue;
    const data = JSON.parse(row.data ?? '{}') as { fingerprint?: string; method?: string; evidence?: unknown };
    if (!data.fingerprint) continue;
    const key = episodeKey(data.fingerprint, Number(row.at));
    const incident = finalIncident(row.incident_id);
    predictedOf.set(key, incident);
    howOf.set(key, { method: data.method ?? 'new', evidence: data.evidence, ...(incident !== row.incident_id ? { merged: row.incident_id } : {}) });
  }

  let unattached = 0;
  const predicted = storm.episodes.map((e, i) => {
    const incident = predictedOf.get(episodeKey(fingerprintOf(e), e.startsAt));
    if (incident === undefined) unattached++;
    // An episode the server never attached counts as an incident of its own.
    return { predicted: incident ?? `unattached-${i}`, truth: e.faultId };
  });
  const name = storm.topology.services.length === 0 ? 'sightline' : withCatalogue ? 'sightline (catalogue)' : 'sightline (no catalogue)';
  if (process.env.BENCH_DUMP) {
    const file = `${process.env.BENCH_DUMP}.${profile}.${withCatalogue ? 'catalogue' : 'plain'}.jsonl`;
    const how = (e: StormEpisode) => howOf.get(episodeKey(fingerprintOf(e), e.startsAt)) ?? null;
    writeFileSync(file, storm.episodes.map((e, i) => JSON.stringify({ ...e, incident: predicted[i]?.predicted, how: how(e) })).join('\n') + '\n');
  }
  return { name, score: scoreGrouping(predicted), ingestMs, unattached };
}

const header = ['method', 'alerts', 'faults', 'incidents', 'precision', 'recall', 'F1', 'compression', 'split faults', 'mixed incidents'];
const line = (name: string, s: GroupingScore) => [
  name,
  String(s.alerts),
  String(s.faults),
  String(s.incidents),
  s.precision.toFixed(3),
  s.recall.toFixed(3),
  s.f1.toFixed(3),
  s.compression.toFixed(1),
  String(s.splitFaults),
  String(s.mixedIncidents),
];

const summaries: string[] = [];
let defaultSummary: string | null = null;
for (const profile of PROFILES) {
  const generatedAt = performance.now();
  const storm =
    profile === 'default'
      ? generateStorm({
          seed: setting('BENCH_SEED', DEFAULT_STORM.seed),
          days: setting('BENCH_DAYS', DEFAULT_STORM.days),
          services: setting('BENCH_SERVICES', DEFAULT_STORM.services),
          faultsPerDay: setting('BENCH_FAULTS_PER_DAY', DEFAULT_STORM.faultsPerDay),
          noisePerDay: setting('BENCH_NOISE_PER_DAY', DEFAULT_STORM.noisePerDay),
        })
      : generateSecurityStorm({ seed: setting('BENCH_SEED', DEFAULT_SECURITY.seed), days: setting('BENCH_DAYS', DEFAULT_SECURITY.days) });
  const events = stormEvents(storm);
  // Deploys and other changes beside the default storm (most cause nothing; some caused its faults).
  const changes = profile === 'default' && process.env.BENCH_CHANGES !== '0' ? generateChanges(storm) : [];
  if (profile === 'default' && process.env.BENCH_TOPOLOGY_OUT) writeFileSync(process.env.BENCH_TOPOLOGY_OUT, renderTopologyYaml(storm.topology));
  const generatedMs = performance.now() - generatedAt;

  const runs: SightlineRun[] = [];
  if (storm.topology.services.length === 0) runs.push(await runSightline(profile, storm, events, false, changes));
  else {
    if (CATALOGUE !== 'with') runs.push(await runSightline(profile, storm, events, false, changes));
    if (CATALOGUE !== 'without') runs.push(await runSightline(profile, storm, events, true, changes));
  }
  // The headline is Sightline as meant to be deployed: with its catalogue, when that ran.
  const headline = runs[runs.length - 1] as SightlineRun;

  const baseline = (groups: number[]) => scoreGrouping(groups.map((g, i) => ({ predicted: g, truth: (storm.episodes[i] as StormEpisode).faultId })));
  const baselines: [string, GroupingScore][] = [
    ['group by host 10m', baseline(groupByHost(storm.episodes))],
    ['group by service 10m', baseline(groupByServiceLabel(storm.episodes))],
    ['am group_by [alertname,instance] 5m', baseline(groupAlertmanagerStyle(storm.episodes))],
  ];
  const bestBaseline = Math.max(...baselines.map(([, s]) => s.f1));

  const distinctAlerts = new Set(storm.episodes.map((e) => labelKey(e.labels))).size;
  console.log(`== profile ${profile} ==`);
  if (profile === 'default') {
    const realFaults = storm.faults.filter((f) => f.id.startsWith('fault-')).length;
    console.log(
      `storm: seed=${storm.options.seed}, ${storm.options.days} days, ${storm.topology.services.length} services, ${realFaults} cascading faults + ${storm.faults.length - realFaults} noise, ` +
        `${storm.episodes.length} alert episodes of ${distinctAlerts} distinct alerts, ${events.length} events, ${changes.length} changes (generated in ${generatedMs.toFixed(0)} ms)`,
    );
  } else {
    const kinds = new Map<string, number>();
    for (const f of storm.faults) kinds.set(f.kind, (kinds.get(f.kind) ?? 0) + 1);
    console.log(
      `stream: seed=${storm.options.seed}, ${storm.options.days} days, faults ${[...kinds].map(([k, n]) => `${n} ${k}`).join(', ')}, ` +
        `${storm.episodes.length} alert episodes of ${distinctAlerts} distinct alerts, ${events.length} events (generated in ${generatedMs.toFixed(0)} ms)`,
    );
  }
  for (const run of runs) {
    console.log(
      `${run.name}: ${events.length} events ingested and correlated in ${(run.ingestMs / 1000).toFixed(1)} s ` +
        `(${Math.round(events.length / (run.ingestMs / 1000))} alert events/s, batches of ${BATCH})` +
        (run.unattached > 0 ? `; ${run.unattached} episodes never attached` : ''),
    );
  }
  const table = [header, ...runs.map((r) => line(r.name, r.score)), ...baselines.map(([name, s]) => line(name, s))];
  const widths = header.map((_, c) => Math.max(...table.map((r) => (r[c] as string).length)));
  for (const row of table) console.log(row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c] as number) : cell.padStart(widths[c] as number))).join('  '));
  const met = headline.score.f1 >= 0.85 && headline.score.f1 >= bestBaseline + 0.1;
  console.log(`target: F1 >= 0.85 and >= ${(bestBaseline + 0.1).toFixed(3)} (best baseline + 0.1): ${met ? 'met' : 'NOT met'}`);
  console.log('');
  const figures = `f1=${headline.score.f1.toFixed(3)} baseline_best_f1=${bestBaseline.toFixed(3)} compression=${headline.score.compression.toFixed(1)}`;
  summaries.push(`bench correlation ${profile}: ${figures}`);
  if (profile === 'default') defaultSummary = `bench correlation: ${figures}`;
}
console.log(`total ${((performance.now() - started) / 1000).toFixed(1)} s`);
for (const s of summaries) console.log(s);
if (defaultSummary) console.log(defaultSummary);
