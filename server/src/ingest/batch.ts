/** @module What every ingest parser returns. */
import type { AlertEvent } from '../domain/alert.js';
import { tooManyAlertsMessage, type AlertLimits } from './limits.js';
import type { ItemIssue } from './schemas.js';

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
