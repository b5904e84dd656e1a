/** @module What every ingest parser returns. */
import type { AlertEvent, Labels } from '../domain/alert.js';
import type { TimeSkew } from '../domain/time.js';
import { limitAlert, tooManyAlertsMessage, type AlertLimits } from './limits.js';
import { timeSkewIssue, type ItemIssue } from './schemas.js';

/**
 * `events` are the valid alerts of the batch, each at most once; `issues` name every rejected
 * one; `truncated` names every annotation value cut to the size limit (see limits.ts);
 * `merged` counts the valid alerts left out because a later one in the same batch repeats
 * them. `rejected` is true when the body as a whole is unusable (nothing to store), and
 * `tooLarge` when that is because it holds more alerts than allowed.
 */
export interface ParsedBatch {
  events: AlertEvent[];
  issues: ItemIssue[];
  truncated: ItemIssue[];
  merged: number;
  rejected: boolean;
  tooLarge?: boolean;
}

export function rejectBatch(issues: ItemIssue[], options: { tooLarge?: boolean } = {}): ParsedBatch {
  return { events: [], issues, truncated: [], merged: 0, rejected: true, ...(options.tooLarge ? { tooLarge: true } : {}) };
}

/** A usable batch: its valid events with repeats merged, and the issues of the rest in batch order. */
export function acceptBatch(events: readonly AlertEvent[], issues: ItemIssue[], truncated: ItemIssue[] = []): ParsedBatch {
  const unique = mergeRepeatedEvents(events);
  // Schema issues are found before the checks made on parsed alerts: the response names the first alert first.
  const ordered = [...issues].sort((a, b) => a.index - b.index);
  return { events: unique, issues: ordered, truncated, merged: events.length - unique.length, rejected: false };
}

/** The batch refused whole when it holds more alerts than `limits` allow; null when it does not. */
export function refuseOversizedBatch(count: number, limits: AlertLimits, path = 'alerts'): ParsedBatch | null {
  if (count <= limits.maxAlertsPerRequest) return null;
  return rejectBatch([{ index: -1, path, message: tooManyAlertsMessage(count, limits) }], { tooLarge: true });
}

/**
 * Keeps one event per identity (source, fingerprint, status, start: what the event log stores
 * once): the last one sent, in its place, as Alertmanager lets the later of two alerts with one
 * fingerprint win. Storing both would touch one row twice in one statement, which PostgreSQL
 * refuses (`ON CONFLICT DO UPDATE command cannot affect row a second time`) for the whole batch.
 */
export function mergeRepeatedEvents(events: readonly AlertEvent[]): AlertEvent[] {
  const lastIndex = new Map<string, number>();
  events.forEach((e, i) => lastIndex.set(identityOf(e), i));
  if (lastIndex.size === events.length) return [...events];
  return events.filter((e, i) => lastIndex.get(identityOf(e)) === i);
}

const identityOf = (e: AlertEvent) => `${e.source}\u0000${e.fingerprint}\u0000${e.status}\u0000${e.startsAt}`;

/** What the checks of a batch's alerts need, and where they record what they refuse or cut. */
export interface AlertChecks {
  now: number;
  skew: TimeSkew;
  limits: AlertLimits;
  issues: ItemIssue[];
  truncated: ItemIssue[];
}

/**
 * The checks every alert of a batch passes beyond its schema: the times its sender gave
 * within the skew window, then its labels and annotations within the limits. Records what it
 * refuses or cuts in `checks`; returns the annotations to store, or null when the alert is refused.
 */
export function checkAlert(index: number, alert: { labels: Labels; annotations?: Labels; startsAt?: number | null; endsAt?: number | null }, checks: AlertChecks): Labels | null {
  const skewed = timeSkewIssue(index, { startsAt: alert.startsAt, endsAt: alert.endsAt }, checks.now, checks.skew);
  if (skewed) {
    checks.issues.push(skewed);
    return null;
  }
  const limited = limitAlert(index, `alerts.${index}`, alert.labels, alert.annotations ?? {}, checks.limits);
  if (!limited.ok) {
    checks.issues.push(...limited.issues);
    return null;
  }
  checks.truncated.push(...limited.truncated);
  return limited.annotations;
}
