/**
 * The real agent against the real server over HTTP: its heartbeats register the host, and
 * its OTLP exporter (defaulting to the server) feeds the capacity API — what the agent
 * sends parses with the server's schemas end to end.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgent, type Agent } from '../../agent/src/agent.js';
import { parseAgentConfig } from '../../agent/src/config.js';
import { loadConfig } from '../../server/src/config.js';
import { startServer, type RunningServer } from '../../server/src/main.js';
import { createToken } from '../../server/src/services/tokens.js';
import { systemClock } from '../../server/src/services/clock.js';

const ADMIN = 'agent-to-server-admin-token-0001';

describe('agent → server', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'sightline-agent-server-'));
  let server: RunningServer;
  let agent: Agent;
  beforeAll(async () => {
    const loaded = loadConfig({ file: null, env: { SIGHTLINE_DATA_DIR: path.join(dir, 'server'), SIGHTLINE_HOST: '127.0.0.1', SIGHTLINE_PORT: '0', SIGHTLINE_ADMIN_TOKEN: ADMIN } });
    if (!loaded.ok) throw new Error(loaded.problems.join('\n'));
    server = await startServer(loaded.config, { log: pino({ level: 'silent' }) });
    const token = await createToken(server.runtime.handle.db, systemClock, { name: 'agent', scopes: ['ingest'] });
    if (!token.ok) throw new Error(token.error.message);
    const config = parseAgentConfig({
      listen: '',
      interval: '1s',
      hostname: 'agent-to-server-host',
      logLevel: 'silent',
      defaultRules: false,
      server: { url: server.url, token: token.value.token, heartbeatInterval: '1s' },
      queue: { dir: path.join(dir, 'queue'), retryMin: '50ms', retryMax: '200ms' },
      otlp: { interval: '1s' },
    });
    if (!config.ok) throw new Error(config.problems.join('\n'));
    agent = createAgent(config.config);
    await agent.start();
  });
  afterAll(async () => {
    await agent?.stop();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const get = async (url: string) => (await fetch(`${server.url}${url}`, { headers: { authorization: `Bearer ${ADMIN}` } })).json() as Promise<any>;

  it('registers the host by heartbeat and reports its capacity through OTLP', { timeout: 30_000 }, async () => {
    const deadline = Date.now() + 25_000;
    let agents: any;
    let capacity: any;
    while (Date.now() < deadline) {
      agents = await get('/api/v1/agents');
      capacity = await get('/api/v1/capacity');
      const host = capacity.items?.find((h: any) => h.host === 'agent-to-server-host');
      if (agents.items?.length && host?.resources?.length) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(agents.items).toEqual([expect.objectContaining({ host: 'agent-to-server-host', status: 'up' })]);
    const host = capacity.items.find((h: any) => h.host === 'agent-to-server-host');
    expect(host, JSON.stringify(capacity).slice(0, 500)).toBeDefined();
    expect(JSON.stringify(host)).toMatch(/memory|filesystem/);
  });
});
