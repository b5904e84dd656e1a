/**
 * The whole agent on this machine: GET /metrics over HTTP with real values, a check whose failure
 * fires a local rule that reaches the server as a native alert and resolves when the check
 * recovers, and an OTLP/HTTP push with semantic-convention names and resource attributes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgent, type Agent } from '../../agent/src/agent.js';
import { parseAgentConfig } from '../../agent/src/config.js';
import { AlertsPayload, Heartbeat } from '../../agent/src/contract.js';
import { parseExposition } from './agent-exposition.js';

interface Post {
  path: string;
  contentType: string | undefined;
  body: any;
}

let receiver: http.Server;
let base = '';
const posts: Post[] = [];
let apiHealthy = false;
let agent: Agent;
let dir = '';

async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}

beforeAll(async () => {
  // One local server plays the Sightline server, an OTLP receiver and the service under check.
  receiver = http.createServer((req, res) => {
    if (req.url === '/health') return void res.writeHead(apiHealthy ? 200 : 500).end(apiHealthy ? 'ok' : 'broken');
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      posts.push({ path: req.url ?? '', contentType: req.headers['content-type'], body: JSON.parse(body) });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(receiver.address() as import('node:net').AddressInfo).port}`;
  dir = mkdtempSync(path.join(tmpdir(), 'sightline-agent-live-'));
  const loaded = parseAgentConfig({
    listen: '127.0.0.1:0',
    interval: '1h',
    hostname: 'live-test-host',
    logLevel: 'silent',
    defaultRules: false,
    server: { url: base, token: 'tok', heartbeatInterval: '1h' },
    queue: { dir, retryMin: '20ms', retryMax: '100ms' },
    otlp: { endpoint: base, interval: '1h' },
    checks: [
      { name: 'api', type: 'http', url: `${base}/health`, interval: '100ms', timeout: '1s', service: 'checkout' },
      { name: 'self', type: 'process', cmdlineRegex: 'vitest|node', interval: '1h' },
    ],
    rules: [{ alert: 'ApiDown', metric: 'probe_success', match: { check: 'api' }, op: '==', threshold: 0, for: 0, severity: 'critical' }],
  });
  if (!loaded.ok) throw new Error(loaded.problems.join('\n'));
  agent = createAgent(loaded.config, {
    inventory: async () => ({
      collectedAt: new Date().toISOString(),
      os: { platform: 'linux', distro: 'test', release: '1', kernel: os.release(), arch: os.arch() },
      cpu: { model: 'test', logicalCores: os.cpus().length, physicalCores: 1 },
      memoryBytes: os.totalmem(),
      disks: [],
      interfaces: [],
    }),
  });
  await agent.start();
});

afterAll(async () => {
  await agent?.stop();
  receiver?.closeAllConnections();
  receiver?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});


describe('agent on this machine', () => {
  it('serves real host values on GET /metrics', async () => {
    const url = agent.metricsUrl();
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const res = await fetch(url!);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const m = parseExposition(await res.text());
    expect(m.get('node_memory_MemTotal_bytes')!.samples[0]!.value).toBe(os.totalmem());
    expect(new Set(m.get('node_cpu_seconds_total')!.samples.map((s) => s.labels.cpu)).size).toBe(os.cpus().length);
    expect(m.get('node_boot_time_seconds')!.samples[0]!.value).toBeCloseTo(Date.now() / 1000 - os.uptime(), -1);
    expect(m.get('node_uname_info')!.samples[0]!.labels.release).toBe(os.release());
    expect(m.get('node_filesystem_size_bytes')!.samples.some((s) => s.labels.mountpoint === '/')).toBe(true);
    expect(m.get('sightline_agent_build_info')!.samples[0]!.labels.nodejs_version).toBe(process.versions.node);
    expect(m.get('sightline_agent_collector_duration_seconds')!.samples.map((s) => s.labels.collector).sort()).toEqual(
      ['disk_info', 'diskstats', 'filesystem', 'loadavg', 'meminfo', 'netclass', 'netdev', 'netstack', 'pressure', 'stat', 'system', 'uname'],
    );
    expect(m.get('process_resident_memory_bytes')!.samples[0]!.value).toBeGreaterThan(0);
    expect((await fetch(url!.replace('/metrics', '/nope'))).status).toBe(404);
  });

  it('compresses GET /metrics with gzip when the scraper accepts it, as node_exporter does', async () => {
    const get = (acceptEncoding?: string) =>
      new Promise<{ headers: http.IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
        const req = http.get(agent.metricsUrl()!, { headers: acceptEncoding === undefined ? {} : { 'accept-encoding': acceptEncoding } }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
        });
        req.on('error', reject);
      });
    // What Prometheus 2.42 sends on every scrape.
    const zipped = await get('gzip');
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(zipped.headers.vary).toBe('Accept-Encoding');
    const text = gunzipSync(zipped.body).toString('utf8');
    expect(parseExposition(text).get('node_memory_MemTotal_bytes')!.samples[0]!.value).toBe(os.totalmem());
    expect(zipped.body.length).toBeLessThan(text.length / 3);
    for (const header of [undefined, 'identity', 'gzip;q=0', 'br']) {
      const plain = await get(header);
      expect(plain.headers['content-encoding'], String(header)).toBeUndefined();
      expect(plain.body.toString('utf8'), String(header)).toContain('# TYPE node_memory_MemTotal_bytes gauge');
    }
    expect((await get('deflate, gzip;q=0.5')).headers['content-encoding']).toBe('gzip');
  });

  it('fires a rule on a failing check, delivers it as a native alert, and resolves it when the check recovers', async () => {
    await until(() => agent.checkStates().some((c) => c.result.name === 'api'));
    await agent.tick();
    await until(() => posts.some((p) => p.path === '/api/v1/alerts'));
    const firing = AlertsPayload.parse(posts.find((p) => p.path === '/api/v1/alerts')!.body).alerts[0]!;
    expect(firing.status).toBe('firing');
    expect(firing.labels).toMatchObject({ alertname: 'ApiDown', host: 'live-test-host', severity: 'critical', service: 'host', check: 'api' });
    apiHealthy = true;
    await until(() => agent.checkStates().find((c) => c.result.name === 'api')!.result.success);
    await agent.tick();
    await until(() => posts.filter((p) => p.path === '/api/v1/alerts').length === 2);
    const resolved = AlertsPayload.parse(posts.filter((p) => p.path === '/api/v1/alerts')[1]!.body).alerts[0]!;
    expect(resolved).toMatchObject({ status: 'resolved', startsAt: firing.startsAt, labels: firing.labels });
    expect(Date.parse(resolved.endsAt!)).toBeGreaterThanOrEqual(Date.parse(firing.startsAt));
    const heartbeat = Heartbeat.parse(posts.find((p) => p.path === '/api/v1/agents/heartbeat')!.body);
    expect(heartbeat.host).toBe('live-test-host');
    expect(heartbeat.inventory?.memoryBytes).toBe(os.totalmem());
  });

  it('pushes OTLP/HTTP JSON with semantic-convention names and resource attributes', async () => {
    await agent.flushOtlp();
    await until(() => posts.some((p) => p.path === '/v1/metrics'));
    const body = posts.find((p) => p.path === '/v1/metrics')!.body;
    const rm = body.resourceMetrics[0];
    const attrs = Object.fromEntries(rm.resource.attributes.map((a: any) => [a.key, Object.values(a.value)[0]]));
    expect(attrs).toMatchObject({ 'service.name': 'sightline-agent', 'host.name': 'live-test-host', 'os.type': 'linux', 'os.version': os.release(), 'host.id': agent.agentId() });
    const metrics = new Map<string, any>(rm.scopeMetrics.flatMap((s: any) => s.metrics).map((m: any) => [m.name, m]));
    for (const name of ['system.cpu.time', 'system.memory.usage', 'system.memory.limit', 'system.filesystem.usage', 'system.network.io', 'system.cpu.load_average.1m', 'sightline.check.success']) {
      expect(metrics.has(name), name).toBe(true);
    }
    const limit = metrics.get('system.memory.limit').sum.dataPoints[0];
    expect(Number(limit.asInt ?? limit.asDouble)).toBe(os.totalmem());
    const modes = new Set(metrics.get('system.cpu.time').sum.dataPoints.flatMap((p: any) => p.attributes.filter((a: any) => a.key === 'cpu.mode').map((a: any) => a.value.stringValue)));
    expect([...modes].sort()).toEqual(['idle', 'interrupt', 'iowait', 'nice', 'softirq', 'steal', 'system', 'user']);
    expect(await agent.metrics()).toMatch(/sightline_agent_last_successful_push_timestamp_seconds\{target="otlp"\} \d/);
  });

  it('names the host the same way in /metrics, heartbeats, alerts and OTLP', async () => {
    const info = parseExposition(await agent.metrics()).get('sightline_agent_host_info')!.samples;
    expect(info).toEqual([{ name: 'sightline_agent_host_info', labels: { host: 'live-test-host' }, value: 1 }]);
    const heartbeat = Heartbeat.parse(posts.find((p) => p.path === '/api/v1/agents/heartbeat')!.body);
    const resource = posts.find((p) => p.path === '/v1/metrics')!.body.resourceMetrics[0].resource.attributes.find((a: any) => a.key === 'host.name').value.stringValue;
    const alert = AlertsPayload.parse(posts.find((p) => p.path === '/api/v1/alerts')!.body).alerts[0]!;
    expect([heartbeat.host, resource, alert.labels.host]).toEqual(['live-test-host', 'live-test-host', 'live-test-host']);
  });
});
