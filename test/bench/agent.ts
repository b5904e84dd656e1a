/**
 * Agent cost beside node_exporter, all as real processes on this machine in the same run: the
 * built agent bare (`node dist/agent/src/cli.js`, no server, no checks, default rules), the built
 * agent as deployed (a server to report to, OTLP pushes to it, and four checks: HTTP, HTTP
 * HTTP with a body match, TCP and process, on their default intervals), and Debian's
 * `prometheus-node-exporter`, each scraped once per cycle (default every 15 s for 180 s, as a
 * Prometheus would) with Prometheus's own Accept and Accept-Encoding headers. The "server" is a
 * minimal receiver in this process that answers every POST with 200 (heartbeats, alerts, OTLP)
 * and serves the checks' target; its cost is not the agent's.
 *
 * Per process: CPU seconds per cycle (utime+stime from /proc/<pid>/stat, over the whole window, so
 * the agent's own sampler tick is included; schedstat_s is the same in nanoseconds), RSS (VmRSS from /proc/<pid>/status: the largest seen
 * at a cycle boundary after warm-up, and the last), scrape latency p50/p99 (request sent to last
 * body byte; with 12 scrapes p99 is the slowest one).
 *
 * Forks: /proc/stat `processes` counts every clone on the host (threads too, any process), so it
 * cannot be pinned on one program; it is shown as an upper bound. The agent's own forks are
 * counted exactly by a preload (test/bench/count-spawns.mjs, `node --import`) that records every
 * child_process entry point in the agent process; `forks_per_cycle` on the last line is that
 * count, and the agent's thread count (threads also increment `processes`) is shown beside it.
 *
 * cpu_ratio = bare agent CPU seconds per cycle / node_exporter CPU seconds per scrape;
 * full_cpu_ratio the same for the deployed agent. rss_mb and full_rss_mb are the largest RSS seen.
 * Extra flags for both agents' node (V8 flags, for comparisons): BENCH_AGENT_NODE_FLAGS.
 *
 * Env: BENCH_AGENT_SECONDS (default 180), BENCH_AGENT_INTERVAL (seconds, default 15),
 *      BENCH_NODE_EXPORTER (default prometheus-node-exporter).
 * Run: npm run bench:agent
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const seconds = Number(process.env.BENCH_AGENT_SECONDS ?? 180);
const intervalS = Number(process.env.BENCH_AGENT_INTERVAL ?? 15);
const nodeExporterBin = process.env.BENCH_NODE_EXPORTER ?? 'prometheus-node-exporter';
const cycles = Math.max(1, Math.floor(seconds / intervalS));
const CLK_TCK = 100; // USER_HZ on Linux; /proc/<pid>/stat reports CPU time in these ticks
// What Prometheus 2.42 sends on every scrape.
const SCRAPE_HEADERS = {
  accept: 'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1',
  'accept-encoding': 'gzip',
  'user-agent': 'sightline-bench',
};

const agentEntry = path.join(root, 'dist/agent/src/cli.js');
if (!existsSync(agentEntry)) throw new Error(`${agentEntry} is missing: run npm run build first`);

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** CPU seconds (user+system) of one process. Fields after the parenthesised comm; utime is field 14. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

/** On-CPU nanoseconds summed over the process's threads (/proc/<pid>/task/<tid>/schedstat): a
 * nanosecond cross-check of the 10 ms ticks above, shown beside them. */
function cpuSecondsPrecise(pid: number): number {
  let ns = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // thread exited between the listing and the read
    }
  }
  return ns / 1e9;
}

function statusField(pid: number, field: string): number {
  const match = new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) : NaN;
}

const rssMb = (pid: number) => statusField(pid, 'VmRSS') / 1024;
const hostForks = () => Number(/^processes (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1]);

/** GET url; resolves with milliseconds to the last body byte and the body size as sent. */
function scrape(url: string): Promise<{ ms: number; bytes: number; status: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = http.get(url, { headers: SCRAPE_HEADERS, agent: false }, (res) => {
      let bytes = 0;
      res.on('data', (chunk: Buffer) => (bytes += chunk.length));
      res.on('end', () => resolve({ ms: performance.now() - t0, bytes, status: res.statusCode ?? 0 }));
      res.on('error', reject);
    });
    req.setTimeout(10_000, () => req.destroy(new Error(`scrape of ${url} timed out`)));
    req.on('error', reject);
  });
}

async function waitReady(url: string, child: ChildProcess, name: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}`);
    try {
      if ((await scrape(url)).status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${name} did not serve ${url} within 20 s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}

const stopChild = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });

const dir = mkdtempSync(path.join(tmpdir(), 'sightline-agent-bench-'));
const [agentPort, fullPort, nePort] = [await freePort(), await freePort(), await freePort()];

// The minimal receiver: 200 to every POST (counted), and the target of the HTTP and TCP checks.
const received = { posts: 0, bytes: 0 };
const receiver = http.createServer((req, res) => {
  let bytes = 0;
  req.on('data', (c: Buffer) => (bytes += c.length));
  req.on('end', () => {
    if (req.method === 'POST') {
      received.posts += 1;
      received.bytes += bytes;
    }
    res.writeHead(200, { 'content-type': req.method === 'POST' ? 'application/json' : 'text/plain' }).end(req.method === 'POST' ? '{}' : 'ok\n');
  });
});
await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
const receiverUrl = `http://127.0.0.1:${(receiver.address() as net.AddressInfo).port}`;

const agentConfig = (port: number, queue: string, extra: string[] = []) =>
  [`listen: 127.0.0.1:${port}`, `interval: ${Math.round(intervalS * 1000)}ms`, 'logLevel: warn', `queue: { dir: ${JSON.stringify(path.join(dir, queue))} }`, ...extra, ''].join('\n');
writeFileSync(path.join(dir, 'agent.yaml'), agentConfig(agentPort, 'queue'));
writeFileSync(
  path.join(dir, 'agent-full.yaml'),
  agentConfig(fullPort, 'queue-full', [
    `server: { url: ${JSON.stringify(receiverUrl)}, token: bench-token }`,
    'checks:',
    `  - { name: web, type: http, url: ${JSON.stringify(`${receiverUrl}/health`)} }`,
    `  - { name: web-body, type: http, url: ${JSON.stringify(`${receiverUrl}/status`)}, bodyRegex: "^ok" }`,
    `  - { name: port, type: tcp, target: ${JSON.stringify(receiverUrl.replace('http://', ''))} }`,
    '  - { name: init, type: process, cmdlineRegex: "^(/sbin/init|/lib/systemd/systemd|node)" }',
  ]),
);
// No SIGHTLINE_AGENT_* from the caller's environment: the bench measures these configurations only.
const agentEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('SIGHTLINE_AGENT_')));
const nodeFlags = (process.env.BENCH_AGENT_NODE_FLAGS ?? '').split(/\s+/).filter(Boolean);
const startAgent = (config: string, spawnLog: string) => {
  writeFileSync(spawnLog, '');
  return spawn(process.execPath, [...nodeFlags, '--import', path.join(root, 'test/bench/count-spawns.mjs'), agentEntry, '--config', path.join(dir, config)], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...agentEnv, SIGHTLINE_BENCH_SPAWN_LOG: spawnLog },
  });
};
const spawnLog = path.join(dir, 'spawns.log');
const fullSpawnLog = path.join(dir, 'spawns-full.log');
const agent = startAgent('agent.yaml', spawnLog);
const fullAgent = startAgent('agent-full.yaml', fullSpawnLog);
// node_exporter as Debian ships it (default collectors); its log (it warns about running as root and
// about collectors with nothing to read in a container) is kept out of the report.
const nodeExporter = spawn(nodeExporterBin, [`--web.listen-address=127.0.0.1:${nePort}`, '--log.level=error'], { stdio: ['ignore', 'ignore', 'ignore'] });
const children = [agent, fullAgent, nodeExporter];
const cleanup = async () => {
  await Promise.all(children.map(stopChild));
  receiver.closeAllConnections();
  receiver.close();
  rmSync(dir, { recursive: true, force: true });
};
process.once('SIGINT', () => void cleanup().then(() => process.exit(130)));

try {
  const targets = [
    { name: 'agent (bare)', pid: agent.pid as number, url: `http://127.0.0.1:${agentPort}/metrics`, latencies: [] as number[], rss: [] as number[], bytes: 0 },
    { name: 'agent (full)', pid: fullAgent.pid as number, url: `http://127.0.0.1:${fullPort}/metrics`, latencies: [] as number[], rss: [] as number[], bytes: 0 },
    { name: 'node_exporter', pid: nodeExporter.pid as number, url: `http://127.0.0.1:${nePort}/metrics`, latencies: [] as number[], rss: [] as number[], bytes: 0 },
  ];
  await Promise.all([waitReady(targets[0]!.url, agent, 'agent'), waitReady(targets[1]!.url, fullAgent, 'full agent'), waitReady(targets[2]!.url, nodeExporter, 'node_exporter')]);
  const spawnCount = (log: string) => readFileSync(log, 'utf8').split('\n').filter(Boolean).length;
  process.stdout.write(`bench agent: ${cycles} cycles of ${intervalS} s (agent pids ${agent.pid} bare, ${fullAgent.pid} full; node_exporter pid ${nodeExporter.pid})${nodeFlags.length ? `, node flags ${nodeFlags.join(' ')}` : ''}; warming up\n`);
  // Warm-up: one scrape and one sampler interval, and the full agent's first heartbeat and OTLP
  // push (inventory at start-up forks lsblk and the like once; that is start-up, not a cycle).
  for (const t of targets) await scrape(t.url);
  const warmEnd = Date.now() + 60_000;
  while (received.posts < 2 && Date.now() < warmEnd) await new Promise((r) => setTimeout(r, 200));
  await new Promise((r) => setTimeout(r, intervalS * 1000));

  const cpu0 = targets.map((t) => cpuSeconds(t.pid));
  const precise0 = targets.map((t) => cpuSecondsPrecise(t.pid));
  const forks0 = hostForks();
  const spawns0 = [spawnCount(spawnLog), spawnCount(fullSpawnLog)];
  const posts0 = received.posts;
  const threads0 = statusField(agent.pid as number, 'Threads');
  const start = performance.now();
  for (let i = 0; i < cycles; i++) {
    // Scrapes one after the other so no process competes with another for the CPU.
    for (const t of targets) {
      const r = await scrape(t.url);
      if (r.status !== 200) throw new Error(`${t.name} answered ${r.status}`);
      t.latencies.push(r.ms);
      t.bytes += r.bytes;
      t.rss.push(rssMb(t.pid));
    }
    const wait = start + (i + 1) * intervalS * 1000 - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
  const cpu = targets.map((t, i) => (cpuSeconds(t.pid) - (cpu0[i] as number)) / cycles);
  const precise = targets.map((t, i) => (cpuSecondsPrecise(t.pid) - (precise0[i] as number)) / cycles);
  const hostForksPerCycle = (hostForks() - forks0) / cycles;
  const agentForksPerCycle = (spawnCount(spawnLog) - (spawns0[0] as number)) / cycles;
  const fullForksPerCycle = (spawnCount(fullSpawnLog) - (spawns0[1] as number)) / cycles;
  const threads1 = statusField(agent.pid as number, 'Threads');

  const row = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(16) : c.padStart(12))).join(' ');
  const lines = [
    row(['', 'cpu_s/cycle', 'schedstat_s', 'rss_mb max', 'rss_mb last', 'p50 ms', 'p99 ms', 'bytes/scrape']),
    ...targets.map((t, i) =>
      row([
        t.name,
        (cpu[i] as number).toFixed(4),
        (precise[i] as number).toFixed(4),
        Math.max(...t.rss).toFixed(1),
        (t.rss.at(-1) as number).toFixed(1),
        percentile(t.latencies, 50).toFixed(1),
        percentile(t.latencies, 99).toFixed(1),
        String(Math.round(t.bytes / cycles)),
      ]),
    ),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  process.stdout.write(
    `forks per cycle: agents ${agentForksPerCycle} bare, ${fullForksPerCycle} full (child processes they started); host ${hostForksPerCycle.toFixed(2)} (/proc/stat processes, every process and thread on the machine); bare agent threads ${threads0} -> ${threads1}\n`,
  );
  process.stdout.write(`full agent delivered ${received.posts - posts0} POSTs during the run (${received.posts} in all, ${Math.round(received.bytes / 1024)} KiB)\n`);
  const ratio = (i: number) => {
    const r = (cpu[i] as number) / (cpu[2] as number);
    return Number.isFinite(r) ? r.toFixed(2) : 'inf';
  };
  const maxRss = (i: number) => Math.round(Math.max(...targets[i]!.rss));
  process.stdout.write(
    `bench agent: forks_per_cycle=${Math.max(agentForksPerCycle, fullForksPerCycle)} cpu_ratio=${ratio(0)} rss_mb=${maxRss(0)} full_cpu_ratio=${ratio(1)} full_rss_mb=${maxRss(1)}\n`,
  );
} finally {
  await cleanup();
}
