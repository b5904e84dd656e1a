/**
 * @module Failed availability checks as outage intervals. Agents report, in every
 * heartbeat, each check's current result and since when it has held (agent time of the
 * first run that gave it); the server keeps one row per (agent, check, since). A check is
 * down from the first failed run to the first passing run after it: [failed.since,
 * next.since). A failure still reported counts until `now`, but no longer than
 * `STALE_INTERVALS` heartbeat intervals past its latest report: after that the agent is
 * silent and `AgentDown` (raised after the same number of missed heartbeats) takes over.
 * States may arrive in any order (queued heartbeats arrive late); the result depends only
 * on the set of states.
 */
import type { TimeInterval } from '../domain/sla.js';
import { mergeIntervals } from './intervals.js';

/** Missed heartbeats after which a failure no longer extends (as for `AgentDown`). */
export const STALE_INTERVALS = 3;

export interface CheckState {
  /** Identifies one check of one agent. */
  check: string;
  since: number;
  success: boolean;
  lastReportedAt: number;
  intervalMs: number;
}

/** The merged intervals during which any of the checks failed. */
export function failedCheckIntervals(states: readonly CheckState[], now: number): TimeInterval[] {
  const byCheck = new Map<string, CheckState[]>();
  for (const s of states) {
    const list = byCheck.get(s.check);
    if (list) list.push(s);
    else byCheck.set(s.check, [s]);
  }
  const out: TimeInterval[] = [];
  for (const list of byCheck.values()) {
    list.sort((a, b) => a.since - b.since);
    list.forEach((s, i) => {
      if (s.success) return;
      const next = list[i + 1];
      const end = next ? next.since : Math.min(now, s.lastReportedAt + STALE_INTERVALS * s.intervalMs);
      out.push({ start: s.since, end: Math.min(end, now) });
    });
  }
  return mergeIntervals(out);
}
