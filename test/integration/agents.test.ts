import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects, startTestServer, T0, type TestServer } from '../helpers/runtime.js';
import { detectSilentAgents } from '../../server/src/services/agents.js';

const S = 1000;

function heartbeat(overrides: Record<string, unknown> = {}) {
  return {
    agentId: 'agent-0001',
    host: 'web-7',
    version: '0.1.0',
    sentAt: new Date(T0).toISOString(),
    intervalSeconds: 30,
    sampleIntervalSeconds: 15,
    inventory: { collectedAt: new Date(T0).toISOString(), os: { platform: 'linux', distro: 'Debian', release: '12', kernel: '6.1', arch: 'x64' } },
    checks: [{ name: 'api', type: 'http', target: 'http://localhost/health', success: true, since: new Date(T0).toISOString(), lastRunAt: new Date(T0).toISOString(), durationSeconds: 0.01 }],
    firingAlerts: 0,
    ...overrides,
  };
}

describe.each(dialects())('agents on %s', (dialect) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer(dialect);
  });
  afterAll(async () => s?.close());

  it('records heartbeats, raises AgentDown after three silent intervals, resolves it when heartbeats return', async () => {
    s.clock.set(T0);
    const res = await s.request('POST', '/api/v1/agents/heartbeat', { token: s.tokens.ingest, json: heartbeat() });
    expect(res.status).toBe(200);
    const list = (await (await s.request('GET', '/api/v1/agents', { token: s.tokens.read })).json()) as any;
    expect(list.items).toEqual([expect.objectContaining({ agentId: 'agent-0001', host: 'web-7', status: 'up', intervalSeconds: 30, lastHeartbeatAt: new Date(T0).toISOString() })]);

    s.clock.set(T0 + 90 * S);
    expect(await detectSilentAgents(s.runtime)).toBe(0); // exactly three intervals: not yet
    s.clock.set(T0 + 91 * S);
    expect(await detectSilentAgents(s.runtime)).toBe(1);
    expect(await detectSilentAgents(s.runtime)).toBe(0); // raised once
    await s.settle();
    const incidents = (await (await s.request('GET', '/api/v1/incidents?status=open', { token: s.tokens.read })).json()) as any;
    const down = incidents.items.find((i: any) => i.title.startsWith('AgentDown'));
    expect(down).toMatchObject({ host: 'web-7', priority: 'P2', status: 'open', openedAt: new Date(T0 + 90 * S).toISOString() });
    const detail = (await (await s.request('GET', '/api/v1/agents/agent-0001', { token: s.tokens.read })).json()) as any;
    expect(detail).toMatchObject({ status: 'down', downSince: new Date(T0 + 90 * S).toISOString(), inventory: { os: { distro: 'Debian' } } });

    s.clock.set(T0 + 120 * S);
    await s.request('POST', '/api/v1/agents/heartbeat', { token: s.tokens.ingest, json: heartbeat({ sentAt: new Date(T0 + 120 * S).toISOString() }) });
    await s.settle();
    const after = (await (await s.request(`GET`, `/api/v1/incidents/${down.id}`, { token: s.tokens.read })).json()) as any;
    expect(after.alerts[0]).toMatchObject({ status: 'resolved', endsAt: new Date(T0 + 120 * S).toISOString() });
    s.clock.set(T0 + 120 * S + 5 * 60 * S);
    await s.settle();
    expect(((await (await s.request(`GET`, `/api/v1/incidents/${down.id}`, { token: s.tokens.read })).json()) as any).status).toBe('resolved');
  });

  it('takes the first heartbeats of a new agent arriving at once (a queue flushing over several connections)', async () => {
    s.clock.set(T0 + 500 * S);
    const sent = await Promise.all(
      Array.from({ length: 8 }, (_, i) => s.request('POST', '/api/v1/agents/heartbeat', { token: s.tokens.ingest, json: heartbeat({ agentId: 'agent-race', host: 'race-1', sentAt: new Date(T0 + 500 * S + i).toISOString() }) })),
    );
    expect(sent.map((r) => r.status)).toEqual(Array(8).fill(200));
    const list = (await (await s.request('GET', '/api/v1/agents', { token: s.tokens.read })).json()) as any;
    expect(list.items.filter((a: any) => a.agentId === 'agent-race')).toEqual([expect.objectContaining({ host: 'race-1', status: 'up' })]);
  });

  it('keeps the newest state when a queued heartbeat arrives late', async () => {
    s.clock.set(T0 + 1000 * S);
    await s.request('POST', '/api/v1/agents/heartbeat', { token: s.tokens.ingest, json: heartbeat({ sentAt: new Date(T0 + 1000 * S).toISOString(), version: '0.2.0' }) });
    await s.request('POST', '/api/v1/agents/heartbeat', { token: s.tokens.ingest, json: heartbeat({ sentAt: new Date(T0 + 500 * S).toISOString(), version: '0.1.0' }) });
    const agent = (await (await s.request('GET', '/api/v1/agents/agent-0001', { token: s.tokens.read })).json()) as any;
    expect(agent).toMatchObject({ version: '0.2.0', status: 'up' });
  });

  it('validates heartbeats and needs the right scopes', async () => {
    const bad = await s.request('POST', '/api/v1/agents/heartbeat', { token: s.tokens.ingest, json: heartbeat({ intervalSeconds: -1 }) });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as any).error.message).toContain('intervalSeconds');
    expect((await s.request('POST', '/api/v1/agents/heartbeat', { token: s.tokens.read, json: heartbeat() })).status).toBe(403);
    expect((await s.request('GET', '/api/v1/agents', { token: s.tokens.ingest })).status).toBe(403);
    expect((await s.request('GET', '/api/v1/agents/nope', { token: s.tokens.read })).status).toBe(404);
  });
});
