/**
 * The built agent (`sightline agent --config agent.yaml`, as the README runs it) against a real
 * HTTP receiver that goes down and comes back (for the OTLP outage, a recording proxy in front of
 * a real Sightline server, so the server's answer to every replayed push is checked too):
 * - OTLP pushes made while the receiver is down, across an agent restart, are queued on disk and
 *   arrive when it is back, every one, in order, with their original timestamps;
 * - a byte bound on the queue drops the oldest pushes and says so once in the log;
 * - a restart does not reset a check's timer: the next run comes at the last run plus the interval.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { freePort } from '../helpers/postgres.js';
import { ADMIN_TOKEN, makeTempDir, ManagedProcess, SIGHTLINE_CLI, startSightline, stopAllProcesses, waitFor } from '../helpers/processes.js';

afterAll(stopAllProcesses);

const TOKEN = 'agent-outage-ingest-token-0001';

interface Received {
  path: string;
  /** The answer the agent got (the upstream server's, when forwarding). */
  status: number;
  auth: string | undefined;
  key: string | undefined;
  body: any;
}

/**
 * A receiver that can be stopped and started on the same port; records POSTs and GET /health hits.
 * With `upstream`, it forwards each POST there and answers with the upstream's status.
 */
function receiver(port: number, upstream?: string) {
  const posts: Received[] = [];
  const healthHits: number[] = [];
  let server: http.Server | undefined;
  return {
    posts,
    healthHits,
    /** OTLP pushes the receiver took (2xx), in arrival order. */
    otlp: () => posts.filter((p) => p.path === '/v1/metrics' && p.status < 300),
    async start() {
      server = http.createServer((req, res) => {
        if (req.method === 'GET' && req.url === '/health') {
          healthHits.push(Date.now());
          return void res.writeHead(200).end('ok');
        }
        let body = '';
        req.on('data', (c) => (body += c));
        req.on('end', async () => {
          let status = 200;
          let answer = '{}';
          if (upstream) {
            const forwarded = await fetch(`${upstream}${req.url}`, {
              method: 'POST',
              headers: { authorization: req.headers.authorization ?? '', 'content-type': req.headers['content-type'] ?? '' },
              body,
            }).catch(() => null);
            status = forwarded?.status ?? 502;
            answer = (await forwarded?.text()) ?? '';
          }
          posts.push({ path: req.url ?? '', status, auth: req.headers.authorization, key: req.headers['idempotency-key'] as string | undefined, body: JSON.parse(body) });
          res.writeHead(status, { 'content-type': 'application/json' }).end(answer);
        });
      });
      await new Promise<void>((r) => server!.listen(port, '127.0.0.1', () => r()));
    },
    async stop() {
      server?.closeAllConnections();
      await new Promise((r) => server?.close(r));
    },
  };
}

/** When an OTLP request's points were collected (every point of one push shares the time), epoch ms. */
function pushTime(request: any): number {
  const times = request.resourceMetrics.flatMap((rm: any) =>
    rm.scopeMetrics.flatMap((sm: any) => sm.metrics.flatMap((m: any) => (m.sum ?? m.gauge).dataPoints.map((p: any) => BigInt(p.timeUnixNano)))),
  ) as bigint[];
  expect(times.length).toBeGreaterThan(0);
  return Number(times.reduce((a, b) => (b > a ? b : a)) / 1_000_000n);
}

function writeConfig(dir: string, config: Record<string, unknown>): string {
  const file = path.join(dir, 'agent.yaml');
  writeFileSync(file, stringify(config));
  return file;
}

/** `sightline agent --config <file>`, from the built CLI; resolves once it has started. */
async function startAgent(dir: string, configFile: string, name: string): Promise<ManagedProcess> {
  const agent = new ManagedProcess(name, spawn(process.execPath, [SIGHTLINE_CLI, 'agent', '--config', configFile], { cwd: dir, env: { PATH: process.env.PATH, HOME: process.env.HOME }, stdio: ['ignore', 'pipe', 'pipe'] }));
  await waitFor('the agent to start', () => {
    if (!agent.running) throw new Error(`agent exited:\n${agent.output()}`);
    return agent.output().includes('"msg":"agent started"');
  });
  return agent;
}

/** The queued items of one on-disk queue, oldest first. */
function queuedItems(dir: string): { seq: number; body: any }[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => /^\d{16}\.json$/.test(f))
    .sort()
    .map((f) => JSON.parse(readFileSync(path.join(dir, f), 'utf8')));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const metricValue = (text: string, series: string): number | undefined => {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

describe('agent across a receiver outage and agent restarts', () => {
  it('queues every OTLP push while the server is unreachable, across a restart, and delivers them in order with their original timestamps', { timeout: 120_000 }, async () => {
    const dir = makeTempDir('agent-outage');
    const sightline = await startSightline();
    const port = await freePort();
    const rx = receiver(port, sightline.url);
    await rx.start();
    const queueDir = path.join(dir, 'state');
    const configFile = writeConfig(dir, {
      listen: '',
      hostname: 'outage-host',
      defaultRules: false,
      server: { url: `http://127.0.0.1:${port}`, token: ADMIN_TOKEN, heartbeatInterval: '1h', timeout: '5s' },
      queue: { dir: queueDir, retryMin: '100ms', retryMax: '500ms' },
      otlp: { interval: '1s' },
    });
    const first = await startAgent(dir, configFile, 'agent 1');
    await waitFor('two pushes before the outage', () => rx.otlp().length >= 2, { describe: () => first.output() });

    await rx.stop();
    const downAt = Date.now();
    await sleep(4_000);
    expect((await first.stop()).code).toBe(0);
    const second = await startAgent(dir, configFile, 'agent 2');
    await sleep(4_000);
    // What the agent holds for the receiver at the end of the outage.
    const queued = queuedItems(path.join(queueDir, 'otlp'));
    const upAt = Date.now();
    await rx.start();

    expect(queued.length, second.output()).toBeGreaterThanOrEqual(4);
    const lastQueued = pushTime(queued.at(-1)!.body);
    await waitFor('the queued pushes to arrive', () => rx.otlp().some((p) => pushTime(p.body) >= lastQueued), { describe: () => second.output() });

    const received = rx.otlp();
    const times = received.map((p) => pushTime(p.body));
    // In order, none twice: each push is later than the one before.
    expect(times.every((t, i) => i === 0 || t > times[i - 1]!), times.join(' ')).toBe(true);
    // Every queued push arrived as it was queued (its points with their original timestamps), in queue order.
    const at = received.findIndex((p) => pushTime(p.body) === pushTime(queued[0]!.body));
    expect(at).toBeGreaterThanOrEqual(0);
    expect(received.slice(at, at + queued.length).map((p) => p.body)).toEqual(queued.map((q) => q.body));
    // The pushes collected during the outage (about one a second, less the restart) all arrived.
    const during = times.filter((t) => t > downAt && t < upAt);
    expect(during.length).toBeGreaterThanOrEqual(4);
    expect(received.every((p) => p.auth === `Bearer ${ADMIN_TOKEN}`)).toBe(true);
    expect(new Set(received.map((p) => p.key)).size).toBe(received.length);
    // Sent, the queue empties; the server stored the host's capacity from them.
    await waitFor('the OTLP queue to empty', () => queuedItems(path.join(queueDir, 'otlp')).length === 0);
    const capacity = await sightline.getJson('/api/v1/capacity/outage-host');
    expect(JSON.stringify(capacity)).toMatch(/"resource":"memory"/);
    await second.stop();
    await rx.stop();
    await sightline.stop();
  });

  it('drops the oldest pushes beyond the byte bound, says so once, and delivers the newest', { timeout: 60_000 }, async () => {
    const dir = makeTempDir('agent-bound');
    const port = await freePort();
    const metricsPort = await freePort();
    const rx = receiver(port);
    const maxBytes = 65_536;
    const configFile = writeConfig(dir, {
      listen: `127.0.0.1:${metricsPort}`,
      hostname: 'bound-host',
      defaultRules: false,
      server: { url: `http://127.0.0.1:${port}`, token: TOKEN, heartbeatInterval: '1h', timeout: '2s' },
      queue: { dir: path.join(dir, 'state'), maxBytes, retryMin: '100ms', retryMax: '500ms' },
      otlp: { interval: '250ms' },
    });
    const agent = await startAgent(dir, configFile, 'agent');
    const metrics = async () => (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    await waitFor('three pushes dropped by the bound', async () => (metricValue(await metrics(), 'sightline_agent_dropped_total{queue="otlp",reason="overflow"}') ?? 0) >= 3, {
      describe: () => agent.output(),
    });
    const text = await metrics();
    expect(metricValue(text, 'sightline_agent_queue_bytes{queue="otlp"}')).toBeLessThanOrEqual(maxBytes);
    const warning = 'OTLP push queue is full: dropping the oldest';
    expect(agent.output().split(warning).length - 1).toBe(1);
    expect(agent.output()).toMatch(/"queue":"otlp".*"maxBytes":65536/);

    const queued = queuedItems(path.join(dir, 'state', 'otlp'));
    await rx.start();
    await waitFor('the newest pushes to arrive', () => rx.otlp().length >= queued.length, { describe: () => agent.output() });
    const times = rx.otlp().map((p) => pushTime(p.body));
    expect(times.every((t, i) => i === 0 || t > times[i - 1]!)).toBe(true);
    // Nothing older than what the queue still held arrives: the oldest went (more may have gone
    // since, as pushes kept coming every 250 ms).
    expect(times[0]).toBeGreaterThanOrEqual(pushTime(queued[0]!.body));
    expect(agent.output().split(warning).length - 1).toBe(1);
    await agent.stop();
    await rx.stop();
  });

  it('keeps a check on its timer across a restart: the next run is due at the last run plus the interval', { timeout: 60_000 }, async () => {
    const dir = makeTempDir('agent-check-timer');
    const port = await freePort();
    const metricsPort = await freePort();
    const rx = receiver(port);
    await rx.start();
    const interval = 12_000;
    const configFile = writeConfig(dir, {
      listen: `127.0.0.1:${metricsPort}`,
      defaultRules: false,
      queue: { dir: path.join(dir, 'state') },
      checks: [{ name: 'web', type: 'http', url: `http://127.0.0.1:${port}/health`, interval: '12s', timeout: '2s' }],
    });
    const first = await startAgent(dir, configFile, 'agent 1');
    await waitFor('the first run', () => rx.healthHits.length === 1);
    const firstRun = rx.healthHits[0]!;
    await sleep(Math.max(0, firstRun + interval / 2 - Date.now()));
    expect((await first.stop()).code).toBe(0);

    // Restarted half-way through the interval: no run now, the latest result still shown.
    const second = await startAgent(dir, configFile, 'agent 2');
    const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    expect(text).toMatch(/^probe_success\{check="web",type="http",target="[^"]+"\} 1$/m);
    await waitFor('the next run', () => rx.healthHits.length === 2, { timeoutMs: 30_000, describe: () => second.output() });
    const secondRun = rx.healthHits[1]!;
    // Due at firstRun + 12 s: not at the restart (about +6 s), nor a whole interval after it (about +18 s).
    expect(secondRun - firstRun).toBeGreaterThanOrEqual(interval - 1_000);
    expect(secondRun - firstRun).toBeLessThan(interval + 4_000);
    await second.stop();
    await rx.stop();
  });
});
