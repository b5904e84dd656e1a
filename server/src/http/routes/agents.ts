/**
 * @module Agent endpoints: heartbeats in (scope `ingest`), the agent list out (scope `read`).
 * The server keeps its own schema of the heartbeat; a contract test checks that what the
 * agent sends parses with it. Unknown fields are accepted so newer agents keep working.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import type { AgentRecord } from '../../db/agents-repo.js';
import { getAgent, listAgents, recordHeartbeat, type AgentDeps } from '../../services/agents.js';
import type { Authenticator } from '../../services/tokens.js';
import { requireScope } from '../auth.js';
import { readJsonBody } from '../body.js';
import type { AppEnv } from '../env.js';
import { errorBody, errorResponse } from '../errors.js';
import { iso } from '../present.js';
import { parseRfc3339, Rfc3339Text, Rfc3339Time, timeSkewProblem, type TimeSkew } from '../../domain/time.js';

export const HeartbeatBody = z.looseObject({
  agentId: z.string().min(1).max(200),
  host: z.string().min(1).max(255),
  version: z.string().min(1).max(64),
  sentAt: Rfc3339Time,
  intervalSeconds: z.number().positive().max(86_400),
  sampleIntervalSeconds: z.number().positive().max(86_400).optional(),
  inventory: z.looseObject({}).nullable().optional(),
  checks: z
    .array(
      z.looseObject({
        name: z.string().min(1).max(200),
        type: z.string().min(1).max(32),
        target: z.string().max(2048),
        success: z.boolean(),
        /** Since when `success` has held (agent time); with `service`, failures count as that service's downtime. */
        since: Rfc3339Text.optional(),
        service: z.string().min(1).max(128).optional(),
      }),
    )
    .max(1000)
    .default([]),
  // Stored in a 32-bit column; no agent fires anywhere near a million alerts.
  firingAlerts: z.number().int().nonnegative().max(1_000_000).default(0),
});

function present(a: AgentRecord, detail: boolean) {
  return {
    agentId: a.agentId,
    host: a.host,
    version: a.version,
    status: a.status,
    intervalSeconds: a.intervalMs / 1000,
    firstSeenAt: iso(a.firstSeenAt),
    lastHeartbeatAt: iso(a.lastHeartbeatAt),
    downSince: iso(a.downSince),
    firingAlerts: a.firingAlerts,
    checks: a.checks,
    ...(detail ? { inventory: a.inventory } : {}),
  };
}

/** The heartbeat's time and its checks' `since` must lie within the skew of now: a check failing "since 1900" would be decades of downtime. */
function heartbeatTimeIssues(hb: z.output<typeof HeartbeatBody>, now: number, skew: TimeSkew): { path: string; message: string }[] {
  const issues: { path: string; message: string }[] = [];
  const sent = timeSkewProblem(hb.sentAt, now, skew);
  if (sent) issues.push({ path: 'sentAt', message: `sentAt ${sent}` });
  hb.checks.forEach((check, i) => {
    const since = check.since === undefined ? null : parseRfc3339(check.since);
    const problem = since?.ok ? timeSkewProblem(since.ms, now, skew) : null;
    if (problem) issues.push({ path: `checks.${i}.since`, message: `since ${problem}` });
  });
  return issues;
}

export function agentRoutes(deps: AgentDeps & { authenticator: Authenticator; timeSkew: TimeSkew }): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.post('/api/v1/agents/heartbeat', requireScope(deps.authenticator, 'ingest'), async (c) => {
    const body = await readJsonBody(c);
    if (!body.ok) return errorResponse(c, body.error);
    const parsed = HeartbeatBody.safeParse(body.value.json);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
      return c.json(errorBody(c, 'VALIDATION', `invalid heartbeat: ${issues[0]?.path}: ${issues[0]?.message}`, { issues }), 400);
    }
    const hb = parsed.data;
    const skewed = heartbeatTimeIssues(hb, deps.clock.now(), deps.timeSkew);
    if (skewed.length > 0) return c.json(errorBody(c, 'VALIDATION', `invalid heartbeat: ${skewed[0]?.path}: ${skewed[0]?.message}`, { issues: skewed }), 400);
    const result = await recordHeartbeat(deps, {
      agentId: hb.agentId,
      host: hb.host,
      version: hb.version,
      sentAt: hb.sentAt,
      intervalSeconds: hb.intervalSeconds,
      inventory: hb.inventory ?? null,
      checks: hb.checks,
      firingAlerts: hb.firingAlerts,
    });
    if (!result.ok) return errorResponse(c, result.error);
    return c.json({ status: 'success', agent: present(result.value, false) });
  });

  app.get('/api/v1/agents', requireScope(deps.authenticator, 'read'), async (c) => {
    const agents = await listAgents(deps.handle.db);
    return c.json({ items: agents.map((a) => present(a, false)) });
  });

  app.get('/api/v1/agents/:agentId', requireScope(deps.authenticator, 'read'), async (c) => {
    const agent = await getAgent(deps, c.req.param('agentId'));
    if (!agent) return c.json(errorBody(c, 'NOT_FOUND', `agent ${c.req.param('agentId')} not found`), 404);
    return c.json(present(agent, true));
  });

  return app;
}
