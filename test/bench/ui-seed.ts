/**
 * Fills a data directory for `npm run bench:ui` when no other data is at hand: the seeded
 * correlation storm (45 services with dependencies, cascading and recurring faults, noise)
 * over the last N days through the real ingest API and correlator, SLA policies on the tier
 * 1 and 2 services, problem candidates, hourly filesystem and memory utilisation of every host over the same
 * days, and one heartbeat per host.
 *
 * Usage: node --import tsx test/bench/ui-seed.ts --data-dir /tmp/ui-bench [--days 14]
 * then:  SIGHTLINE_DATA_DIR=/tmp/ui-bench npm run bench:ui -- --config /tmp/ui-bench/sightline.yaml
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { stringify } from 'yaml';
import { loadConfig } from '../../server/src/config.js';
import { createRuntime } from '../../server/src/main.js';
import { ManualClock } from '../../server/src/services/clock.js';
import { actOnCandidate, listProblemCandidates, problemOptionsOf, refreshProblemCandidates } from '../../server/src/services/problems.js';
import { createToken } from '../../server/src/services/tokens.js';
import { generateStorm, stormEvents } from './storm/generate.js';
import { catalogueOf } from './storm/topology.js';

function option(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const GB = 1e9;
const dataDir = path.resolve(option('data-dir') ?? 'data');
const days = Number(option('days') ?? 14);
const now = Date.now();
const start = Math.floor(now / DAY) * DAY - days * DAY;

mkdirSync(dataDir, { recursive: true });
const storm = generateStorm({ seed: 20_261_121, days, services: 45, faultsPerDay: 40, noisePerDay: 100, start });
const services = catalogueOf(storm.topology).services.map((s) => (s.tier <= 2 ? { ...s, sla: { objective: s.tier === 1 ? '99.9' : '99.5', period: 'month', timeZone: 'UTC' } } : s));
const configFile = path.join(dataDir, 'sightline.yaml');
writeFileSync(configFile, stringify({ services }, { lineWidth: 0 }));

const loaded = loadConfig({ file: configFile, env: { SIGHTLINE_DATA_DIR: dataDir } });
if (!loaded.ok) throw new Error(loaded.problems.join('\n'));
const clock = new ManualClock(start);
const runtime = await createRuntime(loaded.config, { clock, log: pino({ level: 'warn' }), defaultMetrics: false });
const created = await createToken(runtime.handle.db, clock, { name: `ui-seed-${now}`, scopes: ['ingest'] });
if (!created.ok) throw new Error(created.error.message);
const post = async (url: string, body: unknown) => {
  const res = await runtime.app.request(url, { method: 'POST', headers: { authorization: `Bearer ${created.value.token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`${url}: ${res.status} ${await res.text()}`);
};
const iso = (ms: number) => new Date(ms).toISOString();

const events = stormEvents(storm).filter((e) => e.at <= now);
for (let i = 0; i < events.length; i += 200) {
  const batch = events.slice(i, i + 200);
  clock.set((batch[batch.length - 1]?.at ?? start) + 1000);
  await post('/api/v1/alerts', {
    alerts: batch.map(({ status, episode }) => ({ labels: episode.labels, annotations: episode.annotations, status, startsAt: iso(episode.startsAt), ...(status === 'resolved' ? { endsAt: iso(episode.endsAt) } : {}) })),
  });
  await runtime.correlator.drain();
}
clock.set(now);
await runtime.correlator.drain();

const str = (key: string, v: string) => ({ key, value: { stringValue: v } });
const ns = (ms: number) => `${BigInt(ms) * 1_000_000n}`;
const int = (t: number, v: number, attributes: unknown[] = []) => ({ timeUnixNano: ns(t), asInt: String(Math.round(v)), attributes });
const hosts = [...new Set(storm.topology.services.flatMap((s) => s.hosts.map((h) => h.address)))].sort();
for (const [n, host] of hosts.entries()) {
  // Each host's /var fills at its own pace; some are flat.
  const perDay = ((n * 7) % 11) * 0.4 * GB;
  for (let day = 0; day < days; day++) {
    const times = Array.from({ length: 24 }, (_, h) => start + day * DAY + h * HOUR).filter((t) => t <= now);
    if (times.length === 0) continue;
    const attrs = [str('system.device', '/dev/sda1'), str('system.filesystem.mountpoint', '/var'), str('system.filesystem.type', 'ext4')];
    const used = (t: number) => 20 * GB + ((t - start) / DAY) * perDay + (((t / HOUR) % 24) / 24) * 2 * GB;
    const mem = (t: number) => (4 + (n % 5) + Math.sin(t / (6 * HOUR))) * GB;
    clock.set(times[times.length - 1] as number);
    await post('/v1/metrics', {
      resourceMetrics: [
        {
          resource: { attributes: [str('host.name', host)] },
          scopeMetrics: [
            {
              scope: { name: 'sightline-agent' },
              metrics: [
                { name: 'system.memory.limit', unit: 'By', sum: { aggregationTemporality: 2, dataPoints: times.map((t) => int(t, 16 * GB)) } },
                { name: 'system.memory.usage', unit: 'By', sum: { aggregationTemporality: 2, dataPoints: times.flatMap((t) => [int(t, mem(t), [str('system.memory.state', 'used')]), int(t, 16 * GB - mem(t), [str('system.memory.state', 'free')])]) } },
                {
                  name: 'system.filesystem.usage',
                  unit: 'By',
                  sum: {
                    aggregationTemporality: 2,
                    dataPoints: times.flatMap((t) => [
                      int(t, Math.min(used(t), 94 * GB), [...attrs, str('system.filesystem.state', 'used')]),
                      int(t, 95 * GB - Math.min(used(t), 94 * GB), [...attrs, str('system.filesystem.state', 'free')]),
                      int(t, 5 * GB, [...attrs, str('system.filesystem.state', 'reserved')]),
                    ]),
                  },
                },
              ],
            },
          ],
        },
      ],
    });
  }
}
clock.set(now);
for (const host of hosts) {
  await post('/api/v1/agents/heartbeat', {
    agentId: `agent-${host}`,
    host,
    version: '0.1.0',
    sentAt: iso(now),
    intervalSeconds: 30,
    sampleIntervalSeconds: 15,
    inventory: { collectedAt: iso(now), os: { platform: 'linux', distro: 'Debian', release: '12', kernel: '6.1', arch: 'x64' }, cpu: { model: 'Virtual CPU', logicalCores: 4 }, memoryBytes: 16 * GB },
    checks: [],
    firingAlerts: 0,
  });
}
const refreshed = await refreshProblemCandidates({ handle: runtime.handle, clock, log: runtime.log, options: problemOptionsOf(runtime.config.problems) });
// The most frequent candidate becomes a problem, so the problem pages have one to show.
const [top] = await listProblemCandidates(runtime, {});
if (top) await actOnCandidate({ handle: runtime.handle, clock }, top.id, 'promote', 'ui-seed', {});
const incidents = await runtime.handle.db.selectFrom('incidents').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
const alerts = await runtime.handle.db.selectFrom('alerts').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
await runtime.close();
console.log(`ui seed: ${dataDir}: ${days} days, ${services.length} services, ${hosts.length} hosts, ${events.length} alert events, ${Number(alerts.n)} alerts, ${Number(incidents.n)} incidents, ${refreshed.candidates} problem candidates; config ${configFile}`);
