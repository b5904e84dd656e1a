/**
 * @module The correlator: the single writer that applies stored alert events, in log order,
 * to alert state and incidents, and runs housekeeping (expired leases, silences, auto-resolve,
 * close). The decisions are the pure engine's (`correlate/engine.ts`) over state held in
 * memory (`correlate/state.ts`); this service loads that state, feeds it batches from the log,
 * and writes what changed in one transaction per batch, which also marks the events applied,
 * so a crash replays exactly what was not committed.
 *
 * Keeping memory and database in step: the state is loaded when the correlator starts (or
 * leads), and again whenever people changed what it holds (the `correlation_inputs` count,
 * read at the start of every batch) or a transaction of its own failed. Alerts and incidents
 * outside what it keeps (resolved alerts, closed incidents) are read before a batch that
 * names them.
 */
import type { Logger } from 'pino';
import type { Transaction } from 'kysely';
import type { StoredAlertEvent } from '../domain/alert.js';
import { alertEvidence, applyEvents, isEmpty, noChanges, runHousekeeping, type CorrelationChanges, type CorrelationConfig, type CorrelationInput } from '../correlate/engine.js';
import { alertKey, CorrelationState } from '../correlate/state.js';
import type { ServiceGraph } from '../correlate/topology.js';
import { silencesEndingAfter } from '../db/silences-repo.js';
import { changesStartedBetween } from '../db/changes-repo.js';
import { advanceLogCursor, alertEventsById, anyPendingEvent, committedHorizon, deleteAppliedEvents, eventIdsAfter, eventsAfter, readLogCursor, type LogCursor } from '../db/alert-events-repo.js';
import { allAlertKeys, allFiringAlerts, findAlerts, insertAlerts, labelsOfIncidentAlerts, maxAlertId, moveAlerts, recordPastEpisodes, saveAlerts } from '../db/alerts-repo.js';
import { advanceIdSequences, readCorrelationInputs } from '../db/correlation-inputs-repo.js';
import type { DatabaseHandle } from '../db/connection.js';
import { addIncidentMembership, appendTimelineEntries, incidentFacts, insertIncidentsWithIds, maxIncidentId, saveIncidents } from '../db/incidents-repo.js';
import type { Database } from '../db/schema.js';
import { recordConfigurationItems } from '../db/services-repo.js';
import { setAside } from '../db/dead-letters-repo.js';
import type { ServerConfig } from '../config.js';
import type { Clock } from './clock.js';
import type { DatabaseFaults } from './database-availability.js';
import { LeadershipLostError, type Leadership } from './leadership.js';
import { OCCURRENCE_LOOKAHEAD_MS, silencesInEffect } from './recurring-silences.js';

export interface CorrelatorOptions extends CorrelationConfig {
  /** Applied events older than this leave the log (absent: kept). */
  logRetentionMs?: number;
  /** Applying one event may take this long before it is set aside (absent: no bound). */
  eventBudgetMs?: number;
  /** The clock the budget is measured with (default: `performance.now`). */
  budgetClock?: () => number;
  /** The service catalogue as it is now (it can be edited while the server runs). */
  catalogue(): ServiceGraph;
  batchSize?: number;
  /** Events this thread just stored, taken from memory instead of read back (see KeptEvents). */
  kept?: KeptEvents;
  /** Told how many stored events each batch applied (for the ingest backlog). */
  onApplied?(count: number): void;
  /**
   * Several replicas: kicks are ignored unless this replica leads, and every transaction
   * is fenced, so a replica that lost the lease cannot commit. Absent: always leads.
   */
  leadership?: Pick<Leadership, 'isLeader' | 'fence'>;
  /** Takes database faults (an outage is logged once, not per pass). */
  faults?: DatabaseFaults;
}

/** The options that come from the configuration: the same wherever the correlator runs. */
export function correlatorSettings(config: Readonly<ServerConfig>): CorrelationConfig & { logRetentionMs: number; eventBudgetMs: number } {
  const c = config.correlation;
  return {
    logRetentionMs: c.logRetention,
    eventBudgetMs: c.eventBudget,
    grouping: { groupBy: c.groupBy, joinWindowMs: c.joinWindow, maxIncidentSpanMs: c.maxIncidentSpan },
    resolveHoldDownMs: c.resolveHoldDown,
    closeAfterMs: c.closeAfter,
    topologyHops: c.layers.topology ? c.topologyHops : null,
    reopenWindowMs: c.reopenWindow ?? c.resolveHoldDown,
    topologyTiming: { spreadPerHopMs: c.topologySpreadPerHop, upstreamMs: c.topologyUpstreamWindow },
    rootOnsetWindowMs: c.rootOnsetWindow,
    mergeSymptomIncidents: c.mergeSymptomIncidents,
    serviceOnsetWindowMs: c.serviceOnsetWindow,
    changeOnset: c.changeOnset === null ? null : { fromMs: c.changeOnset.from, toMs: c.changeOnset.to, minHops: c.changeOnset.minHops },
    similarity: c.layers.similarity ? c.similarity : null,
    rules: c.rules.map((r) => ({ name: r.name, matchers: r.match, groupBy: r.groupBy, joinWindowMs: r.joinWindow })),
    flap: { windowMs: c.flap.window, threshold: c.flap.threshold },
    inhibitRules: c.inhibitRules.map((r) => ({ sourceMatchers: r.sourceMatch, targetMatchers: r.targetMatch, equal: r.equal })),
  };
}

/**
 * Events the writer on the same connection has just committed, kept for the correlator,
 * which then reads only the ids after its cursor and takes the events from here (no reading
 * back and parsing of every row). An event missing here is read from the log as usual.
 * Bounded: the oldest are dropped first.
 */
export class KeptEvents {
  private readonly byId = new Map<number, StoredAlertEvent>();

  constructor(private readonly limit = 20_000) {}

  /** Only after the commit: ids of a rolled-back insert may be used again. */
  add(events: readonly StoredAlertEvent[]): void {
    for (const e of events) this.byId.set(e.id, e);
    for (const id of this.byId.keys()) {
      if (this.byId.size <= this.limit) break;
      this.byId.delete(id);
    }
  }

  take(id: number): StoredAlertEvent | undefined {
    const e = this.byId.get(id);
    if (e !== undefined) this.byId.delete(id);
    return e;
  }

  get size(): number {
    return this.byId.size;
  }
}

/** The counters the correlator moves (a subset of the server's metrics). */
export interface CorrelatorMetrics {
  incidentsOpened: { inc(labels: { priority: string }): void };
  alertsSuppressed: { inc(labels: { kind: string }): void };
  correlatorErrors: { inc(): void };
}

/**
 * Correlation inside the writer's transaction, for a writer on the correlator's own
 * connection (the ingest thread): when no stored event waits, the events of an append are
 * applied and the cursor moved past them before the one commit, so the sender's 2xx comes with
 * its incidents up to date. If applying fails, the writer commits the events to the log alone
 * and the correlator's own passes take them.
 */
export interface InlineCorrelation {
  /** Within the writer's transaction, before it appends: may the events be applied here? */
  ready(trx: Transaction<Database>): Promise<boolean>;
  /** Events correlated with their append: at most this many per transaction (a larger group waits in the log). */
  readonly maxEvents: number;
  /** Applies the just-appended events (log order) within the writer's transaction; the answer is to be called once it committed. */
  apply(trx: Transaction<Database>, events: readonly StoredAlertEvent[]): Promise<() => void>;
  /** Applying failed (the transaction was rolled back). */
  failed(error: unknown): void;
  /** The transaction `apply` ran in did not commit after all: what it applied in memory is void. */
  discard(): void;
}

export interface Correlator {
  /** Applies every pending event, then runs housekeeping. Resolves when nothing is pending. */
  drain(): Promise<void>;
  /** Asks for a drain soon; coalesces many calls into one pass. With `housekeeping`, that pass also runs it. */
  kick(housekeeping?: boolean): void;
  start(housekeepingIntervalMs: number): void;
  stop(): Promise<void>;
}

type Trx = Transaction<Database>;

/**
 * The most events correlated inside one append's transaction. A larger group (a storm that
 * piled up requests while the thread was busy) waits in the log and is correlated by the
 * passes in batches, so no transaction grows without bound, other writers never wait long
 * for the lock, and the backlog (and with it the 429s of backpressure) shows the overload.
 */
const INLINE_MAX_EVENTS = 1000;

/** How long a kick waits to gather more events; well under any human-visible delay. */
const KICK_DELAY_MS = 20;

/** Resolved alerts not seen for this long leave memory (they are read again when named). */
const EVICT_AFTER_MS = 3_600_000;

/** More events than this of one batch all failing is a fault of the correlator, not of the events. */
const SYSTEMIC_FAILURES = 10;

/** How often housekeeping also trims the log to its retention, and how much one transaction deletes. */
const RETENTION_EVERY_MS = 60_000;
const RETENTION_CHUNK = 5_000;

export function createCorrelator(
  handle: DatabaseHandle,
  clock: Clock,
  options: CorrelatorOptions,
  metrics: CorrelatorMetrics,
  log: Logger,
): Correlator & { inline: InlineCorrelation } {
  const postgres = handle.dialect === 'postgres';
  const batchSize = options.batchSize ?? 1000;
  const eventBudget = options.eventBudgetMs === undefined ? undefined : { ms: options.eventBudgetMs, clock: options.budgetClock ?? (() => performance.now()) };
  const fence = options.leadership?.fence;
  let running: Promise<void> | null = null;
  let rerun = false;
  let timer: NodeJS.Timeout | null = null;
  let stopped = false;

  /** The engine's state; null until loaded, and again once it may differ from the database. */
  let state: CorrelationState | null = null;
  /** The count of people's changes the state was loaded at. */
  let loadedAt = -1;
  /** True between writing changes and their commit: if the commit never comes, the state is dropped. */
  let unconfirmed = false;
  /** Where the log cursor stands after this correlator's last commit; another value means someone else applied events. */
  let expected: LogCursor | null = null;
  /** The cursor the transaction in progress moves to (the expected one once it commits). */
  let moving: LogCursor | null = null;

  /** Drops the state: it is loaded again from what is stored before the next batch. */
  function forget(): void {
    state = null;
    expected = null;
    unconfirmed = false;
  }

  async function loadState(trx: Trx, inputs: number): Promise<CorrelationState> {
    const started = performance.now();
    const fresh = new CorrelationState();
    for (const { source, fingerprint } of await allAlertKeys(trx)) fresh.alertKeys.add(alertKey(source, fingerprint));
    const firing = await allFiringAlerts(trx);
    fresh.addAlerts(firing);
    await addIncidents(trx, fresh, 'candidates');
    // A firing alert may belong to an incident that can take no more (resolved by hand and closed).
    const others = fresh.missingIncidents(firing);
    if (others.length > 0) await addIncidents(trx, fresh, others);
    fresh.nextAlertId = Math.max(fresh.nextAlertId, (await maxAlertId(trx)) + 1);
    fresh.nextIncidentId = Math.max(fresh.nextIncidentId, (await maxIncidentId(trx)) + 1);
    loadedAt = inputs;
    log.debug({ alerts: fresh.alerts.size, incidents: fresh.incidents.size, ms: Math.round(performance.now() - started) }, 'correlator state loaded');
    return fresh;
  }

  /**
   * The state for a transaction that is about to apply `events`: loaded (again) when needed,
   * with the alerts the events name and the incidents those alerts belong to.
   */
  async function prepare(trx: Trx, events: readonly StoredAlertEvent[], sameTransaction = false, known?: LogCursor): Promise<CorrelationState> {
    if (unconfirmed && !sameTransaction) {
      // The last write never reached its commit: memory is ahead of the database.
      forget();
    }
    const inputs = await readCorrelationInputs(trx, postgres);
    if (!sameTransaction) {
      // Another correlator applied events meanwhile (a replica that led, a second process): start over.
      const cursor = known ?? (await readLogCursor(trx));
      if (expected !== null && cursor.id !== expected.id) forget();
      moving = cursor;
    }
    if (state === null || inputs !== loadedAt) state = await loadState(trx, inputs);
    const missing = state.missingAlerts(events);
    if (missing.length === 0) return state;
    const bySource = new Map<string, string[]>();
    for (const { source, fingerprint } of missing) bySource.set(source, [...(bySource.get(source) ?? []), fingerprint]);
    const loaded = [];
    for (const [source, fingerprints] of bySource) loaded.push(...(await findAlerts(trx, source, fingerprints)));
    state.addAlerts(loaded);
    // Every alert already in memory has its incident in memory too: only the loaded ones can miss theirs.
    const incidents = state.missingIncidents(loaded);
    if (incidents.length > 0) await addIncidents(trx, state, incidents);
    return state;
  }

  /** Adds incidents as stored, with the evidence of their alerts (what the similarity layer compares). */
  async function addIncidents(trx: Trx, into: CorrelationState, which: 'candidates' | number[]): Promise<void> {
    const facts = await incidentFacts(trx, which);
    into.addIncidents(facts);
    if (!options.similarity) return;
    for (const { incidentId, labels } of await labelsOfIncidentAlerts(trx, facts.map((f) => f.incident.id))) into.addEvidence(incidentId, alertEvidence(options, labels));
  }

  async function silencesFor(trx: Trx, events: readonly StoredAlertEvent[], now: number) {
    let earliest = now;
    for (const e of events) earliest = Math.min(earliest, e.startsAt);
    return silencesInEffect(trx, earliest - 1, now + OCCURRENCE_LOOKAHEAD_MS);
  }

  /**
   * Changes that began within the change onset window before any of the events: one read per
   * stretch of event time, so a batch holding a backfilled alert from last month does not read
   * (and cut short) every change made since.
   */
  async function changesFor(trx: Trx, events: readonly StoredAlertEvent[]) {
    const windowMs = options.changeOnset?.toMs ?? null;
    if (windowMs === null || events.length === 0) return [];
    const starts = events.map((e) => e.startsAt).sort((a, b) => a - b);
    const stretches: { from: number; to: number }[] = [];
    for (const at of starts) {
      const last = stretches[stretches.length - 1];
      if (last && at - windowMs <= last.to) last.to = at;
      else stretches.push({ from: at - windowMs, to: at });
    }
    const out = [];
    for (const { from, to } of stretches) out.push(...(await changesStartedBetween(trx, null, from, to)));
    return out;
  }

  /** Writes what the engine changed; the state is unconfirmed until the caller's commit. */
  async function write(trx: Trx, changes: CorrelationChanges, now: number): Promise<void> {
    unconfirmed = true;
    if (isEmpty(changes)) return;
    await recordConfigurationItems(trx, 'host', [...changes.seenHosts].sort(), 'alerts', now);
    await insertIncidentsWithIds(trx, changes.newIncidents);
    for (const { from, to } of changes.moves) await moveAlerts(trx, from, to);
    await insertAlerts(trx, changes.newAlerts);
    await saveAlerts(trx, changes.alerts);
    await saveIncidents(trx, changes.incidents);
    await appendTimelineEntries(trx, changes.timeline);
    await addIncidentMembership(trx, changes.services, changes.hosts);
    await recordPastEpisodes(trx, changes.pastEpisodes);
    const created = [...(changes.newAlerts.length ? (['alerts'] as const) : []), ...(changes.newIncidents.length ? (['incidents'] as const) : [])];
    await advanceIdSequences(trx, handle.dialect, created);
  }

  /** After the commit: the state is what is stored; counters move. */
  function committed(changes: CorrelationChanges): void {
    unconfirmed = false;
    expected = moving;
    for (const priority of changes.opened) metrics.incidentsOpened.inc({ priority });
    for (const kind of changes.suppressed) metrics.alertsSuppressed.inc({ kind });
  }

  /** Applies `events` (log order, none before them pending) within `trx`; `committed` is for after the commit. */
  async function applyIn(trx: Trx, events: readonly StoredAlertEvent[], now: number, cursor?: LogCursor): Promise<CorrelationChanges> {
    const current = await prepare(trx, events, false, cursor);
    const silences = await silencesFor(trx, events, now);
    const recentChanges = await changesFor(trx, events);
    const input = { config: options, catalogue: options.catalogue(), silences, changes: recentChanges, now, eventBudget };
    let changes: CorrelationChanges;
    try {
      changes = applyEvents(current, events, input);
    } catch {
      // An event the engine throws on (or that took longer than its budget): memory is
      // half-changed. Start over from what is stored and go an event at a time, setting
      // aside the ones it cannot apply.
      return applyEachSettingAside(trx, events, input);
    }
    await write(trx, changes, now);
    return changes;
  }

  /**
   * Applies `events` one at a time within `trx`, each written before the next; an event the
   * engine throws on is set aside (`dead_letters`, with the error) and the state is loaded
   * again from what this transaction has written so far. Returns the counters of them all.
   */
  async function applyEachSettingAside(trx: Trx, events: readonly StoredAlertEvent[], input: Omit<CorrelationInput, 'now'> & { now: number }): Promise<CorrelationChanges> {
    forget();
    const all = noChanges();
    let setAsideCount = 0;
    let lastError: unknown = null;
    for (const event of events) {
      const current = await prepare(trx, [event], true);
      let changes: CorrelationChanges;
      try {
        changes = applyEvents(current, [event], input);
      } catch (error) {
        forget();
        unconfirmed = true;
        setAsideCount += 1;
        lastError = error;
        // Every event of a large batch failing is no bad event but a fault of the correlator
        // itself: fail the pass (it is retried and counted) rather than set the log aside.
        if (setAsideCount === events.length && events.length > SYSTEMIC_FAILURES) throw lastError;
        const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
        await setAside(trx, event, reason, input.now);
        log.error({ err: error, eventId: event.id, source: event.source, fingerprint: event.fingerprint }, 'an alert event could not be correlated: set aside');
        continue;
      }
      await write(trx, changes, input.now);
      all.opened.push(...changes.opened);
      all.suppressed.push(...changes.suppressed);
    }
    return all;
  }

  /** The next events after the cursor, in log order (from memory where kept), and the cursor after the last. */
  async function pendingEvents(trx: Trx, cursor: LogCursor): Promise<{ events: StoredAlertEvent[]; last: LogCursor }> {
    const kept = options.kept;
    if (!kept || postgres) {
      // PostgreSQL: only up to where every append in flight has committed (see alert-events-repo).
      const horizon = postgres ? await committedHorizon(handle.db) : null;
      const events = await eventsAfter(trx, cursor, batchSize, horizon);
      const lastId = events[events.length - 1]?.id;
      return { events, last: lastId === undefined ? cursor : { id: lastId } };
    }
    const ids = await eventIdsAfter(trx, cursor, batchSize);
    const found: StoredAlertEvent[] = [];
    const missing: number[] = [];
    for (const id of ids) {
      const e = kept.take(id);
      if (e) found.push(e);
      else missing.push(id);
    }
    const events = missing.length === 0 ? found : [...found, ...(await alertEventsById(trx, missing))].sort((a, b) => a.id - b.id);
    const lastId = ids[ids.length - 1];
    return { events, last: lastId === undefined ? cursor : { id: lastId } };
  }

  /** Applies up to one batch of events after the cursor within `trx`; says how many, and what changed. */
  async function applyBatch(trx: Trx, now: number): Promise<{ applied: number; changes: CorrelationChanges | null }> {
    await fence?.enter(trx);
    const cursor = await readLogCursor(trx);
    const { events, last } = await pendingEvents(trx, cursor);
    if (events.length === 0) return { applied: 0, changes: null };
    const changes = await applyIn(trx, events, now, cursor);
    await advanceLogCursor(trx, last);
    moving = last;
    await fence?.confirm(trx);
    return { applied: events.length, changes };
  }

  async function applyPending(): Promise<number> {
    let applied = 0;
    for (;;) {
      const now = clock.now();
      const { applied: count, changes } = await handle.db.transaction().execute((trx) => applyBatch(trx, now));
      if (changes) committed(changes);
      applied += count;
      if (count > 0) options.onApplied?.(count);
      if (count < batchSize) return applied;
      // Let queued work run between batches: requests, and appends waiting for their commit
      // (a timer fires after this turn's immediates, where the ingest thread's commit waits).
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
  }

  async function housekeeping(): Promise<void> {
    const now = clock.now();
    const changes = await handle.db.transaction().execute(async (trx) => {
      await fence?.enter(trx);
      const current = await prepare(trx, []);
      const silences = await silencesInEffect(trx, now, now + OCCURRENCE_LOOKAHEAD_MS);
      const out = runHousekeeping(current, { config: options, catalogue: options.catalogue(), silences, now });
      await write(trx, out, now);
      await fence?.confirm(trx);
      return out;
    });
    committed(changes);
    state?.evict(now - EVICT_AFTER_MS);
    await trimLog(now);
  }

  let trimmedAt = -Infinity;
  /** Deletes applied events older than the retention, a chunk per transaction, at most once a minute. */
  async function trimLog(now: number): Promise<void> {
    const retention = options.logRetentionMs;
    if (retention === undefined || now - trimmedAt < RETENTION_EVERY_MS) return;
    trimmedAt = now;
    let deleted = 0;
    for (;;) {
      const round = await handle.db.transaction().execute(async (trx) => {
        await fence?.enter(trx);
        const out = await deleteAppliedEvents(trx, now - retention, RETENTION_CHUNK);
        await fence?.confirm(trx);
        return out;
      });
      deleted += round.deleted;
      if (round.deleted < round.examined || round.examined < RETENTION_CHUNK) break;
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    if (deleted > 0) log.info({ deleted, retentionMs: retention }, 'alert event log trimmed to its retention');
  }

  /**
   * One loop runs at a time. A kick asks for the pending events to be applied; the timer
   * (and drain) also asks for housekeeping. Requests that arrive while a pass runs are
   * folded into one more pass, so a storm of ingest commits costs a few large batches.
   */
  let wantHousekeeping = false;
  let kickTimer: NodeJS.Timeout | null = null;

  function runOnce(withHousekeeping: boolean): Promise<void> {
    wantHousekeeping ||= withHousekeeping;
    if (running) {
      rerun = true;
      return running;
    }
    running = (async () => {
      try {
        do {
          rerun = false;
          await applyPending();
          if (wantHousekeeping) {
            wantHousekeeping = false;
            await housekeeping();
          }
        } while (rerun && !stopped);
      } catch (error) {
        // Whatever the engine changed in memory was not committed: load it again next time.
        forget();
        if (error instanceof LeadershipLostError) {
          // Expected once another replica took over: the batch was rolled back, not lost.
          log.warn({ err: error }, 'correlator pass discarded: this replica no longer leads');
          return;
        }
        metrics.correlatorErrors.inc();
        if (!options.faults?.failed(error)) log.error({ err: error }, 'correlator pass failed; will retry');
      } finally {
        running = null;
      }
    })();
    return running;
  }

  const inline: InlineCorrelation = {
    maxEvents: INLINE_MAX_EVENTS,
    async ready(trx) {
      // Log order: only when nothing stored earlier still waits (a backlog, or another writer's events).
      return !stopped && options.leadership === undefined && !(await anyPendingEvent(trx));
    },
    async apply(trx, events) {
      const changes = await applyIn(trx, events, clock.now());
      // Nothing before them waited (`ready`), so the cursor moves to the last of them.
      const last = events.reduce((max, e) => Math.max(max, e.id), 0);
      await advanceLogCursor(trx, { id: last });
      moving = { id: last };
      return () => committed(changes);
    },
    discard() {
      forget();
    },
    failed(error) {
      forget();
      metrics.correlatorErrors.inc();
      if (!options.faults?.failed(error)) log.error({ err: error }, 'correlating with the append failed; the events are stored and wait for the correlator');
    },
  };

  return {
    inline,
    async drain() {
      // Waits for an in-flight pass, then runs one that sees everything committed so far.
      if (running) await running;
      await runOnce(true);
    },
    kick(withHousekeeping = false) {
      if (stopped || options.leadership?.isLeader() === false) return;
      wantHousekeeping ||= withHousekeeping;
      if (running) {
        rerun = true;
        return;
      }
      // A short delay gathers the events of many concurrent requests into one batch.
      kickTimer ??= setTimeout(() => {
        kickTimer = null;
        void runOnce(false);
      }, KICK_DELAY_MS);
    },
    start(intervalMs) {
      stopped = false;
      // Another replica may have led meanwhile: start from what is stored.
      forget();
      timer = setInterval(() => void runOnce(true), intervalMs);
      timer.unref();
      void runOnce(true);
    },
    async stop() {
      stopped = true;
      if (timer) clearInterval(timer);
      if (kickTimer) clearTimeout(kickTimer);
      timer = null;
      kickTimer = null;
      if (running) await running;
      forget();
    },
  };
}
