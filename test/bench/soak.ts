/**
 * `npm run soak [-- --duration 10m --rate 1000 --agents 50 --reads 10]`: a soak run against
 * a live server (the built CLI, SQLite in a temp dir). Alerts arrive at a steady rate in
 * Prometheus's shape (API v2, batches of 10, firing and resolving across a pool of series),
 * agents send heartbeats and OTLP metrics, and readers poll what the UI shows. Prints RSS,
 * latency (p50/p99) per kind at the start and the end, the correlator backlog, and every
 * error seen. Exit status 1 if the server died, any request failed, or the run fell behind
 * (requests not sent because too many were still waiting).
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parseDuration } from '../../server/src/domain/duration.js';
import { startSightline, stopAllProcesses, type SightlineProcess } from '../helpers/processes.js';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '10m' },
    rate: { type: 'string', default: '1000' },
    agents: { type: 'string', default: '50' },
    reads: { type: 'string', default: '10' },
    series: { type: 'string', default: '5000' },
    /** Directory for a V8 CPU profile of the server (node --cpu-prof). */
    profile: { type: 'string' },
  },
});
const durationMs = parseDuration(values.duration) ?? NaN;
const rate = Number(values.rate);
const agents = Number(values.agents);
const readsPerSecond = Number(values.reads);
const seriesCount = Number(values.series);
if (!(durationMs >= 5_000) || !(rate > 0) || !(agents >= 0) || !(readsPerSecond >= 0) || !(seriesCount > 0)) {
  process.stderr.write('usage: npm run soak -- [--duration 10m] [--rate 1000 alerts/s] [--agents 50] [--reads 10 per s] [--series 5000]\n');
  process.exit(2);
}

const BATCH = 10;
/** Rounds between a series' resolutions: each round, one series in this many resolves. */
const EPISODE = 200;
const TICK_MS = 100;
const HEARTBEAT_EVERY_MS = 10_000;
const OTLP_EVERY_MS = 60_000;
const MAX_IN_FLIGHT = 256;
/** The start and end windows compared: a minute, or a quarter of a short run. */
const WINDOW_MS = Math.min(60_000, durationMs / 4);

type Kind = 'ingest' | 'heartbeat' | 'otlp' | 'read';
interface Sample {
  at: number;
  kind: Kind;
  path: string;
  ms: number;
}
const samples: Sample[] = [];
const errors = new Map<string, number>();
/** VmRSS, and its parts: anonymous (heap, buffers) and file-backed (the mmapped SQLite file, code). */
const rss: { at: number; mb: number; anonMb: number; fileMb: number }[] = [];
let inFlight = 0;
let skipped = 0;
let alertsSent = 0;

const noteError = (what: string) => errors.set(what, (errors.get(what) ?? 0) + 1);

function memoryMb(pid: number): { mb: number; anonMb: number; fileMb: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1] ?? NaN) / 1024;
  return { mb: field('VmRSS'), anonMb: field('RssAnon'), fileMb: field('RssFile') + field('RssShmem') };
}

async function timed(kind: Kind, started: number, url: string, init: RequestInit): Promise<Response | null> {
  if (inFlight >= MAX_IN_FLIGHT) {
    skipped++;
    return null;
  }
  inFlight++;
  const t0 = performance.now();
  try {
    const res = await fetch(url, { ...init, signal: AbortSignal.timeout(30_000) });
    await res.arrayBuffer();
    samples.push({ at: Date.now() - started, kind, path: new URL(url).pathname.replace(/\/\d+$/, '/:id'), ms: performance.now() - t0 });
    if (res.status >= 300) noteError(`${kind} ${init.method ?? 'GET'} ${new URL(url).pathname.replace(/\/\d+$/, '/:id')} → ${res.status}`);
    return res;
  } catch (error) {
    noteError(`${kind} ${new URL(url).pathname}: ${(error as Error).name} ${(error as { cause?: { code?: string } }).cause?.code ?? ''}`.trim());
    return null;
  } finally {
    inFlight--;
  }
}

function percentile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] as number;
}

function windowStats(from: number, to: number, kind: Kind) {
  const ms = samples.filter((s) => s.kind === kind && s.at >= from && s.at < to).map((s) => s.ms).sort((a, b) => a - b);
  return { n: ms.length, p50: percentile(ms, 0.5), p99: percentile(ms, 0.99) };
}

async function metricValue(server: SightlineProcess, name: string): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(name));
  return line ? Number(line.split(' ').at(-1)) : NaN;
}

async function main() {
  process.stdout.write(`soak: ${values.duration} at ${rate} alerts/s (API v2 batches of ${BATCH}, ${seriesCount} series), ${agents} agents (heartbeat every ${HEARTBEAT_EVERY_MS / 1000}s, OTLP every ${OTLP_EVERY_MS / 1000}s), ${readsPerSecond} API reads/s\n`);
  const server = await startSightline({ env: { SIGHTLINE_LOG_LEVEL: 'warn' }, nodeArgs: values.profile ? ['--cpu-prof', `--cpu-prof-dir=${values.profile}`] : [] });
  const pid = server.proc.child.pid as number;
  const token = async (name: string, scopes: string[]) => ((await (await server.postJson('/api/v1/tokens', { name, scopes })).json()) as { token: string }).token;
  const ingest = { authorization: `Bearer ${await token('soak-ingest', ['ingest'])}`, 'content-type': 'application/json' };
  const read = { authorization: `Bearer ${await token('soak-read', ['read'])}` };
  process.stdout.write(`server ${server.url} (pid ${pid}), database ${server.databaseFile}\n`);

  const started = Date.now();
  const deadline = started + durationMs;
  let seriesCursor = 0;
  const timers: NodeJS.Timeout[] = [];

  // Alerts: open loop. Each tick sends what is due since the start, so a late tick (a busy
  // machine) catches up instead of lowering the offered rate. As Prometheus does, every series
  // is re-sent each round (a pass over all series) while it fires, with a stable start time;
  // each round one series in EPISODE resolves, and fires again as a new episode next round.
  const roundMs = (seriesCount / rate) * 1000;
  let alertsDue = 0;
  timers.push(
    setInterval(() => {
      const now = Date.now();
      const target = Math.floor((rate * (now - started)) / 1000);
      while (alertsDue < target) {
        const n = Math.min(BATCH, target - alertsDue);
        alertsDue += n;
        const batch = Array.from({ length: n }, () => {
          const i = seriesCursor % seriesCount;
          const round = Math.floor(seriesCursor / seriesCount);
          seriesCursor++;
          const labels = { alertname: `Soak${i % 25}`, service: `svc-${i % 40}`, instance: `host-${i % 200}:9100`, severity: i % 7 === 0 ? 'critical' : 'warning', series: String(i) };
          const phase = (i + round) % EPISODE;
          const resolved = phase === 0;
          const episodeStart = started + (round - (resolved ? EPISODE : phase) + 1) * roundMs;
          return {
            labels,
            annotations: { summary: `soak series ${i}` },
            startsAt: new Date(episodeStart).toISOString(),
            endsAt: new Date(resolved ? now - 1000 : now + 4 * roundMs).toISOString(),
          };
        });
        if (inFlight < MAX_IN_FLIGHT) alertsSent += n;
        void timed('ingest', started, `${server.url}/api/v2/alerts`, { method: 'POST', headers: ingest, body: JSON.stringify(batch) });
      }
    }, TICK_MS),
  );

  // Agents: heartbeats spread evenly over the interval, OTLP once a minute each.
  const agentIds = Array.from({ length: agents }, (_, i) => `soak-agent-${i}`);
  let agentTurn = 0;
  if (agents > 0) {
    timers.push(
      setInterval(() => {
        const i = agentTurn++ % agents;
        const host = `host-${i}`;
        const hb = { agentId: agentIds[i], host, version: '0.1.0', sentAt: new Date().toISOString(), intervalSeconds: HEARTBEAT_EVERY_MS / 1000, sampleIntervalSeconds: 15, inventory: null, checks: [{ name: 'web', type: 'http', target: 'http://127.0.0.1/', success: true }], firingAlerts: 0 };
        void timed('heartbeat', started, `${server.url}/api/v1/agents/heartbeat`, { method: 'POST', headers: ingest, body: JSON.stringify(hb) });
        // Every agent's sixth heartbeat comes with its OTLP push.
        if (Math.floor((agentTurn - 1) / agents) % (OTLP_EVERY_MS / HEARTBEAT_EVERY_MS) === 0) {
          const nanos = String(BigInt(Date.now()) * 1_000_000n);
          const used = 500 + ((Date.now() / 1000) % 100);
          const otlp = {
            resourceMetrics: [
              {
                resource: { attributes: [{ key: 'host.name', value: { stringValue: host } }] },
                scopeMetrics: [
                  {
                    metrics: [
                      { name: 'system.filesystem.usage', sum: { aggregationTemporality: 2, dataPoints: [
                        { attributes: [{ key: 'system.filesystem.mountpoint', value: { stringValue: '/' } }, { key: 'system.filesystem.state', value: { stringValue: 'used' } }], timeUnixNano: nanos, asInt: String(Math.round(used)) },
                        { attributes: [{ key: 'system.filesystem.mountpoint', value: { stringValue: '/' } }, { key: 'system.filesystem.state', value: { stringValue: 'free' } }], timeUnixNano: nanos, asInt: String(Math.round(1000 - used)) },
                      ] } },
                      { name: 'system.memory.utilization', gauge: { dataPoints: [{ attributes: [{ key: 'system.memory.state', value: { stringValue: 'used' } }], timeUnixNano: nanos, asDouble: 0.5 }] } },
                    ],
                  },
                ],
              },
            ],
          };
          void timed('otlp', started, `${server.url}/v1/metrics`, { method: 'POST', headers: ingest, body: JSON.stringify(otlp) });
        }
      }, HEARTBEAT_EVERY_MS / agents),
    );
  }

  // Readers: what the UI and API users look at.
  let readTurn = 0;
  if (readsPerSecond > 0) {
    timers.push(
      setInterval(() => {
        const turn = readTurn++;
        const paths = ['/api/v1/incidents?status=open&limit=50', '/api/v1/stats?since=1h', '/api/v1/agents', '/api/v1/incidents?limit=20', '/api/v1/sla', '/api/v1/capacity', '/api/v1/alerts?status=firing&limit=100'];
        const path = paths[turn % paths.length] as string;
        void timed('read', started, `${server.url}${path}`, { headers: read }).then(async (res) => {
          // Open the first incident of a list, as a user would.
          if (res?.status === 200 && path.startsWith('/api/v1/incidents') && turn % 3 === 0) {
            const list = (await (await fetch(`${server.url}${path}`, { headers: read })).json()) as { items: { id: number }[] };
            if (list.items[0]) await timed('read', started, `${server.url}/api/v1/incidents/${list.items[0].id}`, { headers: read });
          }
        });
      }, 1000 / readsPerSecond),
    );
  }

  // RSS every second; progress every 10 s.
  let lastReport = started;
  await new Promise<void>((resolve) => {
    const sampler = setInterval(() => {
      const now = Date.now();
      if (!server.proc.running) {
        noteError('server process exited');
        clearInterval(sampler);
        resolve();
        return;
      }
      rss.push({ at: now - started, ...memoryMb(pid) });
      if (now - lastReport >= 10_000) {
        lastReport = now;
        const recent = windowStats(now - started - 10_000, now - started, 'ingest');
        process.stderr.write(`  ${((now - started) / 1000).toFixed(0)}s: ${alertsSent} alerts sent, ingest p99 ${recent.p99.toFixed(1)} ms, RSS ${rss.at(-1)?.mb.toFixed(0)} MB, in flight ${inFlight}, errors ${[...errors.values()].reduce((a, b) => a + b, 0)}\n`);
      }
      if (now >= deadline) {
        clearInterval(sampler);
        resolve();
      }
    }, 1000);
  });
  for (const t of timers) clearInterval(t);
  const waitStart = Date.now();
  while (inFlight > 0 && Date.now() - waitStart < 30_000) await new Promise((r) => setTimeout(r, 100));
  const elapsed = Date.now() - started;

  const lines: string[] = [];
  const fmt = (x: number) => (Number.isNaN(x) ? '-' : x.toFixed(1));
  const startWindow = rss.filter((r) => r.at < WINDOW_MS);
  const endWindow = rss.filter((r) => r.at >= elapsed - WINDOW_MS);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  const memory = (w: typeof rss) => `${mean(w.map((r) => r.mb)).toFixed(0)} MB (anon ${mean(w.map((r) => r.anonMb)).toFixed(0)}, file ${mean(w.map((r) => r.fileMb)).toFixed(0)})`;
  lines.push(`ran ${(elapsed / 1000).toFixed(0)} s; ${alertsSent} of ${alertsDue} due alerts sent (${(alertsSent / (elapsed / 1000)).toFixed(0)}/s), ${samples.length} requests answered, ${skipped} requests skipped (over ${MAX_IN_FLIGHT} in flight)`);
  lines.push(`window          kind        requests   p50 ms   p99 ms`);
  for (const [label, from, to] of [[`start (first ${WINDOW_MS / 1000}s)`, 0, WINDOW_MS], [`end (last ${WINDOW_MS / 1000}s)`, elapsed - WINDOW_MS, elapsed + 1]] as const) {
    for (const kind of ['ingest', 'heartbeat', 'otlp', 'read'] as Kind[]) {
      const s = windowStats(from, to, kind);
      lines.push(`${label.padEnd(22)} ${kind.padEnd(10)} ${String(s.n).padStart(8)} ${fmt(s.p50).padStart(8)} ${fmt(s.p99).padStart(8)}`);
    }
  }
  const readPaths = [...new Set(samples.filter((x) => x.kind === 'read').map((x) => x.path))].sort();
  lines.push(`reads over the whole run: ${readPaths.map((p) => {
    const ms = samples.filter((x) => x.kind === 'read' && x.path === p).map((x) => x.ms).sort((a, b) => a - b);
    return `${p} p50 ${fmt(percentile(ms, 0.5))} / p99 ${fmt(percentile(ms, 0.99))} ms`;
  }).join('; ')}`);
  lines.push(`RSS: start ${memory(startWindow)}, end ${memory(endWindow)} (means of the windows), max ${Math.max(...rss.map((r) => r.mb)).toFixed(0)} MB; file-backed pages are mostly the mmapped SQLite file (mmap_size 256 MiB)`);
  if (server.proc.running) {
    lines.push(`correlator backlog at the end: ${await metricValue(server, 'sightline_correlator_pending_events')} events; open incidents: ${await metricValue(server, 'sightline_incidents_open')}`);
    lines.push(`stats: ${JSON.stringify(await server.getJson('/api/v1/stats?since=1d')).slice(0, 400)}`);
  }
  // Requests not sent because 256 were still waiting: the server fell behind the offered load.
  if (skipped > 0) errors.set(`requests not sent: ${MAX_IN_FLIGHT} already in flight (the server fell behind)`, skipped);
  const errorTotal = [...errors.values()].reduce((a, b) => a + b, 0);
  lines.push(`errors: ${errorTotal}${errorTotal ? '' : ' (none)'}`);
  for (const [what, n] of [...errors].sort((a, b) => b[1] - a[1])) lines.push(`  ${n} × ${what}`);
  const died = !server.proc.running;
  if (died) lines.push(`the server process exited:\n${server.proc.output().slice(-3000)}`);
  const alive = !died && (await fetch(`${server.url}/readyz`).then((r) => r.status === 200).catch(() => false));
  lines.push(`soak: ${alive && errorTotal === 0 ? 'ok' : 'FAILED'}`);
  process.stdout.write(`${lines.join('\n')}\n`);
  process.exitCode = alive && errorTotal === 0 ? 0 : 1;
}

try {
  await main();
} finally {
  await stopAllProcesses();
}
