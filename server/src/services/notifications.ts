/**
 * @module Outgoing webhooks. The incident timeline is already written in the transaction
 * that changes an incident, so it is the source of truth: a dispatcher reads it behind a
 * cursor, queues one outbox row per notifiable entry and subscribed webhook (in one short
 * transaction, idempotent on `<webhook>:<timeline id>`), and delivers due rows over HTTP
 * outside any transaction, a bounded number at a time, on its own timer. Ingest and the
 * correlator never wait for a receiver.
 */
import { describeLikelyCause } from '../changes/rank.js';
import { changesOfIncident, type ChangeAnalysisDeps } from './change-analysis.js';
import { createHmac } from 'node:crypto';
import type { Logger } from 'pino';
import type { ServerConfig } from '../config.js';
import { mergedInto } from '../domain/incident.js';
import {
  advanceCursor,
  judgeResponse,
  notificationEventOf,
  parseRetryAfter,
  renderJsonPayload,
  renderSlackPayload,
  incidentLinks,
  retryDelay,
  stopsNotifications,
  type DeliveryOutcome,
  type DeliveryState,
  type NotificationEvent,
} from '../domain/notification.js';
import { fail, ok, type Result } from '../domain/result.js';
import type { DatabaseHandle } from '../db/connection.js';
import { findIncident } from '../db/incidents-repo.js';
import type { DatabaseFaults } from './database-availability.js';
import {
  claimDueDeliveries,
  deliveriesOfIncident,
  deliveryStatesOf,
  suppressPendingDeliveries,
  failDeliveriesOfRemovedWebhooks,
  incidentSnapshots,
  incidentsToldTo,
  insertOutboxRows,
  lockTimelineCursor,
  recordDeliveryResult,
  saveTimelineCursor,
  timelineAfter,
  timelineIdsAfter,
  timelineInGaps,
  type NewOutboxRow,
  type OutboxRecord,
  type TimelineRow,
} from '../db/notifications-repo.js';
import type { Clock } from './clock.js';

type NotificationsConfig = ServerConfig['notifications'];
type Webhook = NotificationsConfig['webhooks'][number];

/** Outcomes as values, for a metrics collector; the no-op one is the default. */
export interface NotifierMetrics {
  attempt(webhook: string, outcome: 'delivered' | 'retry' | 'failed'): void;
  /** Pending deliveries given up because their webhook left the configuration. */
  orphaned(webhook: string, count: number): void;
  passFailed(): void;
}

const noMetrics: NotifierMetrics = { attempt: () => {}, orphaned: () => {}, passFailed: () => {} };

export interface NotifierOptions {
  /** Requests in flight at once, over all webhooks. */
  concurrency?: number;
  /** Requests in flight at once to one webhook, so one slow receiver cannot take every slot. */
  perWebhookConcurrency?: number;
  /** How long a hole in the timeline ids is watched for a late commit (see `advanceCursor`). */
  gapGraceMs?: number;
  /** Timeline entries read per transaction. */
  scanBatch?: number;
  /** In [0, 1): retry jitter. */
  random?: () => number;
  metrics?: NotifierMetrics;
  /** Takes database faults (an outage is logged once, not per pass). */
  faults?: DatabaseFaults;
  /** The server's public URL (config `publicUrl`): notifications link to the incident. */
  publicUrl?: string | null;
  /** "What changed?": an `opened` notification names the likely cause when one is flagged. */
  changeAnalysis?: Omit<ChangeAnalysisDeps, 'handle'>;
}

export interface Notifier {
  /** Runs a pass every `intervalMs` (and one now). */
  start(intervalMs: number): void;
  /** Stops the timer, cancels requests in flight (they are retried later) and waits for them. */
  stop(): Promise<void>;
  /** Queues what the timeline holds and delivers until nothing is due now. */
  drain(): Promise<void>;
}

const CURSOR = 'webhooks';
/** A claimed row is due again this long after its request's timeout, should this process die. */
const CLAIM_MARGIN_MS = 30_000;
const ERROR_SNIPPET = 200;

/** At most `max` characters of a response body, without reading the rest. */
async function readSnippet(response: Response, max: number): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  try {
    while (text.length < max) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  return text.replace(/\s+/g, ' ').trim().slice(0, max);
}

function describeFetchError(error: unknown, timeoutMs: number): string {
  const e = error as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError') return `timed out after ${timeoutMs} ms`;
  if (e?.name === 'AbortError') return 'interrupted: the server was stopping';
  const cause = e?.cause?.code ?? e?.cause?.message;
  return `network error: ${cause ?? e?.message ?? String(error)}`;
}

export function signBody(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

export function createNotifier(
  config: Readonly<NotificationsConfig>,
  handle: DatabaseHandle,
  clock: Clock,
  log: Logger,
  options: NotifierOptions = {},
): Notifier {
  const concurrency = options.concurrency ?? 4;
  const perWebhook = Math.min(concurrency, options.perWebhookConcurrency ?? 2);
  const gapGraceMs = options.gapGraceMs ?? 10 * 60_000;
  const scanBatch = options.scanBatch ?? 1000;
  const random = options.random ?? Math.random;
  const metrics = options.metrics ?? noMetrics;
  const lock = handle.dialect === 'postgres';
  const webhooks = new Map(config.webhooks.map((w) => [w.name, w]));

  /**
   * Deliveries queued for a webhook that has since been removed from the configuration
   * would stay pending for ever: they fail once, visibly (state, error, a warning).
   */
  let orphansChecked = false;
  async function failOrphanedDeliveries(): Promise<void> {
    if (orphansChecked) return;
    const reason = (name: string) => `not sent: webhook ${name} is no longer in the configuration`;
    const failed = await failDeliveriesOfRemovedWebhooks(handle.db, [...webhooks.keys()], reason, clock.now());
    for (const [webhook, count] of failed) {
      metrics.orphaned(webhook, count);
      log.warn({ webhook, deliveries: count }, 'notifications: pending deliveries of a webhook that is no longer configured were marked failed');
    }
    orphansChecked = true;
  }

  /**
   * Queues one outbox row per notifiable entry and subscribed webhook, in timeline order.
   * Silences and merges: an entry saying the incident's alerts were all silenced, or that it
   * was merged into another, stops the incident's undelivered notifications, and a webhook
   * that was told nothing about an incident because of that is not told that it resolved either.
   * The merge itself is an event (`merged`), sent only to webhooks that may know the incident
   * (see `incidentsToldTo`), so that nobody works it twice; to the others it stays silent.
   */
  async function queueEntries(trx: Parameters<typeof insertOutboxRows>[0], entries: readonly TimelineRow[], now: number): Promise<void> {
    const notifiable = entries.flatMap((entry) => {
      const event = notificationEventOf(entry.kind, entry.data);
      const stop = stopsNotifications(entry.kind, entry.data);
      return event || stop ? [{ entry, event, stop }] : [];
    });
    if (notifiable.length === 0) return;
    const incidentIds = [...new Set(notifiable.map((n) => n.entry.incidentId))];
    const incidents = await incidentSnapshots(trx, incidentIds);
    const watched = new Set(notifiable.filter((n) => n.event === 'resolved' || n.stop).map((n) => n.entry.incidentId));
    const history = watched.size ? await deliveryStatesOf(trx, [...watched]) : new Map<string, DeliveryState[]>();
    // Read before this batch's stops turn pending rows into suppressed ones.
    const mergedAway = [...new Set(notifiable.filter((n) => n.event === 'merged').map((n) => n.entry.incidentId))];
    const told = mergedAway.length ? await incidentsToldTo(trx, mergedAway, lock) : new Set<string>();
    const rows: NewOutboxRow[] = [];
    const stoppedBefore: { incidentId: number; timelineId: number; reason: string }[] = [];
    for (const { entry, event, stop } of notifiable) {
      const incident = incidents.get(entry.incidentId);
      if (!incident) continue;
      if (stop) {
        // Only what was queued before the entry: a `merged` event queued from it below is sent.
        for (const row of rows) if (row.incidentId === entry.incidentId && !row.suppressed) row.suppressed = stop;
        for (const [key, states] of history) if (key.endsWith(`\u0000${entry.incidentId}`)) history.set(key, states.map((x) => (x === 'pending' ? 'suppressed' : x)));
        stoppedBefore.push({ incidentId: entry.incidentId, timelineId: entry.id, reason: stop });
      }
      if (event === null) continue;
      const data = entry.data as { priorityFrom?: unknown; service?: unknown } | null;
      const into = mergedInto(entry.kind, entry.data);
      const likelyCause = event === 'opened' && options.changeAnalysis ? describeLikelyCause(await changesOfIncident({ handle, ...options.changeAnalysis }, incident, trx), incident.openedAt) : null;
      for (const webhook of webhooks.values()) {
        if (!webhook.events.includes(event)) continue;
        const idempotencyKey = `${webhook.name}:${entry.id}`;
        const key = `${webhook.name}\u0000${entry.incidentId}`;
        const before = history.get(key) ?? [];
        const untold = event === 'resolved' && before.length > 0 && before.every((x) => x === 'suppressed');
        const suppressed = untold
          ? 'not sent: nothing was sent about this incident, its alerts were silenced'
          : event === 'merged' && !told.has(key)
            ? `not sent: nothing was sent about this incident before it was merged into #${into}`
            : null;
        const content = {
          event,
          idempotencyKey,
          at: entry.at,
          actor: entry.actor,
          message: entry.message,
          incident,
          previousPriority: typeof data?.priorityFrom === 'string' ? data.priorityFrom : null,
          links: incidentLinks(options.publicUrl ?? null, entry.incidentId),
          ...(into === null ? {} : { mergedInto: { id: into, links: incidentLinks(options.publicUrl ?? null, into) } }),
          ...(event === 'incident_service_added' && typeof data?.service === 'string' ? { addedService: data.service } : {}),
          ...(likelyCause ? { likelyCause } : {}),
        };
        const payload = webhook.format === 'slack' ? renderSlackPayload(content) : renderJsonPayload(content);
        rows.push({
          idempotencyKey,
          webhook: webhook.name,
          incidentId: entry.incidentId,
          timelineId: entry.id,
          event,
          at: entry.at,
          payload: JSON.stringify(payload),
          ...(suppressed ? { suppressed } : {}),
        });
        if (watched.has(entry.incidentId)) history.set(key, [...before, suppressed ? 'suppressed' : 'pending']);
      }
    }
    await insertOutboxRows(trx, rows, now);
    for (const x of stoppedBefore) await suppressPendingDeliveries(trx, x.incidentId, x.timelineId, x.reason, now);
  }

  /** Reads the timeline behind the cursor and queues outbox rows; one transaction per batch. */
  async function queueFromTimeline(): Promise<void> {
    await failOrphanedDeliveries();
    for (;;) {
      const now = clock.now();
      const full = await handle.db.transaction().execute(async (trx) => {
        const cursor = await lockTimelineCursor(trx, CURSOR, now, lock);
        if (webhooks.size === 0) {
          // Nothing to queue: only the cursor moves, so only ids are read (an alert storm
          // writes a timeline entry per alert; reading them all back would cost as much).
          const ids = await timelineIdsAfter(trx, cursor.position, cursor.gaps, scanBatch);
          const advanced = advanceCursor(cursor, [...ids.late, ...ids.fresh].sort((a, b) => a - b), now, gapGraceMs);
          if (advanced.dropped) log.warn({ dropped: advanced.dropped }, 'notifications: too many timeline gaps watched; the oldest are no longer');
          await saveTimelineCursor(trx, CURSOR, advanced.cursor, now);
          return ids.fresh.length === scanBatch;
        }
        const late = await timelineInGaps(trx, cursor.gaps);
        const fresh = await timelineAfter(trx, cursor.position, scanBatch);
        const entries = [...late, ...fresh].sort((a, b) => a.id - b.id);
        if (late.length) log.info({ ids: late.map((e) => e.id) }, 'notifications: picked up timeline entries that committed late');
        if (webhooks.size) await queueEntries(trx, entries, now);
        const advanced = advanceCursor(cursor, entries.map((e) => e.id).sort((a, b) => a - b), now, gapGraceMs);
        if (advanced.dropped) log.warn({ dropped: advanced.dropped }, 'notifications: too many timeline gaps watched; the oldest are no longer');
        await saveTimelineCursor(trx, CURSOR, advanced.cursor, now);
        return fresh.length === scanBatch;
      });
      if (!full) return;
    }
  }

  async function send(row: OutboxRecord, webhook: Webhook, signal: AbortSignal): Promise<{ outcome: DeliveryOutcome; status: number | null }> {
    const headers = new Headers(webhook.headers);
    headers.set('Content-Type', 'application/json');
    headers.set('User-Agent', 'Sightline-Webhook');
    headers.set('Idempotency-Key', row.idempotencyKey);
    headers.set('X-Sightline-Event', row.event);
    if (webhook.secret) headers.set('X-Sightline-Signature', signBody(webhook.secret, row.payload));
    try {
      const response = await fetch(webhook.url, {
        method: 'POST',
        headers,
        body: row.payload,
        // A redirected POST would become a GET; a webhook URL that moved is a configuration error.
        redirect: 'manual',
        signal: AbortSignal.any([AbortSignal.timeout(config.timeout), signal]),
      });
      let snippet = '';
      if (response.ok) await response.body?.cancel();
      else snippet = await readSnippet(response, ERROR_SNIPPET);
      return { outcome: judgeResponse(response.status, parseRetryAfter(response.headers.get('retry-after'), clock.now()), snippet), status: response.status };
    } catch (error) {
      return { outcome: { kind: 'retry', error: describeFetchError(error, config.timeout), retryAfterMs: null }, status: null };
    }
  }

  const inFlight = new Set<Promise<void>>();
  const inFlightPerWebhook = new Map<string, number>();
  let shutdown = new AbortController();
  let stopped = false;

  async function deliver(row: OutboxRecord, webhook: Webhook): Promise<void> {
    const { outcome, status } = await send(row, webhook, shutdown.signal);
    const now = clock.now();
    let state: DeliveryState = 'pending';
    let nextAttemptAt: number | null = null;
    let error: string | null = null;
    if (outcome.kind === 'delivered') state = 'delivered';
    else if (outcome.kind === 'failed' || row.attempts >= config.maxAttempts) {
      state = 'failed';
      error = outcome.error;
    } else {
      nextAttemptAt = now + retryDelay(row.attempts, { minMs: config.minBackoff, maxMs: config.maxBackoff }, random(), outcome.retryAfterMs);
      error = outcome.error;
    }
    metrics.attempt(webhook.name, state === 'pending' ? 'retry' : state);
    if (state !== 'delivered') log.warn({ webhook: webhook.name, key: row.idempotencyKey, attempt: row.attempts, error, state }, 'notification not delivered');
    await recordDeliveryResult(handle.db, row.id, row.attempts, { state, nextAttemptAt, lastStatus: status, lastError: error, deliveredAt: state === 'delivered' ? now : null }, now);
  }

  /** Claims due rows while there are free slots and starts their requests; returns how many started. */
  async function fillSlots(): Promise<number> {
    let started = 0;
    for (const webhook of webhooks.values()) {
      const free = Math.min(concurrency - inFlight.size, perWebhook - (inFlightPerWebhook.get(webhook.name) ?? 0));
      if (free <= 0) continue;
      const now = clock.now();
      const rows = await handle.db.transaction().execute((trx) => claimDueDeliveries(trx, webhook.name, now, free, now + config.timeout + CLAIM_MARGIN_MS, lock));
      for (const row of rows) {
        started += 1;
        inFlightPerWebhook.set(webhook.name, (inFlightPerWebhook.get(webhook.name) ?? 0) + 1);
        const task: Promise<void> = deliver(row, webhook)
          .catch((error: unknown) => {
            metrics.passFailed();
            if (!options.faults?.failed(error)) log.error({ err: error, key: row.idempotencyKey }, 'notifications: recording a delivery failed; it will be retried');
          })
          .finally(() => {
            inFlight.delete(task);
            inFlightPerWebhook.set(webhook.name, (inFlightPerWebhook.get(webhook.name) ?? 1) - 1);
            // A freed slot takes the next due row at once rather than at the next tick.
            if (!stopped) void pump();
          });
        inFlight.add(task);
      }
    }
    return started;
  }

  /** One claimer at a time; a request made while it runs is folded into one more round. */
  let claiming: Promise<number> | null = null;
  let again = false;
  function pump(): Promise<number> {
    if (claiming) {
      again = true;
      return claiming;
    }
    claiming = (async () => {
      let started = 0;
      try {
        do {
          again = false;
          started += await fillSlots();
        } while (again && !stopped);
      } catch (error) {
        metrics.passFailed();
        if (!options.faults?.failed(error)) log.error({ err: error }, 'notifications: claiming deliveries failed; will retry');
      } finally {
        claiming = null;
      }
      return started;
    })();
    return claiming;
  }

  let scanning: Promise<void> | null = null;
  function scan(): Promise<void> {
    scanning ??= queueFromTimeline()
      .catch((error: unknown) => {
        metrics.passFailed();
        if (!options.faults?.failed(error)) log.error({ err: error }, 'notifications: reading the timeline failed; will retry');
      })
      .finally(() => {
        scanning = null;
      });
    return scanning;
  }

  let timer: NodeJS.Timeout | null = null;
  const tick = () => void scan().then(() => (stopped ? 0 : pump()));

  return {
    start(intervalMs) {
      stopped = false;
      timer = setInterval(tick, intervalMs);
      timer.unref();
      tick();
    },
    async stop() {
      stopped = true;
      if (timer) clearInterval(timer);
      timer = null;
      shutdown.abort();
      if (scanning) await scanning;
      if (claiming) await claiming;
      while (inFlight.size) await Promise.allSettled([...inFlight]);
      // Ready for a later drain() or start().
      shutdown = new AbortController();
    },
    async drain() {
      for (;;) {
        await scan();
        const started = await pump();
        let waited = false;
        while (inFlight.size || claiming) {
          waited = true;
          await Promise.allSettled([...inFlight, ...(claiming ? [claiming] : [])]);
        }
        if (started === 0 && !waited) return;
      }
    },
  };
}

export type DeliveryView = Pick<
  OutboxRecord,
  'webhook' | 'event' | 'idempotencyKey' | 'at' | 'state' | 'attempts' | 'nextAttemptAt' | 'lastStatus' | 'lastError' | 'deliveredAt' | 'createdAt'
>;

/** What was sent about an incident, to whom, and how it went. */
export async function listIncidentNotifications(deps: { handle: DatabaseHandle }, incidentId: number): Promise<Result<DeliveryView[]>> {
  const incident = await findIncident(deps.handle.db, incidentId);
  if (!incident) return fail('NOT_FOUND', `incident ${incidentId} not found`);
  const rows = await deliveriesOfIncident(deps.handle.db, incidentId);
  return ok(
    rows.map((r) => ({
      webhook: r.webhook,
      event: r.event,
      idempotencyKey: r.idempotencyKey,
      at: r.at,
      state: r.state,
      attempts: r.attempts,
      nextAttemptAt: r.state === 'pending' ? r.nextAttemptAt : null,
      lastStatus: r.lastStatus,
      lastError: r.lastError,
      deliveredAt: r.deliveredAt,
      createdAt: r.createdAt,
    })),
  );
}
