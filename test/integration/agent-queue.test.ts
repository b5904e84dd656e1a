/**
 * Heartbeats and alerts survive a server outage and an agent restart: server down, agent queues,
 * agent restarts and queues more, server comes back: everything within the bound arrives once,
 * in order, with the bearer token; beyond the bound the oldest are dropped and counted.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createAgent, type Agent } from '../../agent/src/agent.js';
import type { Clock } from '../../agent/src/clock.js';
import { parseAgentConfig } from '../../agent/src/config.js';
import { Heartbeat, type Inventory } from '../../agent/src/contract.js';
import { freePort } from '../helpers/postgres.js';

interface Received {
  path: string;
  auth: string | undefined;
  key: string | undefined;
  body: any;
}

/** A stand-in for the Sightline server that can be stopped and started on the same port. */
function fakeServer(port: number, answer: (n: number) => number = () => 202) {
  const received: Received[] = [];
  let server: http.Server | undefined;
  let n = 0;
  return {
    received,
    async start() {
      server = http.createServer((req, res) => {
        let body = '';
        req.on('data', (c) => (body += c));
        req.on('end', () => {
          const status = answer(n++);
          if (status < 300) received.push({ path: req.url ?? '', auth: req.headers.authorization, key: req.headers['idempotency-key'] as string, body: JSON.parse(body) });
          res.writeHead(status).end();
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

const INVENTORY: Inventory = {
  collectedAt: '2026-11-21T04:00:00.000Z',
  os: { platform: 'linux', distro: 'Debian GNU/Linux', release: '12', kernel: '6.1.0', arch: 'x64' },
  cpu: { model: 'AMD EPYC', logicalCores: 2, physicalCores: 1 },
  memoryBytes: 1 << 30,
  disks: [],
  interfaces: [{ name: 'eth0', mac: '02:00:00:00:00:01', ipv4: ['192.0.2.2'], ipv6: [], speedMbps: null }],
};

/** Each reading one second later, so heartbeats carry distinct, ordered sentAt values. */
function steppingClock(): Clock {
  let t = Date.parse('2026-11-21T04:00:00.000Z');
  return { now: () => (t += 1000), monotonic: () => performance.now() };
}

const dirs: string[] = [];
const agents: Agent[] = [];
afterEach(async () => {
  for (const a of agents.splice(0)) await a.stop();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function makeAgent(port: number, dir: string, maxItems: number, clock: Clock): Agent {
  const r = parseAgentConfig({
    listen: '',
    interval: '1h',
    logLevel: 'silent',
    defaultRules: false,
    server: { url: `http://127.0.0.1:${port}`, token: 'sekret', heartbeatInterval: '1h', timeout: '1s' },
    queue: { dir, maxItems, retryMin: '20ms', retryMax: '100ms' },
    // This file is about heartbeats and alerts; OTLP pushes have a queue and a test of their own.
    otlp: { toServer: false },
  });
  if (!r.ok) throw new Error(r.problems.join('\n'));
  const agent = createAgent(r.config, { clock, inventory: async () => INVENTORY, random: () => 0.5 });
  agents.push(agent);
  return agent;
}

async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('agent queue across outages and restarts', () => {
  it('delivers everything within the bound, in order, after the server and the agent come back', async () => {
    const port = await freePort();
    const dir = mkdtempSync(path.join(tmpdir(), 'sightline-agent-q-'));
    dirs.push(dir);
    const clock = steppingClock();
    const server = fakeServer(port);

    const first = makeAgent(port, dir, 100, clock);
    await first.start();
    await until(() => first.queueLength() === 1); // the start-up heartbeat
    for (let i = 0; i < 5; i++) await first.sendHeartbeat();
    expect(first.queueLength()).toBe(6);
    const id = first.agentId();
    await first.stop();

    const second = makeAgent(port, dir, 100, clock);
    await second.start();
    expect(second.agentId()).toBe(id);
    await until(() => second.queueLength() === 7);
    for (let i = 0; i < 3; i++) await second.sendHeartbeat();
    expect(second.queueLength()).toBe(10);

    await server.start();
    try {
      await until(() => server.received.length === 10);
      await until(() => second.queueLength() === 0);
      const sent = server.received.map((r) => Heartbeat.parse(r.body));
      const times = sent.map((h) => Date.parse(h.sentAt));
      expect([...times].sort((a, b) => a - b)).toEqual(times);
      expect(new Set(times).size).toBe(10);
      expect(server.received.every((r) => r.path === '/api/v1/agents/heartbeat' && r.auth === 'Bearer sekret')).toBe(true);
      expect(server.received.map((r) => r.key)).toEqual(Array.from({ length: 10 }, (_, i) => `${id}-${i + 1}`));
      expect(sent[0]).toMatchObject({ agentId: id, inventory: INVENTORY, intervalSeconds: 3600, sampleIntervalSeconds: 3600, checks: [], firingAlerts: 0 });
      const metrics = await second.metrics();
      expect(metrics).toContain('sightline_agent_queue_length{queue="server"} 0\n');
      expect(metrics).toMatch(/sightline_agent_last_successful_push_timestamp_seconds\{target="server"\} \d+/);
    } finally {
      await server.stop();
    }
  });

  it('drops the oldest beyond the bound and counts them; retries 5xx and drops 4xx', async () => {
    const port = await freePort();
    const dir = mkdtempSync(path.join(tmpdir(), 'sightline-agent-q-'));
    dirs.push(dir);
    const clock = steppingClock();
    const agent = makeAgent(port, dir, 4, clock);
    await agent.start();
    await until(() => agent.queueLength() === 1);
    for (let i = 0; i < 6; i++) await agent.sendHeartbeat();
    expect(agent.queueLength()).toBe(4);
    expect(await agent.metrics()).toContain('sightline_agent_dropped_total{queue="server",reason="overflow"} 3\n');
    // First two answers 503 (retried), the third 400 (dropped as rejected), then accepted.
    const server = fakeServer(port, (n) => (n < 2 ? 503 : n === 2 ? 400 : 202));
    await server.start();
    try {
      await until(() => agent.queueLength() === 0);
      // Items 1–3 were pushed out by the bound; 4 was refused with 400 after two 503s.
      expect(server.received.map((r) => r.key)).toEqual([5, 6, 7].map((n) => `${agent.agentId()}-${n}`));
      const metrics = await agent.metrics();
      expect(metrics).toContain('sightline_agent_dropped_total{queue="server",reason="rejected"} 1\n');
      expect(metrics).toContain('sightline_agent_dropped_total{queue="server",reason="overflow"} 3\n');
    } finally {
      await server.stop();
    }
  });
});
