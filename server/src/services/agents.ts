/**
 * @module Host agents: heartbeats keep an agent `up`; an agent silent for three of its own
 * intervals goes `down` and raises an `AgentDown` alert, which becomes an incident like any
 * other and resolves when heartbeats return. The alert is written to the alert event log in
 * the same transaction as the status change, so a crash cannot separate the two.
 */
import type { AlertEvent, Labels } from '../domain/alert.js';
import type { HeartbeatInput } from '../domain/heartbeat.js';
import { ok, type Result } from '../domain/result.js';
import { appendAlertEvents } from '../db/alert-events-repo.js';
import { findAgent, listAgents, saveAgent, silentAgents, type AgentRecord } from '../db/agents-repo.js';
import type { DatabaseHandle } from '../db/connection.js';
import { recordConfigurationItems } from '../db/services-repo.js';
import { recordCheckStates } from '../db/sla-repo.js';
import { checkStatesOfHeartbeat } from './sla-checks.js';
import type { Clock } from './clock.js';
import type { Correlator } from './correlator.js';

export const MISSED_HEARTBEATS_FOR_DOWN = 3;

export interface AgentDeps {
  handle: DatabaseHandle;
  clock: Clock;
  correlator: Correlator;
}


function agentDownEvent(agent: AgentRecord, status: 'firing' | 'resolved', startsAt: number, endsAt: number | null): AlertEvent {
  const labels: Labels = { alertname: 'AgentDown', host: agent.host, severity: 'critical', agent_id: agent.agentId };
  return {
    source: 'agent',
    fingerprint: `AgentDown:${agent.agentId}`,
    status,
    labels,
    annotations: {
      summary: `Sightline agent on ${agent.host} stopped sending heartbeats`,
      description: `No heartbeat for ${MISSED_HEARTBEATS_FOR_DOWN} intervals of ${Math.round(agent.intervalMs / 1000)}s.`,
    },
    startsAt,
    endsAt,
    generatorUrl: null,
  };
}

export async function recordHeartbeat(deps: AgentDeps, input: HeartbeatInput): Promise<Result<AgentRecord>> {
  const lock = deps.handle.dialect === 'postgres';
  const now = deps.clock.now();
  // Two first heartbeats of one agent at once (a queue flushing over several connections)
  // both find no row on PostgreSQL and both insert: the loser runs again and finds the row.
  const attempt = () => deps.handle.db.transaction().execute(async (trx) => {
    const known = await findAgent(trx, input.agentId, lock);
    // A heartbeat queued while the server was away arrives late: it proves the agent is alive
    // now, but must not overwrite the state of a newer heartbeat.
    const newest = !known || input.sentAt >= known.lastSentAt;
    const agent: AgentRecord = {
      agentId: input.agentId,
      host: newest ? input.host : (known as AgentRecord).host,
      version: newest ? input.version : (known as AgentRecord).version,
      intervalMs: Math.round(input.intervalSeconds * 1000),
      status: 'up',
      firstSeenAt: known?.firstSeenAt ?? now,
      lastHeartbeatAt: now,
      lastSentAt: newest ? input.sentAt : (known as AgentRecord).lastSentAt,
      downSince: null,
      inventory: newest ? (input.inventory ?? known?.inventory ?? null) : (known as AgentRecord).inventory,
      checks: newest ? input.checks : (known as AgentRecord).checks,
      firingAlerts: newest ? input.firingAlerts : (known as AgentRecord).firingAlerts,
    };
    const recovered = known?.status === 'down' && known.downSince !== null;
    if (recovered) await appendAlertEvents(trx, [agentDownEvent(agent, 'resolved', known.downSince as number, now)], now);
    await saveAgent(trx, agent, !known);
    await recordCheckStates(trx, checkStatesOfHeartbeat(input));
    await recordConfigurationItems(trx, 'host', [agent.host], 'agent', now);
    return { agent, recovered };
  });
  const { agent, recovered } = await attempt().catch((error: unknown) => {
    if (isDuplicateKey(error)) return attempt();
    throw error;
  });
  if (recovered) deps.correlator.kick();
  return ok(agent);
}

/** A unique-key violation (PostgreSQL 23505): another transaction inserted the same row first. */
function isDuplicateKey(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === '23505';
}

/** Marks silent agents down and raises their AgentDown alerts; returns how many went down. */
export async function detectSilentAgents(deps: AgentDeps): Promise<number> {
  const lock = deps.handle.dialect === 'postgres';
  const now = deps.clock.now();
  const down = await deps.handle.db.transaction().execute(async (trx) => {
    const silent = await silentAgents(trx, now, MISSED_HEARTBEATS_FOR_DOWN, lock);
    for (const agent of silent) {
      // The fault started when the third heartbeat failed to arrive, in the server's time.
      agent.status = 'down';
      agent.downSince = agent.lastHeartbeatAt + MISSED_HEARTBEATS_FOR_DOWN * agent.intervalMs;
      await saveAgent(trx, agent, false);
    }
    await appendAlertEvents(trx, silent.map((a) => agentDownEvent(a, 'firing', a.downSince as number, null)), now);
    return silent.length;
  });
  if (down > 0) deps.correlator.kick();
  return down;
}

export { listAgents };

export async function getAgent(deps: AgentDeps, agentId: string): Promise<AgentRecord | null> {
  return findAgent(deps.handle.db, agentId);
}
