/**
 * @module Availability-check states from a heartbeat, for the SLA: each check that names
 * its `service` and says `since` when its result has held becomes one state row (see
 * sla/check-outages.ts for how rows become outage intervals). Checks without a service or
 * without `since` (older agents) do not count.
 */
import type { CheckStateRow } from '../db/sla-repo.js';
import type { HeartbeatInput } from '../domain/heartbeat.js';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function checkStatesOfHeartbeat(input: HeartbeatInput): CheckStateRow[] {
  const out: CheckStateRow[] = [];
  for (const check of input.checks) {
    if (!isObject(check) || typeof check.name !== 'string' || typeof check.success !== 'boolean' || typeof check.service !== 'string' || typeof check.since !== 'string') continue;
    const since = Date.parse(check.since);
    if (Number.isNaN(since)) continue;
    out.push({
      agentId: input.agentId,
      checkName: check.name,
      since,
      success: check.success,
      service: check.service,
      host: input.host,
      // A state is reported as of the heartbeat's own time, never before it began.
      lastReportedAt: Math.max(input.sentAt, since),
      intervalMs: Math.round(input.intervalSeconds * 1000),
    });
  }
  return out;
}
