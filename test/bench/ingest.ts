/**
 * Ingest benchmark: Sightline (built server, SQLite, correlator running) against a real
 * Alertmanager 0.25 on the same machine, with the same load in the same run: batches
 * of Alertmanager-API-v2 alerts (what Prometheus sends) over many connections, every
 * request with its own label sets so the servers store new alerts rather than dedup.
 *
 *   npm run bench:ingest
 *
 * Settings (env): BENCH_DURATION seconds per server (15), BENCH_CONNECTIONS (32),
 * BENCH_BATCH alerts per request (10), BENCH_WARMUP seconds (2), BENCH_DRAIN_TIMEOUT
 * seconds to wait for the correlator afterwards (60), BENCH_PROFILE=1 to record a CPU
 * profile of Sightline and print its hotspots, BENCH_COMPARE_THREAD=1 to also run Sightline
 * with storing and correlating on its main thread, BENCH_COMPARE_LAYERS=0 to skip the second
 * Sightline run with the topology and similarity layers off.
 *
 * The last line is machine-readable:
 *   bench ingest: sightline=<alerts>/s alertmanager=<alerts>/s ratio=<sightline/alertmanager>
 * and the line before it compares the work per alert (CPU time of each server process per
 * acknowledged alert; Sightline's until its correlator has drained), which the load of
 * other processes on a shared machine moves far less than throughput:
 *   cpu per alert: sightline=<ms> (correlation included) alertmanager=<ms> efficiency=<alertmanager/sightline>
 * Each Sightline run also says how many alerts per second its correlator applied while the load
 * ran, next to the acknowledged rate: the difference is the backlog it drains afterwards.
 *
 * PostgreSQL mode (`npm run bench:ingest -- --postgres`, or BENCH_POSTGRES=1): a throw-away
 * PostgreSQL on a loopback port, then the same load against one replica and against two
 * replicas sharing one database (connections split between them, as a load balancer
 * would), each on a fresh database, in the same run. Last line:
 *   bench ingest postgres: one=<alerts>/s two=<alerts>/s ratio=<two/one> correlated_one=<f> correlated_two=<f>
 * where `correlated_*` is the share of the alerts acknowledged during the measured load that
 * the leader had already correlated when the load stopped (1 − backlog / acknowledged).
 */
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import autocannon, { type AutocannonRequest, type Result } from 'autocannon';
import Database from 'better-sqlite3';
import pg from 'pg';
import { createTestDatabase, startPostgres, type PostgresServer } from '../helpers/postgres.js';
import { startAlertmanager, startSightline, stopAllProcesses, waitFor, type SightlineProcess } from '../helpers/processes.js';

function setting(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, got ${JSON.stringify(raw)}`);
  return value;
}

const DURATION = setting('BENCH_DURATION', 15);
const CONNECTIONS = setting('BENCH_CONNECTIONS', 32);
const BATCH = setting('BENCH_BATCH', 10);
const WARMUP = setting('BENCH_WARMUP', 2);
const DRAIN_TIMEOUT = setting('BENCH_DRAIN_TIMEOUT', 60);
const PROFILE = process.env.BENCH_PROFILE === '1';
/** Also measure Sightline with everything on its main thread (`ingest.thread` off): BENCH_COMPARE_THREAD=1. */
const COMPARE_THREAD = process.env.BENCH_COMPARE_THREAD === '1';
/** Also measure Sightline with its topology and similarity layers off (BENCH_COMPARE_LAYERS=0 skips it). */
const COMPARE_LAYERS = process.env.BENCH_COMPARE_LAYERS !== '0';
const POSTGRES = process.argv.includes('--postgres') || process.env.BENCH_POSTGRES === '1';

const SERVICES = ['checkout', 'payments', 'search', 'catalog', 'auth', 'shipping', 'inventory', 'billing'];
const ALERTNAMES = ['HighLatency', 'HighErrorRate', 'DiskWillFillIn4Hours', 'HostHighCpuLoad', 'PodCrashLooping', 'TargetDown', 'HighMemory', 'CertExpiring'];

/**
 * Request `n` as Prometheus would send it: BATCH alerts, all new label sets (the
 * `instance` carries n), a lease of 4 minutes. Services cycle so incidents take many
 * alerts each, as they do in a real alert storm.
 */
function body(n: number): string {
  const now = Date.now();
  const startsAt = new Date(now).toISOString();
  const endsAt = new Date(now + 4 * 60_000).toISOString();
  const alerts = [];
  for (let i = 0; i < BATCH; i++) {
    const alertname = ALERTNAMES[i % ALERTNAMES.length] as string;
    alerts.push({
      labels: { alertname, service: SERVICES[n % SERVICES.length] as string, severity: i % 3 === 0 ? 'critical' : 'warning', instance: `bench-${n}-${i}:9100`, job: 'node' },
      annotations: { summary: `${alertname} on bench-${n}-${i}`, description: 'synthetic alert from the ingest benchmark' },
      startsAt,
      endsAt,
      generatorURL: `http://prometheus.bench:9090/graph?g0.expr=up&g0.tab=1&n=${n}`,
    });
  }
  return JSON.stringify(alerts);
}

interface Load {
  next: number;
  /** Request numbers that got a 2xx: the sender was told these alerts are safe. */
  acked: number[];
}

async function run(url: string, token: string | null, seconds: number, load: Load, title: string, connections = CONNECTIONS): Promise<Result> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const request: AutocannonRequest = {
    method: 'POST',
    path: '/api/v2/alerts',
    headers,
    setupRequest(req, context) {
      const n = load.next++;
      context.n = n;
      return { ...req, body: body(n) };
    },
    onResponse(status, _body, context) {
      if (status >= 200 && status < 300) load.acked.push(context.n as number);
    },
  };
  const cpuBefore = process.cpuUsage();
  const result = await autocannon({ url, title, connections, pipelining: 1, duration: seconds, timeout: 10, requests: [request] });
  const used = process.cpuUsage(cpuBefore);
  loadCpu.set(result, (used.user + used.system) / 1e6);
  return result;
}

/** CPU seconds this process (the load generator) used during each run: on a small machine it competes with the server. */
const loadCpu = new WeakMap<Result, number>();

interface Figures {
  alertsPerSecond: number;
  lines: string[];
  /** CPU time the server process used per acknowledged alert of the measured load (for Sightline: until its correlator was drained). */
  cpuMsPerAlert?: number;
  /** PostgreSQL: the share of the load's acknowledged alerts already correlated when it stopped. */
  correlatedShare?: number;
}

function summarise(name: string, result: Result): Figures {
  const ok = result['2xx'];
  const generator = loadCpu.get(result);
  const alertsPerSecond = (ok * BATCH) / result.duration;
  const codes = Object.entries(result.statusCodeStats)
    .map(([code, { count }]) => `${code}×${count}`)
    .join(' ');
  return {
    alertsPerSecond,
    lines: [
      `${name}: ${Math.round(alertsPerSecond)} alerts/s (${Math.round(ok / result.duration)} req/s of ${BATCH}) over ${result.duration.toFixed(1)} s, ${CONNECTIONS} connections`,
      `  latency ms: p50=${result.latency.p50} p90=${result.latency.p90} p99=${result.latency.p99} max=${result.latency.max}`,
      `  2xx=${ok} non2xx=${result.non2xx} errors=${result.errors} timeouts=${result.timeouts} status: ${codes || 'none'}`,
      ...(generator === undefined ? [] : [`  load generator (this process): ${((generator / result.duration) * 100).toFixed(0)} % of one core`]),
    ],
  };
}

function log(line = ''): void {
  process.stdout.write(`${line}\n`);
}

/** Top self-time functions and modules of a V8 CPU profile. */
function hotspots(file: string, top = 20): string[] {
  interface Node {
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
  }
  const profile = JSON.parse(readFileSync(file, 'utf8')) as { nodes: Node[]; samples: number[]; timeDeltas: number[] };
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const total = [...selfUs.values()].reduce((a, b) => a + b, 0);
  const fns = new Map<string, number>();
  const modules = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const frame = (byId.get(id) as Node).callFrame;
    const where = frame.url.replace(/^file:\/\//, '').replace(`${process.cwd()}/`, '');
    const fn = `${frame.functionName || '(anonymous)'} ${where ? `${where}:${frame.lineNumber + 1}` : ''}`.trim();
    fns.set(fn, (fns.get(fn) ?? 0) + us);
    const module = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(where)?.[1] ?? (where.startsWith('dist/') ? where : where ? (where.startsWith('node:') ? where : 'other') : frame.functionName);
    modules.set(module, (modules.get(module) ?? 0) + us);
  }
  const pct = (us: number) => `${((100 * us) / total).toFixed(1).padStart(5)}%`;
  const sorted = (m: Map<string, number>) => [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, top);
  return [
    `CPU profile ${file} (${(total / 1e6).toFixed(1)} s sampled)`,
    'top self time by function:',
    ...sorted(fns).map(([fn, us]) => `  ${pct(us)}  ${fn}`),
    'top self time by module:',
    ...sorted(modules).map(([m, us]) => `  ${pct(us)}  ${m}`),
  ];
}

async function benchSightline(name = 'sightline', env: Record<string, string> = {}): Promise<Figures> {
  // Kept after the run, to open in Chrome DevTools or speedscope.
  const profileDir = PROFILE ? mkdtempSync(path.join(tmpdir(), 'sightline-bench-profile-')) : null;
  const sightline = await startSightline({
    env: { SIGHTLINE_LOG_LEVEL: 'warn', ...env },
    nodeArgs: profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [],
  });
  const load: Load = { next: 0, acked: [] };
  if (WARMUP > 0) await run(sightline.url, sightline.token, WARMUP, load, 'sightline warm-up');
  const pid = sightline.proc.child.pid ?? 0;
  const db = new Database(sightline.databaseFile, { readonly: true, fileMustExist: true });
  const pending = () => (db.prepare('select count(*) as n from alert_events where id > (select applied_id from correlation_cursor)').get() as { n: number }).n;
  const stored = () => (db.prepare('select count(*) as n from alert_events').get() as { n: number }).n;
  // What the correlator applied while the load ran: does it keep up with what is acknowledged?
  const correlatedBefore = stored() - pending();
  const cpuBefore = cpuSeconds(pid);
  const threadsBefore = threadSeconds(pid);
  const result = await run(sightline.url, sightline.token, DURATION, load, name);
  const cpuLoad = cpuSeconds(pid) - cpuBefore;
  const correlatedDuring = stored() - pending() - correlatedBefore;
  const figures = summarise(name, result);
  figures.lines.push(`  busiest threads during the load: ${busiestThreads(pid, threadsBefore, threadSeconds(pid), result.duration, result['2xx'] * BATCH)}`);
  figures.lines.push(`  correlated during the load: ${Math.round(correlatedDuring / result.duration)} alerts/s (acknowledged: ${Math.round(figures.alertsPerSecond)}/s)`);

  // Requests still in flight when the load stopped are answered a moment later.
  let total = stored();
  await waitFor('in-flight requests to finish', async () => {
    await new Promise((resolve) => setTimeout(resolve, 300));
    const now = stored();
    const settled = now === total;
    total = now;
    return settled;
  });
  const backlog = pending();
  figures.lines.push(`  correlator backlog at end of load: ${backlog} of ${total} stored events not yet correlated`);
  if (backlog > 0) {
    const drainStarted = Date.now();
    let drained = true;
    try {
      await waitFor('the correlator backlog to drain', () => pending() === 0, { timeoutMs: DRAIN_TIMEOUT * 1000, intervalMs: 100 });
    } catch {
      drained = false;
    }
    const drainSeconds = (Date.now() - drainStarted) / 1000;
    figures.lines.push(
      drained
        ? `  correlator drained it in ${drainSeconds.toFixed(1)} s once ingest stopped`
        : `  correlator still had ${pending()} events pending after ${DRAIN_TIMEOUT} s`,
    );
  }
  db.close();
  // The work per alert, correlation included: a figure the load of other processes on a shared machine hardly moves.
  const cpuAll = cpuSeconds(pid) - cpuBefore;
  const measured = Math.max(result['2xx'] * BATCH, 1);
  figures.cpuMsPerAlert = (cpuAll * 1000) / measured;
  figures.lines.push(
    `  CPU: ${cpuLoad.toFixed(1)} s during the load (${((cpuLoad / result.duration) * 100).toFixed(0)} % of one core), ${cpuAll.toFixed(1)} s until correlated: ${figures.cpuMsPerAlert.toFixed(3)} CPU-ms per alert`,
  );
  await sightline.stop();

  // Every alert of every acknowledged request must be in the durable log.
  const check = new Database(sightline.databaseFile, { readonly: true, fileMustExist: true });
  const perRequest = new Map<number, number>();
  for (const row of check.prepare("select json_extract(labels, '$.instance') as instance from alert_events where source = 'prometheus'").iterate() as Iterable<{ instance: string }>) {
    const n = Number(/^bench-(\d+)-/.exec(row.instance)?.[1]);
    perRequest.set(n, (perRequest.get(n) ?? 0) + 1);
  }
  const incidents = check.prepare('select count(*) as n, sum(alert_count) as alerts from incidents').get() as { n: number; alerts: number | null };
  check.close();
  const missing = load.acked.filter((n) => perRequest.get(n) !== BATCH);
  const storedAlerts = [...perRequest.values()].reduce((a, b) => a + b, 0);
  figures.lines.push(
    `  durability: ${load.acked.length * BATCH} alerts acknowledged (warm-up included), ${storedAlerts} stored, ${missing.length} acknowledged requests missing alerts`,
    `  correlated into ${incidents.n} incidents holding ${incidents.alerts ?? 0} alerts`,
    `  database file: ${(statSync(sightline.databaseFile).size / 1e6).toFixed(1)} MB after shutdown, ${Math.round(statSync(sightline.databaseFile).size / Math.max(storedAlerts, 1))} bytes per stored alert`,
  );
  if (missing.length > 0) {
    figures.lines.push(`  LOST: acknowledged requests ${missing.slice(0, 10).join(', ')}${missing.length > 10 ? ', …' : ''} are not fully stored`);
    process.exitCode = 1;
  }
  if (profileDir) {
    figures.lines.push(...profileHotspots(profileDir));
  }
  return figures;
}

/** Hotspots of every thread's profile in `dir` (Node writes one per thread: main, then the ingest thread). */
function profileHotspots(dir: string): string[] {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .sort();
  if (files.length === 0) return [`  no CPU profile was written to ${dir}`];
  return files.flatMap((f, i) => [i === 0 ? 'main thread:' : `thread ${i}:`, ...hotspots(path.join(dir, f))]);
}

async function benchAlertmanager(): Promise<Figures> {
  const am = await startAlertmanager(
    {
      route: { receiver: 'discard', group_by: ['service'], group_wait: '30s', group_interval: '5m', repeat_interval: '4h' },
      receivers: [{ name: 'discard' }],
    },
    { logLevel: 'warn' },
  );
  const load: Load = { next: 0, acked: [] };
  if (WARMUP > 0) await run(am.url, null, WARMUP, load, 'alertmanager warm-up');
  const pid = am.proc.child.pid ?? 0;
  const cpuBefore = cpuSeconds(pid);
  const result = await run(am.url, null, DURATION, load, 'alertmanager');
  const cpu = cpuSeconds(pid) - cpuBefore;
  await am.stop();
  const figures = summarise('alertmanager 0.25', result);
  figures.cpuMsPerAlert = (cpu * 1000) / Math.max(result['2xx'] * BATCH, 1);
  figures.lines.push(`  CPU: ${cpu.toFixed(1)} s during the load (${((cpu / result.duration) * 100).toFixed(0)} % of one core): ${figures.cpuMsPerAlert.toFixed(3)} CPU-ms per alert`);
  return figures;
}

/** The instance label of every stored Prometheus alert, counted per request number. */
function countPerRequest(instances: Iterable<string>): Map<number, number> {
  const perRequest = new Map<number, number>();
  for (const instance of instances) {
    const n = Number(/^bench-(\d+)-/.exec(instance)?.[1]);
    perRequest.set(n, (perRequest.get(n) ?? 0) + 1);
  }
  return perRequest;
}

const CLOCK_TICKS = 100;

/** CPU seconds of each thread of a process (by thread id), with the thread's name. */
function threadSeconds(pid: number): Map<number, { name: string; seconds: number }> {
  const out = new Map<number, { name: string; seconds: number }>();
  let tids: string[] = [];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(Number(tid), { name, seconds: (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS });
    } catch {
      // the thread ended meanwhile
    }
  }
  return out;
}

/**
 * The busiest threads between two readings of process `pid`: percent of one core over
 * `seconds`, and CPU-ms per alert. The main thread is the one whose id is the process id.
 */
function busiestThreads(pid: number, before: Map<number, { name: string; seconds: number }>, after: Map<number, { name: string; seconds: number }>, seconds: number, alerts: number): string {
  return [...after]
    .map(([tid, t]) => ({ tid, name: tid === pid ? 'main' : `${t.name}:${tid}`, used: t.seconds - (before.get(tid)?.seconds ?? 0) }))
    .sort((a, b) => b.used - a.used)
    .slice(0, 4)
    .map((t) => `${t.name} ${((t.used / seconds) * 100).toFixed(0)} % (${((t.used * 1000) / Math.max(alerts, 1)).toFixed(3)} ms/alert)`)
    .join(', ');
}

/** CPU seconds (user + system) a process has used so far; 0 once it is gone. */
function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return 0;
  }
}

/** The PostgreSQL backends serving `database`, by pid (their titles name the database). */
function backendsOf(database: string): Map<number, number> {
  const found = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const title = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (title.startsWith('postgres: ') && title.includes(` ${database} `)) found.set(Number(entry), cpuSeconds(Number(entry)));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

/** `replicas` servers on one fresh PostgreSQL database, the load split evenly between them. */
async function benchPostgres(serverUrl: string, replicas: number): Promise<Figures> {
  const name = `${replicas} replica${replicas > 1 ? 's' : ''} on PostgreSQL`;
  const databaseUrl = await createTestDatabase(serverUrl);
  const env = (i: number) => ({ SIGHTLINE_LOG_LEVEL: 'warn', DATABASE_URL: databaseUrl, SIGHTLINE_REPLICA_ID: `bench-${i + 1}` });
  // The first start creates the schema; the others join it.
  // With BENCH_PROFILE=1 the first replica (the one that leads once elected first) is profiled.
  const profileDir = PROFILE ? mkdtempSync(path.join(tmpdir(), 'sightline-bench-profile-')) : null;
  const servers: SightlineProcess[] = [await startSightline({ env: env(0), nodeArgs: profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [] })];
  for (let i = 1; i < replicas; i++) servers.push(await startSightline({ env: env(i) }));
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  const count = async (text: string) => Number((await db.query<{ n: string }>(text)).rows[0]?.n);
  await waitFor('a leader to be elected', async () => (await count('select count(*) as n from leader_lease where holder is not null')) === 1);
  const per = Math.max(1, Math.floor(CONNECTIONS / replicas));
  const load: Load = { next: 0, acked: [] };
  if (WARMUP > 0) await Promise.all(servers.map((s, i) => run(s.url, s.token, WARMUP, load, `${name} warm-up ${i + 1}`, per)));
  const database = new URL(databaseUrl).pathname.slice(1);
  const correlatedNow = () => count('select count(*) as n from alert_events where id <= (select applied_id from correlation_cursor)');
  const correlatedBefore = await correlatedNow();
  const cpuBefore = servers.map((s) => cpuSeconds(s.proc.child.pid ?? 0));
  const pgBefore = backendsOf(database);
  const results = await Promise.all(servers.map((s, i) => run(s.url, s.token, DURATION, load, `${name} ${i + 1}`, per)));
  const cpuUsed = servers.map((s, i) => cpuSeconds(s.proc.child.pid ?? 0) - (cpuBefore[i] ?? 0));
  const pgUsed = [...backendsOf(database)].reduce((sum, [pid, cpu]) => sum + cpu - (pgBefore.get(pid) ?? 0), 0);
  const correlatedDuring = (await correlatedNow()) - correlatedBefore;
  const ok = results.reduce((sum, r) => sum + r['2xx'], 0);
  const duration = Math.max(...results.map((r) => r.duration));
  const alertsPerSecond = (ok * BATCH) / duration;
  const figures: Figures = {
    alertsPerSecond,
    lines: [
      `${name}: ${Math.round(alertsPerSecond)} alerts/s (${Math.round(ok / duration)} req/s of ${BATCH}) over ${duration.toFixed(1)} s, ${per * replicas} connections (${per} per replica)`,
      `  correlated during the load: ${Math.round(correlatedDuring / duration)} alerts/s (acknowledged: ${Math.round(alertsPerSecond)}/s)`,
    ],
  };
  results.forEach((r, i) => {
    figures.lines.push(
      `  replica ${i + 1}: ${Math.round((r['2xx'] * BATCH) / r.duration)} alerts/s, latency ms p50=${r.latency.p50} p90=${r.latency.p90} p99=${r.latency.p99} max=${r.latency.max}, non2xx=${r.non2xx} errors=${r.errors} timeouts=${r.timeouts}, CPU ${(cpuUsed[i] ?? 0).toFixed(1)} s`,
    );
  });
  const sightlineCpu = cpuUsed.reduce((a, b) => a + b, 0);
  const alerts = ok * BATCH;
  figures.lines.push(
    `  CPU during the load: Sightline ${sightlineCpu.toFixed(1)} s, PostgreSQL backends ${pgUsed.toFixed(1)} s over ${duration.toFixed(1)} s wall (${(((sightlineCpu + pgUsed) / duration) * 100).toFixed(0)} % of one core); ` +
      `${((sightlineCpu * 1000) / Math.max(alerts, 1)).toFixed(2)} + ${((pgUsed * 1000) / Math.max(alerts, 1)).toFixed(2)} CPU-ms per alert`,
  );

  let total = await count('select count(*) as n from alert_events');
  await waitFor('in-flight requests to finish', async () => {
    await new Promise((resolve) => setTimeout(resolve, 300));
    const now = await count('select count(*) as n from alert_events');
    const settled = now === total;
    total = now;
    return settled;
  });
  const backlog = await count('select count(*) as n from alert_events where id > (select applied_id from correlation_cursor)');
  figures.lines.push(`  correlator (on the leader) backlog at end of load: ${backlog} of ${total} stored events not yet correlated`);
  figures.correlatedShare = alerts > 0 ? Math.max(0, 1 - backlog / alerts) : 0;
  figures.lines.push(`  correlated when the load stopped: ${(figures.correlatedShare * 100).toFixed(1)} % of the ${alerts} alerts acknowledged during it`);
  if (backlog > 0) {
    const drainStarted = Date.now();
    let drained = true;
    try {
      await waitFor('the correlator backlog to drain', async () => (await count('select count(*) as n from alert_events where id > (select applied_id from correlation_cursor)')) === 0, {
        timeoutMs: DRAIN_TIMEOUT * 1000,
        intervalMs: 200,
      });
    } catch {
      drained = false;
    }
    const drainSeconds = (Date.now() - drainStarted) / 1000;
    figures.lines.push(drained ? `  correlator drained it in ${drainSeconds.toFixed(1)} s once ingest stopped` : `  correlator still had events pending after ${DRAIN_TIMEOUT} s`);
  }
  const instances = (await db.query<{ instance: string }>("select labels::json->>'instance' as instance from alert_events where source = 'prometheus'")).rows.map((r) => r.instance);
  const perRequest = countPerRequest(instances);
  const incidents = (await db.query<{ n: string; alerts: string | null }>('select count(*) as n, sum(alert_count) as alerts from incidents')).rows[0];
  await db.end();
  for (const s of servers) await s.stop();
  const missing = load.acked.filter((n) => perRequest.get(n) !== BATCH);
  figures.lines.push(
    `  durability: ${load.acked.length * BATCH} alerts acknowledged (warm-up included), ${instances.length} stored, ${missing.length} acknowledged requests missing alerts`,
    `  correlated into ${incidents?.n ?? 0} incidents holding ${incidents?.alerts ?? 0} alerts`,
  );
  if (missing.length > 0) {
    figures.lines.push(`  LOST: acknowledged requests ${missing.slice(0, 10).join(', ')}${missing.length > 10 ? ', …' : ''} are not fully stored`);
    process.exitCode = 1;
  }
  if (profileDir) {
    figures.lines.push(...profileHotspots(profileDir));
  }
  return figures;
}

async function mainPostgres(): Promise<void> {
  log(`bench ingest postgres: ${BATCH}-alert API v2 batches, ${CONNECTIONS} connections in all, ${DURATION} s each (after ${WARMUP} s warm-up), node ${process.version}`);
  let server: PostgresServer | null = null;
  let one: Figures;
  let two: Figures;
  try {
    server = await startPostgres();
    log(`PostgreSQL on 127.0.0.1:${server.port} (throw-away cluster, fsync off)`);
    one = await benchPostgres(server.url, 1);
    for (const line of one.lines) log(line);
    two = await benchPostgres(server.url, 2);
    for (const line of two.lines) log(line);
  } finally {
    await stopAllProcesses();
    await server?.stop();
  }
  const ratio = one.alertsPerSecond > 0 ? two.alertsPerSecond / one.alertsPerSecond : 0;
  const share = (f: Figures) => (f.correlatedShare ?? 0).toFixed(2);
  log(`bench ingest postgres: one=${Math.round(one.alertsPerSecond)}/s two=${Math.round(two.alertsPerSecond)}/s ratio=${ratio.toFixed(2)} correlated_one=${share(one)} correlated_two=${share(two)}`);
}

async function main(): Promise<void> {
  if (POSTGRES) return mainPostgres();
  log(`bench ingest: ${BATCH}-alert API v2 batches, ${CONNECTIONS} connections, ${DURATION} s each (after ${WARMUP} s warm-up), node ${process.version}`);
  let sightline: Figures;
  let alertmanager: Figures;
  try {
    // One after the other, never both at once, so neither steals the other's CPU.
    sightline = await benchSightline();
    for (const line of sightline.lines) log(line);
    if (COMPARE_LAYERS) {
      // The same load with the topology and similarity layers off: what those layers cost.
      const plain = await benchSightline('sightline without topology/similarity', { SIGHTLINE_TOPOLOGY_LAYER: 'false', SIGHTLINE_SIMILARITY_LAYER: 'false' });
      for (const line of plain.lines) log(line);
      const slower = plain.alertsPerSecond > 0 ? 1 - sightline.alertsPerSecond / plain.alertsPerSecond : 0;
      log(`layers: with topology/similarity ${Math.round(sightline.alertsPerSecond)}/s, without ${Math.round(plain.alertsPerSecond)}/s: ${(slower * 100).toFixed(1)} % slower`);
    }
    if (COMPARE_THREAD) {
      const single = await benchSightline('sightline on one thread', { SIGHTLINE_INGEST_THREAD: 'false' });
      for (const line of single.lines) log(line);
      log(`ingest thread: with ${Math.round(sightline.alertsPerSecond)}/s, on one thread ${Math.round(single.alertsPerSecond)}/s: ×${(sightline.alertsPerSecond / Math.max(single.alertsPerSecond, 1)).toFixed(2)}`);
    }
    alertmanager = await benchAlertmanager();
    for (const line of alertmanager.lines) log(line);
  } finally {
    await stopAllProcesses();
  }
  const ratio = alertmanager.alertsPerSecond > 0 ? sightline.alertsPerSecond / alertmanager.alertsPerSecond : 0;
  const cpuS = sightline.cpuMsPerAlert ?? 0;
  const cpuA = alertmanager.cpuMsPerAlert ?? 0;
  log(`cpu per alert: sightline=${cpuS.toFixed(3)} ms (correlation included) alertmanager=${cpuA.toFixed(3)} ms efficiency=${cpuS > 0 ? (cpuA / cpuS).toFixed(2) : '0'}`);
  log(`bench ingest: sightline=${Math.round(sightline.alertsPerSecond)}/s alertmanager=${Math.round(alertmanager.alertsPerSecond)}/s ratio=${ratio.toFixed(2)}`);
}

main().catch(async (error: unknown) => {
  process.stderr.write(`bench ingest failed: ${(error as Error).stack ?? String(error)}\n`);
  await stopAllProcesses();
  process.exit(1);
});
