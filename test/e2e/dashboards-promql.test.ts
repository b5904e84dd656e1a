/**
 * Every PromQL expression Sightline ships, against real data: Prometheus 2.42 scrapes a real
 * agent (built, with HTTP, HTTPS and TCP checks) and the real built server, with the rule files
 * from dashboards/prometheus/ loaded. Then every rule expression, every dashboard variable query
 * and every panel target (variables substituted as Grafana would) goes through /api/v1/query:
 * none may fail to parse or evaluate, and each must return data unless it reads a metric the
 * server does not export yet or is an alert condition that is not firing. Last, the queries of
 * the top rows of grafana.com dashboard 1860 ("Node Exporter Full") must find the agent's data.
 */
import { spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { freePort } from '../helpers/postgres.js';
import {
  ManagedProcess,
  makeTempDir,
  requireBinary,
  startPrometheus,
  startSightline,
  stopAllProcesses,
  waitFor,
  type PrometheusProcess,
  type SightlineProcess,
} from '../helpers/processes.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const AGENT_CLI = path.join(ROOT, 'dist', 'agent', 'src', 'cli.js');
const RULES_DIR = path.join(ROOT, 'dashboards', 'prometheus');
const GRAFANA_DIR = path.join(ROOT, 'dashboards', 'grafana');

/** Server metrics announced for later changes, or with no data until changes on services are recorded: their panels may show no data yet. */
const FUTURE_METRICS = /\b(sightline_capacity_days_until_full(?:_low|_high)?|sightline_capacity_utilisation_p95_ratio|sightline_sla_[a-z_]+|sightline_change_[a-z_]+)\b/;

/** Grafana's global variables, as the issue fixes them for this test. */
const GLOBALS: Record<string, string> = { __rate_interval: '1m', __interval: '30s', __range: '1h' };

interface QueryResult {
  resultType: string;
  result: unknown[];
}

let sightline: SightlineProcess;
let prometheus: PrometheusProcess;
let agent: ManagedProcess;
let agentInstance: string;
let agentMetrics = '';
let tlsServer: https.Server;

const outputs = () => [sightline?.proc, agent, prometheus?.proc].filter(Boolean).map((p) => `--- ${p!.name} ---\n${p!.output().slice(-3000)}`).join('\n');

/** POST /api/v1/query; throws with Prometheus's message on a parse or evaluation error. */
async function query(expr: string): Promise<QueryResult> {
  const res = await fetch(`${prometheus.url}/api/v1/query`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ query: expr }),
    signal: AbortSignal.timeout(10_000),
  });
  const body = (await res.json()) as { status: string; data?: QueryResult; error?: string; errorType?: string };
  if (body.status !== 'success' || !body.data) throw new Error(`${body.errorType}: ${body.error}\n  in: ${expr}`);
  return body.data;
}

const isEmpty = (r: QueryResult) => (r.resultType === 'vector' || r.resultType === 'matrix') && r.result.length === 0;

/** Everything one query returned, for failure messages. */
const describeResult = (r: QueryResult) => JSON.stringify(r.result).slice(0, 300);

function loadDashboards(): { file: string; dashboard: any }[] {
  return readdirSync(GRAFANA_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => ({ file, dashboard: JSON.parse(readFileSync(path.join(GRAFANA_DIR, file), 'utf8')) }));
}

const ruleFiles = readdirSync(RULES_DIR)
  .filter((f) => f.endsWith('.rules.yml'))
  .sort()
  .map((f) => path.join(RULES_DIR, f));
const rules = ruleFiles.flatMap((file) => (parse(readFileSync(file, 'utf8')) as { groups: { rules: { alert?: string; record?: string; expr: string }[] }[] }).groups.flatMap((g) => g.rules));

/** Regex-escapes a value inside a PromQL string literal, as Grafana does (so `.` becomes `\\.`). */
const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\\\$&');

/** Replaces $name, ${name} and ${name:format} from `values`. */
function substitute(expr: string, values: Record<string, string>): string {
  return expr.replace(/\$(?:\{([A-Za-z0-9_]+)(?::[^}]*)?\}|([A-Za-z0-9_]+))/g, (whole, braced: string | undefined, bare: string | undefined) => {
    const name = (braced ?? bare) as string;
    const value = values[name] ?? GLOBALS[name];
    if (value === undefined) throw new Error(`no value for $${name} in ${expr}`);
    return value;
  });
}

/**
 * Resolves a dashboard's query variables in order, as Grafana does with "All" selected: the
 * regex alternation of every value label_values() finds, or `.*` when it finds none.
 */
async function resolveVariables(dashboard: any): Promise<{ values: Record<string, string>; found: Record<string, string[]> }> {
  const values: Record<string, string> = {};
  const found: Record<string, string[]> = {};
  for (const v of dashboard.templating.list as { name: string; type: string; definition?: string }[]) {
    if (v.type !== 'query') continue;
    const m = /^label_values\((.+),\s*([A-Za-z_][A-Za-z0-9_]*)\)$/.exec(v.definition ?? '');
    if (!m) throw new Error(`variable ${v.name}: unsupported query ${v.definition}`);
    const [, selector, label] = m as unknown as [string, string, string];
    const result = await query(`group by (${label}) (${substitute(selector, values)})`);
    const labelValues = (result.result as { metric: Record<string, string> }[]).map((s) => s.metric[label] as string).sort();
    found[v.name] = labelValues;
    values[v.name] = labelValues.length ? `(${labelValues.map(escapeRegex).join('|')})` : '.*';
  }
  return { values, found };
}

/** A self-signed certificate (EC, fast to make) so the agent reports probe_ssl_earliest_cert_expiry. */
function startTlsServer(dir: string): Promise<number> {
  const key = path.join(dir, 'key.pem');
  const cert = path.join(dir, 'cert.pem');
  execFileSync(requireBinary(['openssl'], 'openssl'), ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '30', '-subj', '/CN=localhost'], { stdio: 'ignore' });
  tlsServer = https.createServer({ key: readFileSync(key), cert: readFileSync(cert) }, (_req, res) => res.end('ok'));
  return new Promise((resolve) => tlsServer.listen(0, '127.0.0.1', () => resolve((tlsServer.address() as AddressInfo).port)));
}

async function startAgent(checks: unknown[]): Promise<void> {
  const dir = makeTempDir('agent');
  const port = await freePort();
  const configFile = path.join(dir, 'agent.yaml');
  writeFileSync(configFile, stringify({ interval: '1s', listen: `127.0.0.1:${port}`, hostname: 'e2e-host', logLevel: 'warn', queue: { dir: path.join(dir, 'queue') }, checks }));
  const child = spawn(process.execPath, [AGENT_CLI, '--config', configFile], { cwd: dir, env: { PATH: process.env.PATH, HOME: process.env.HOME }, stdio: ['ignore', 'pipe', 'pipe'] });
  agent = new ManagedProcess(`agent :${port}`, child);
  agentInstance = `127.0.0.1:${port}`;
  // Ready once every check has reported, the HTTPS one with its certificate expiry.
  agentMetrics = await waitFor(
    'the agent to expose check results',
    async () => {
      if (!agent.running) throw new Error(`agent exited:\n${agent.output()}`);
      const text = await (await fetch(`http://${agentInstance}/metrics`, { signal: AbortSignal.timeout(2_000) })).text();
      return /^probe_ssl_earliest_cert_expiry\{/m.test(text) && (text.match(/^probe_success\{/gm) ?? []).length === checks.length ? text : null;
    },
    { timeoutMs: 15_000, describe: outputs },
  );
}

beforeAll(async () => {
  requireBinary(['prometheus'], 'prometheus');
  const tlsPort = await startTlsServer(makeTempDir('tls'));
  sightline = await startSightline({ env: { SIGHTLINE_LOG_LEVEL: 'warn' } });
  await startAgent([
    { name: 'server-health', type: 'http', url: `${sightline.url}/healthz`, interval: '1s', timeout: '2s' },
    { name: 'tls-site', type: 'http', url: `https://localhost:${tlsPort}/`, insecureSkipVerify: true, interval: '1s', timeout: '2s' },
    { name: 'server-port', type: 'tcp', target: `127.0.0.1:${sightline.port}`, interval: '1s', timeout: '2s' },
  ]);

  prometheus = await startPrometheus(() => ({
    global: { scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' },
    rule_files: ruleFiles,
    scrape_configs: [
      { job_name: 'sightline-agent', static_configs: [{ targets: [agentInstance] }] },
      { job_name: 'sightline', metrics_path: '/metrics', static_configs: [{ targets: [`127.0.0.1:${sightline.port}`] }] },
    ],
  }));

  // One alert once Prometheus has scraped the server: the counters exist at 0 from the start, so
  // increase() sees this first incident (a series born at 1 would hide it).
  await waitFor('two scrapes of the server', async () => (await query('count_over_time(sightline_incidents_opened_total{priority="P3"}[1m]) >= 2')).result.length > 0, {
    timeoutMs: 20_000,
    describe: outputs,
  });
  const res = await sightline.postJson('/api/v2/alerts', [
    { labels: { alertname: 'DashboardsE2E', severity: 'warning', instance: 'e2e-host' }, annotations: { summary: 'dashboards e2e' }, startsAt: new Date().toISOString() },
  ]);
  expect(res.status, await res.text()).toBe(200);
  await waitFor('an incident from the alert', async () => (await sightline.getJson<{ items: unknown[] }>('/api/v1/incidents')).items.length > 0, { timeoutMs: 10_000, describe: outputs });

  // A few scrapes of each target, the first incident counted, and the 5-minute recording rules (which need two samples) evaluated.
  await waitFor(
    'four scrapes of each target, the incident counted and the recording rules',
    async () => {
      const scrapes = await query('min by (job) (count_over_time(up[1m])) >= 4 and min by (job) (up) == 1');
      const recorded = await query('instance:node_pressure_memory_waiting_seconds:rate5m and instance:node_cpu_utilisation:rate5m');
      const opened = await query('sum(increase(sightline_incidents_opened_total[5m])) > 0');
      return scrapes.result.length === 2 && recorded.result.length > 0 && opened.result.length > 0;
    },
    { timeoutMs: 20_000, describe: outputs },
  );
}, 45_000);

afterAll(async () => {
  await stopAllProcesses();
  await new Promise((resolve) => (tlsServer ? tlsServer.close(resolve) : resolve(undefined)));
});

describe('Prometheus rules on live data', () => {
  it('loads every rule and evaluates it without errors', async () => {
    const res = await fetch(`${prometheus.url}/api/v1/rules`);
    const body = (await res.json()) as { data: { groups: { rules: { name: string; health: string; lastError?: string }[] }[] } };
    const loaded = body.data.groups.flatMap((g) => g.rules);
    expect(loaded).toHaveLength(rules.length);
    for (const r of loaded) expect({ name: r.name, health: r.health, lastError: r.lastError ?? '' }).toEqual({ name: r.name, health: 'ok', lastError: '' });
  });

  it('returns data for every recording rule expression; alert conditions evaluate', async () => {
    for (const rule of rules) {
      const result = await query(rule.expr);
      if (rule.record) expect(isEmpty(result), `recording rule ${rule.record} returned nothing`).toBe(false);
    }
  });

  it('records the series the dashboards read', async () => {
    for (const rule of rules.filter((r) => r.record)) {
      const result = await query(rule.record!);
      expect(isEmpty(result), `${rule.record} has not been recorded`).toBe(false);
    }
  });

  it('reports the healthy agent and server as up (their down alerts quiet)', async () => {
    expect(isEmpty(await query('up{job="sightline-agent"} == 0'))).toBe(true);
    expect(isEmpty(await query('up{job="sightline"} == 0'))).toBe(true);
    expect(isEmpty(await query('probe_success{job="sightline-agent"} == 0'))).toBe(true);
  });
});

describe.each(loadDashboards())('dashboard $file', ({ dashboard }) => {
  it('resolves its variables to the live agent and server', async () => {
    const { found } = await resolveVariables(dashboard);
    if ('instance' in found) expect(found.instance!.length, 'no instance found').toBe(1);
    if (dashboard.uid === 'sightline-host-capacity') {
      expect(found.instance).toEqual([agentInstance]);
      // The agent's configured name, as its heartbeats and OTLP carry it and the forecasts use it.
      expect(found.host).toEqual(['e2e-host']);
    }
    if (dashboard.uid === 'sightline-availability-sla') expect(found.check).toEqual(['server-health', 'server-port', 'tls-site']);
    if (dashboard.uid === 'sightline-incidents-problems') expect(found.instance).toEqual([`127.0.0.1:${sightline.port}`]);
  });

  it('evaluates every panel query, with data except for metrics still to come', async () => {
    const { values } = await resolveVariables(dashboard);
    const panels = (dashboard.panels as any[]).flatMap((p) => [p, ...(p.panels ?? [])]).filter((p) => p.targets);
    const missing: string[] = [];
    let checked = 0;
    for (const panel of panels) {
      for (const target of panel.targets as { refId: string; expr: string }[]) {
        const expr = substitute(target.expr, values);
        const result = await query(expr);
        checked++;
        if (isEmpty(result) && !FUTURE_METRICS.test(expr)) missing.push(`${panel.title} [${target.refId}]: ${expr}`);
        if (!isEmpty(result) && FUTURE_METRICS.test(expr)) throw new Error(`unexpected data for a future metric (${describeResult(result)}): ${expr}`);
      }
    }
    expect(checked).toBeGreaterThan(10);
    expect(missing, 'panels without data').toEqual([]);
  });
});

describe('grafana.com dashboard 1860 (Node Exporter Full), top rows', () => {
  it('finds the agent data for CPU, load, RAM, swap, root filesystem, uptime and network', async () => {
    const sel = `instance="${agentInstance}", job="sightline-agent"`;
    const expressions: Record<string, string> = {
      'CPU busy': `100 * (1 - avg(rate(node_cpu_seconds_total{mode="idle", ${sel}}[1m])))`,
      'CPU cores': `count(count(node_cpu_seconds_total{${sel}}) by (cpu))`,
      'Sys load (1m)': `scalar(node_load1{${sel}}) * 100 / count(count(node_cpu_seconds_total{${sel}}) by (cpu))`,
      'Sys load (5m)': `scalar(node_load5{${sel}}) * 100 / count(count(node_cpu_seconds_total{${sel}}) by (cpu))`,
      'Sys load (15m)': `scalar(node_load15{${sel}}) * 100 / count(count(node_cpu_seconds_total{${sel}}) by (cpu))`,
      'RAM used': `(1 - (node_memory_MemAvailable_bytes{${sel}} / node_memory_MemTotal_bytes{${sel}})) * 100`,
      'RAM used (without MemAvailable)': `((node_memory_MemTotal_bytes{${sel}} - node_memory_MemFree_bytes{${sel}} - node_memory_Buffers_bytes{${sel}} - node_memory_Cached_bytes{${sel}}) / node_memory_MemTotal_bytes{${sel}}) * 100`,
      'RAM total': `node_memory_MemTotal_bytes{${sel}}`,
      'SWAP used': `((node_memory_SwapTotal_bytes{${sel}} - node_memory_SwapFree_bytes{${sel}}) / (node_memory_SwapTotal_bytes{${sel}})) * 100`,
      'SWAP total': `node_memory_SwapTotal_bytes{${sel}}`,
      'Root FS used': `100 - ((node_filesystem_avail_bytes{${sel}, mountpoint="/", fstype!="rootfs"} * 100) / node_filesystem_size_bytes{${sel}, mountpoint="/", fstype!="rootfs"})`,
      'Root FS total': `node_filesystem_size_bytes{${sel}, mountpoint="/", fstype!="rootfs"}`,
      Uptime: `node_time_seconds{${sel}} - node_boot_time_seconds{${sel}}`,
      'Network traffic received': `rate(node_network_receive_bytes_total{${sel}}[1m]) * 8`,
      'Network traffic transmitted': `rate(node_network_transmit_bytes_total{${sel}}[1m]) * 8`,
    };
    for (const [name, expr] of Object.entries(expressions)) expect(isEmpty(await query(expr)), `${name}: ${expr}`).toBe(false);
  });

  it('finds the agent data for the Vmstat, Sockstat, Netstat, conntrack and file descriptor rows', async () => {
    const sel = `instance="${agentInstance}", job="sightline-agent"`;
    const expressions: Record<string, string> = {
      'Memory pages in': `irate(node_vmstat_pgpgin{${sel}}[1m])`,
      'Memory page faults': `irate(node_vmstat_pgfault{${sel}}[1m]) - irate(node_vmstat_pgmajfault{${sel}}[1m])`,
      'OOM killer': `irate(node_vmstat_oom_kill{${sel}}[1m])`,
      'Sockstat TCP': `node_sockstat_TCP_alloc{${sel}} + node_sockstat_TCP_inuse{${sel}} + node_sockstat_TCP_tw{${sel}}`,
      'Sockstat used': `node_sockstat_sockets_used{${sel}}`,
      'Sockstat memory': `node_sockstat_TCP_mem_bytes{${sel}}`,
      'Network netstat octets': `irate(node_netstat_IpExt_InOctets{${sel}}[1m])`,
      'TCP in/out': `irate(node_netstat_Tcp_InSegs{${sel}}[1m]) + irate(node_netstat_Tcp_OutSegs{${sel}}[1m])`,
      'TCP SynCookie': `irate(node_netstat_TcpExt_SyncookiesFailed{${sel}}[1m])`,
      'TCP direct transition': `node_netstat_Tcp_CurrEstab{${sel}}`,
      'UDP in/out': `irate(node_netstat_Udp_InDatagrams{${sel}}[1m])`,
      'Softnet packets': `irate(node_softnet_processed_total{${sel}}[1m])`,
      'File descriptors': `node_filefd_allocated{${sel}} / node_filefd_maximum{${sel}}`,
      'Network interface speed': `node_network_transmit_queue_length{${sel}}`,
    };
    for (const [name, expr] of Object.entries(expressions)) expect(isEmpty(await query(expr)), `${name}: ${expr}`).toBe(false);
  });

  it('finds the agent data for disk I/O (or at least the metric families when there is no block device)', async () => {
    const sel = `instance="${agentInstance}", job="sightline-agent"`;
    const expressions: Record<string, string> = {
      'Disk read bytes': `rate(node_disk_read_bytes_total{${sel}}[1m])`,
      'Disk written bytes': `rate(node_disk_written_bytes_total{${sel}}[1m])`,
      'Disk I/O time': `rate(node_disk_io_time_seconds_total{${sel}}[1m])`,
    };
    // A container or VM without a whole-disk device has no node_disk_* samples, and an empty
    // result is then correct: the families (HELP/TYPE) must still be exposed.
    const hasDisks = /^node_disk_read_bytes_total\{/m.test(agentMetrics);
    for (const [name, expr] of Object.entries(expressions)) {
      const family = /node_disk_[a-z_]+_total/.exec(expr)![0];
      expect(agentMetrics, `${family} family`).toMatch(new RegExp(`^# TYPE ${family} counter$`, 'm'));
      if (hasDisks) expect(isEmpty(await query(expr)), `${name}: ${expr}`).toBe(false);
    }
  });
});
