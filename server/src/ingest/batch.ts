/** @module What every ingest parser returns. */
import type { AlertEvent } from '../domain/alert.js';
import type { ItemIssue } from './schemas.js';

/**
 * `events` are the valid alerts of the batch; `issues` name every rejected one.
 * `rejected` is true when the body as a whole is unusable (nothing to store).
 */
export interface ParsedBatch {
  events: AlertEvent[];
  issues: ItemIssue[];
  rejected: boolean;
}

export const MAX_ALERTS_PER_BATCH = 10_000;

export function rejectBatch(issues: ItemIssue[]): ParsedBatch {
  return { events: [], issues, rejected: true };
}
