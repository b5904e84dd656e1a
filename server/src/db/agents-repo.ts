/** @module Agents (configuration items of kind host agent) and their latest heartbeat. */
import type { Kysely, Selectable, Transaction } from 'kysely';
import type { Database } from './schema.js';

type Db = Kysely<Database> | Transaction<Database>;

export interface AgentRecord {
  agentId: string;
  host: string;
  version: string;
  intervalMs: number;
  status: 'up' | 'down';
  firstSeenAt: number;
  lastHeartbeatAt: number;
  lastSentAt: number;
  downSince: number | null;
  inventory: unknown;
  checks: unknown[];
  firingAlerts: number;
}

type Row = Selectable<Database['agents']>;

function toRecord(r: Row): AgentRecord {
  return {
    agentId: r.agent_id,
    host: r.host,
    version: r.version,
    intervalMs: r.interval_ms,
    status: r.status as AgentRecord['status'],
    firstSeenAt: r.first_seen_at,
    lastHeartbeatAt: r.last_heartbeat_at,
    lastSentAt: r.last_sent_at,
    downSince: r.down_since,
    inventory: r.inventory === null ? null : JSON.parse(r.inventory),
    checks: JSON.parse(r.checks),
    firingAlerts: r.firing_alerts,
  };
}

function toRow(a: AgentRecord): Row {
  return {
    agent_id: a.agentId,
    host: a.host,
    version: a.version,
    interval_ms: a.intervalMs,
    status: a.status,
    first_seen_at: a.firstSeenAt,
    last_heartbeat_at: a.lastHeartbeatAt,
    last_sent_at: a.lastSentAt,
    down_since: a.downSince,
    inventory: a.inventory === null ? null : JSON.stringify(a.inventory),
    checks: JSON.stringify(a.checks),
    firing_alerts: a.firingAlerts,
  };
}

export async function findAgent(db: Db, agentId: string, lock = false): Promise<AgentRecord | null> {
  const row = await db.selectFrom('agents').selectAll().where('agent_id', '=', agentId).$if(lock, (q) => q.forUpdate()).executeTakeFirst();
  return row ? toRecord(row) : null;
}

export async function saveAgent(db: Db, agent: AgentRecord, isNew: boolean): Promise<void> {
  if (isNew) await db.insertInto('agents').values(toRow(agent)).execute();
  else await db.updateTable('agents').set(toRow(agent)).where('agent_id', '=', agent.agentId).execute();
}

export async function listAgents(db: Db): Promise<AgentRecord[]> {
  const rows = await db.selectFrom('agents').selectAll().orderBy('host').orderBy('agent_id').execute();
  return rows.map(toRecord);
}

/** Agents marked up whose last heartbeat is older than `missedIntervals` intervals at `now`. */
export async function silentAgents(db: Db, now: number, missedIntervals: number, lock = false): Promise<AgentRecord[]> {
  const rows = await db
    .selectFrom('agents')
    .selectAll()
    .where('status', '=', 'up')
    .where((eb) => eb(eb('last_heartbeat_at', '+', eb('interval_ms', '*', missedIntervals)), '<', now))
    .orderBy('agent_id')
    .$if(lock, (q) => q.forUpdate())
    .execute();
  return rows.map(toRecord);
}
