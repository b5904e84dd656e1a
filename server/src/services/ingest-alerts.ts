/**
 * @module Durable ingest: valid events are appended to the alert event log, and the sender
 * gets its 2xx once that commit is done (nothing else needs to be); the correlator is then
 * asked to apply them. On the ingest thread, when no stored event waits, they are applied in
 * the same transaction instead (see InlineCorrelation), so the answer comes with the
 * incidents already up to date.
 *
 * Group commit: batches from requests that arrive in the same event-loop turn share one
 * transaction, so many concurrent senders pay for one commit instead of one each. Every
 * caller still waits for that commit before it answers.
 */
import type { Transaction } from 'kysely';
import type { AlertEvent, AlertSource } from '../domain/alert.js';
import type { ParsedBatch } from '../ingest/batch.js';
import { appendAlertEvents, type StoredAlertEvent } from '../db/alert-events-repo.js';
import type { Database } from '../db/schema.js';
import type { DatabaseHandle } from '../db/connection.js';
import type { AdmissionControl } from './admission.js';
import type { Clock } from './clock.js';
import type { InlineCorrelation, KeptEvents } from './correlator.js';
import type { ServerMetrics } from './metrics.js';

/** What an append committed. */
export interface Appended {
  /** Events appended to the log (a re-send is appended too; applying it changes nothing). */
  stored: number;
  /** Of those, how many were correlated in the same commit (see InlineCorrelation); the rest wait for the correlator. */
  correlated: number;
}

export interface EventWriter {
  /** Resolves once the events are committed. */
  append(events: readonly AlertEvent[], receivedAt: number): Promise<Appended>;
}

interface Pending {
  events: readonly AlertEvent[];
  receivedAt: number;
  resolve(appended: Appended): void;
  reject(error: unknown): void;
}

/** How long the first request of a group waits for others to share its commit. */
const GROUP_COMMIT_WINDOW_MS = 2;

export interface EventWriterOptions {
  /** Told, once committed, that new or changed events wait (the correlator's kick). */
  stored?(): void;
  /** The events stored are also handed to a correlator on the same connection (see KeptEvents), once committed. */
  kept?: KeptEvents;
  /** A correlator on the same connection that may apply the events in the append's transaction. */
  correlate?: InlineCorrelation;
  /**
   * The group-commit window. 0 (the ingest thread): commit in the same turn of the event loop,
   * which already holds every request that came in while the thread was busy.
   */
  windowMs?: number;
}

export function createEventWriter(handle: DatabaseHandle, options: EventWriterOptions = {}): EventWriter {
  const { kept, windowMs = GROUP_COMMIT_WINDOW_MS } = options;
  let queue: Pending[] = [];
  let scheduled = false;

  /** Appends within `trx`; the stored events to keep go to `keep`, handed over after the commit. */
  async function appendIn(trx: Transaction<Database>, item: Pending, keep: StoredAlertEvent[]): Promise<number> {
    const stored = await appendAlertEvents(trx, item.events, item.receivedAt);
    if (kept) keep.push(...stored);
    return stored.length;
  }

  /** After a commit: hand over what was stored and say that events wait. */
  function committed(keep: StoredAlertEvent[], stored: number): void {
    kept?.add(keep);
    if (stored > 0) options.stored?.();
  }

  async function commitEach(items: Pending[]): Promise<void> {
    // One failing batch must not fail the others that happened to share its commit.
    for (const item of items) {
      try {
        const keep: StoredAlertEvent[] = [];
        const stored = await handle.db.transaction().execute((trx) => appendIn(trx, item, keep));
        committed(keep, stored);
        item.resolve({ stored, correlated: 0 });
      } catch (error) {
        item.reject(error);
      }
    }
  }

  /**
   * Appends a group in one transaction: correlated in it when the correlator allows (see
   * InlineCorrelation), else to the log alone (kept for the correlator, which is then told).
   * Resolves every caller; rejects only when the transaction failed.
   */
  async function commitGroup(items: Pending[], correlate: InlineCorrelation | undefined): Promise<void> {
    const keep: StoredAlertEvent[] = [];
    let afterCommit: (() => void) | null = null;
    const size = items.reduce((n, item) => n + item.events.length, 0);
    const run = handle.db.transaction().execute(async (trx) => {
      const inline = correlate !== undefined && size <= correlate.maxEvents && (await correlate.ready(trx));
      const out: number[] = [];
      const events: StoredAlertEvent[] = [];
      for (const item of items) {
        if (!inline) {
          out.push(await appendIn(trx, item, keep));
          continue;
        }
        const stored = await appendAlertEvents(trx, item.events, item.receivedAt);
        events.push(...stored);
        out.push(stored.length);
      }
      if (inline && events.length > 0) {
        try {
          afterCommit = await correlate.apply(trx, events);
        } catch (error) {
          throw new CorrelationFailed(error);
        }
      }
      return { counts: out, correlated: inline };
    });
    let outcome: Awaited<typeof run>;
    try {
      outcome = await run;
    } catch (error) {
      // Applied, then not committed (the commit itself failed): the correlator's memory is void.
      if (afterCommit) correlate?.discard();
      throw error;
    }
    const { counts, correlated } = outcome;
    (afterCommit as (() => void) | null)?.();
    if (!correlated) committed(keep, counts.reduce((a, b) => a + b, 0));
    items.forEach((item, i) => item.resolve({ stored: counts[i] ?? 0, correlated: correlated ? (counts[i] ?? 0) : 0 }));
  }

  async function flush(): Promise<void> {
    const items = queue;
    queue = [];
    scheduled = false;
    try {
      return await commitGroup(items, options.correlate);
    } catch (error) {
      if (error instanceof CorrelationFailed) {
        // Nothing was committed: append the group alone, for the correlator's own passes.
        options.correlate?.failed(error.cause);
        try {
          return await commitGroup(items, undefined);
        } catch {
          // One request's events are the trouble: below, each on its own.
        }
      } else if (items.length === 1) {
        (items[0] as Pending).reject(error);
        return;
      }
    }
    return commitEach(items);
  }

  return {
    append(events, receivedAt) {
      if (events.length === 0) return Promise.resolve({ stored: 0, correlated: 0 });
      return new Promise((resolve, reject) => {
        queue.push({ events, receivedAt, resolve, reject });
        if (!scheduled) {
          scheduled = true;
          if (windowMs === 0) setImmediate(() => void flush());
          else setTimeout(() => void flush(), windowMs);
        }
      });
    },
  };
}

/** Correlating a group with its append failed; the transaction was rolled back. */
class CorrelationFailed extends Error {
  constructor(cause: unknown) {
    super('correlating with the append failed', { cause });
  }
}

export interface IngestDeps {
  /** Tells the correlator itself once events are stored (see EventWriterOptions.stored). */
  writer: EventWriter;
  admission: AdmissionControl;
  clock: Clock;
  metrics: ServerMetrics;
}

export interface IngestOutcome {
  /** Valid alerts in the batch (a repeat within the batch counts once). */
  accepted: number;
  /** Events appended to the log. */
  stored: number;
  rejected: number;
}

export async function storeAlertBatch(deps: IngestDeps, source: AlertSource, batch: ParsedBatch): Promise<IngestOutcome> {
  const rejected = new Set(batch.issues.map((i) => i.index)).size;
  const { stored, correlated } = await deps.writer.append(batch.events, deps.clock.now());
  const accepted = batch.events.length;
  const m = deps.metrics.alertsIngested;
  if (stored > 0) m.inc({ source, outcome: 'accepted' }, stored);
  // Re-sends are appended like anything else (applying one changes nothing); repeats within one request are merged.
  if (batch.merged > 0) m.inc({ source, outcome: 'duplicate' }, batch.merged);
  if (rejected > 0) m.inc({ source, outcome: 'rejected' }, rejected);
  // Events correlated with their append never join the correlator's backlog.
  if (stored > correlated) deps.admission.stored(stored - correlated);
  return { accepted, stored, rejected };
}
