/** @module What every ingest parser returns. */
import type { AlertEvent } from '../domain/alert.js';
import type { ItemIssue } from './schemas.js';

/**
 * `events` are the valid alerts of the batch, each at most once; `issues` name every rejected
 * one; `merged` counts the valid alerts left out because a later one in the same batch
 * repeats them. `rejected` is true when the body as a whole is unusable (nothing to store).
 */
export interface ParsedBatch {
  events: AlertEvent[];
  issues: ItemIssue[];
  merged: number;
  rejected: boolean;
}

export const MAX_ALERTS_PER_BATCH = 10_000;

export function rejectBatch(issues: ItemIssue[]): ParsedBatch {
  return { events: [], issues, merged: 0, rejected: true };
}

/** A usable batch: its valid events with repeats merged, and the issues of the rest in batch order. */
export function acceptBatch(events: readonly AlertEvent[], issues: ItemIssue[]): ParsedBatch {
  const unique = mergeRepeatedEvents(events);
  // Schema issues are found before the checks made on parsed alerts: the response names the first alert first.
  const ordered = [...issues].sort((a, b) => a.index - b.index);
  return { events: unique, issues: ordered, merged: events.length - unique.length, rejected: false };
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
