/**
 * SIGTERM ends the built agent within 5 s whatever it is doing: in the middle of a check whose
 * target accepts the connection and never answers (timeout one minute), and in the middle of
 * pushes to a server that accepts and never answers (timeout one minute). What it owed the
 * server is still in its on-disk queues afterwards, and a restart delivers every item of it.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ManagedProcess, makeTempDir, stopAllProcesses, waitFor } from '../helpers/processes.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const AGENT_CLI = path.join(ROOT, 'dist', 'agent', 'src', 'cli.js');

/** Accepts connections, reads the request line, never answers. */
let silent: net.Server;
let silentUrl = '';
const sockets = new Set<net.Socket>();
const requestLines: string[] = [];

beforeAll(async () => {
  silent = net.createServer((socket) => {
    sockets.add(socket);
    socket.once('data', (chunk) => requestLines.push(chunk.toString('latin1').split('\r\n')[0] as string));
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
  silentUrl = `http://127.0.0.1:${(silent.address() as net.AddressInfo).port}`;
});

afterAll(async () => {
  for (const s of sockets) s.destroy();
  silent?.close();
  await stopAllProcesses();
});

function startAgent(dir: string, config: Record<string, unknown>): ManagedProcess {
  const file = path.join(dir, `agent-${Date.now()}.yaml`);
  writeFileSync(file, stringify({ listen: '127.0.0.1:0', interval: '1s', logLevel: 'warn', queue: { dir: path.join(dir, 'queue'), retryMin: '50ms', retryMax: '200ms' }, ...config }));
  const child = spawn(process.execPath, [AGENT_CLI, '--config', file], { env: { PATH: process.env.PATH, HOME: process.env.HOME }, stdio: ['ignore', 'pipe', 'pipe'] });
  return new ManagedProcess('agent', child);
}

/** Milliseconds from SIGTERM to the process's exit, and its exit status. */
async function terminate(agent: ManagedProcess): Promise<{ ms: number; code: number | null; signal: NodeJS.Signals | null }> {
  const t0 = performance.now();
  const status = await agent.stop('SIGTERM', 30_000);
  return { ms: performance.now() - t0, ...status };
}

const queued = (dir: string) => readdirSync(dir).filter((f) => /^\d{16}\.json$/.test(f));

describe('agent SIGTERM', () => {
  it('exits within 5 s in the middle of a check on a target that never answers', async () => {
    const dir = makeTempDir('agent-sigterm-check');
    const agent = startAgent(dir, { checks: [{ name: 'stuck', type: 'http', url: `${silentUrl}/health`, interval: '1s', timeout: '60s' }] });
    await waitFor('the check to be waiting on its target', () => requestLines.some((l) => l.startsWith('GET /health')), { describe: () => agent.output() });
    const { ms, code } = await terminate(agent);
    expect(code, agent.output()).toBe(0);
    expect(ms).toBeLessThan(5_000);
  });

  it('exits within 5 s in the middle of pushes to a server that never answers, and delivers them after a restart', async () => {
    const dir = makeTempDir('agent-sigterm-push');
    const server = { url: silentUrl, token: 'tok', heartbeatInterval: '1s', timeout: '60s' };
    const agent = startAgent(dir, { server, otlp: { interval: '1s' } });
    await waitFor(
      'a heartbeat and an OTLP push in flight',
      () => requestLines.some((l) => l.startsWith('POST /api/v1/agents/heartbeat')) && requestLines.some((l) => l.startsWith('POST /v1/metrics')),
      { describe: () => agent.output() },
    );
    const queueDir = path.join(dir, 'queue');
    const owed = { server: queued(queueDir), otlp: queued(path.join(queueDir, 'otlp')) };
    expect(owed.server.length).toBeGreaterThan(0);
    expect(owed.otlp.length).toBeGreaterThan(0);

    const { ms, code } = await terminate(agent);
    expect(code, agent.output()).toBe(0);
    expect(ms).toBeLessThan(5_000);
    // Nothing owed is gone: every item queued before the signal is still on disk.
    expect(queued(queueDir)).toEqual(expect.arrayContaining(owed.server));
    expect(queued(path.join(queueDir, 'otlp'))).toEqual(expect.arrayContaining(owed.otlp));

    // A restart against a server that answers delivers each of them, under its original key.
    const keys = new Set<string>();
    const receiver = http.createServer((req, res) => {
      keys.add(String(req.headers['idempotency-key']));
      req.resume();
      req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
    try {
      const url = `http://127.0.0.1:${(receiver.address() as net.AddressInfo).port}`;
      const again = startAgent(dir, { server: { ...server, url, timeout: '5s' }, otlp: { interval: '1h' } });
      const agentId = readFileSync(path.join(queueDir, 'agent-id'), 'utf8').trim();
      const expected = [
        ...owed.server.map((f) => `${agentId}-${Number(f.slice(0, 16))}`),
        ...owed.otlp.map((f) => `${agentId}-otlp-${Number(f.slice(0, 16))}`),
      ];
      await waitFor('the owed items delivered', () => expected.every((k) => keys.has(k)), { describe: () => `${again.output()}\nkeys: ${[...keys].join(' ')}\nexpected: ${expected.join(' ')}` });
      expect((await terminate(again)).code).toBe(0);
    } finally {
      receiver.closeAllConnections();
      receiver.close();
    }
  });
});
