/**
 * @module Durable ingest: valid events are committed to the alert event log before the
 * sender gets its 2xx; the correlator is then asked to apply them.
 */
import type { AlertSource } from '../domain/alert.js';
import type { ParsedBatch } from '../ingest/batch.js';
import { appendAlertEvents } from '../db/alert-events-repo.js';
import type { DatabaseHandle } from '../db/connection.js';
import type { Clock } from './clock.js';
import type { Correlator } from './correlator.js';
import type { ServerMetrics } from './metrics.js';

export interface IngestDeps {
  handle: DatabaseHandle;
  clock: Clock;
  correlator: Correlator;
  metrics: ServerMetrics;
}

export interface IngestOutcome {
  /** Valid alerts in the batch (stored, or already stored before). */
  accepted: number;
  /** Alerts that were new or changed (the rest repeated what we had). */
  stored: number;
  rejected: number;
}

export async function storeAlertBatch(deps: IngestDeps, source: AlertSource, batch: ParsedBatch): Promise<IngestOutcome> {
  const rejected = new Set(batch.issues.map((i) => i.index)).size;
  const stored = await appendAlertEvents(deps.handle.db, batch.events, deps.clock.now());
  const accepted = batch.events.length;
  const m = deps.metrics.alertsIngested;
  if (stored > 0) m.inc({ source, outcome: 'accepted' }, stored);
  if (accepted - stored > 0) m.inc({ source, outcome: 'duplicate' }, accepted - stored);
  if (rejected > 0) m.inc({ source, outcome: 'rejected' }, rejected);
  if (stored > 0) deps.correlator.kick();
  return { accepted, stored, rejected };
}
