/** @module The notification outbox and the timeline cursor that fills it. */
import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import type { DeliveryState, GapRange, IncidentSnapshot, NotificationEvent, TimelineCursor } from '../domain/notification.js';
import { toTimelineEntry, type TimelineEntry } from './incidents-repo.js';
import type { Database } from './schema.js';
import { appendTo } from '../domain/collections.js';

type Db = Kysely<Database> | Transaction<Database>;

export type TimelineRow = TimelineEntry;

export interface OutboxRecord {
  id: number;
  idempotencyKey: string;
  webhook: string;
  incidentId: number;
  timelineId: number;
  event: NotificationEvent;
  at: number;
  payload: string;
  state: DeliveryState;
  attempts: number;
  nextAttemptAt: number | null;
  lastStatus: number | null;
  lastError: string | null;
  deliveredAt: number | null;
  createdAt: number;
  updatedAt: number;
}

export type NewOutboxRow = Pick<OutboxRecord, 'idempotencyKey' | 'webhook' | 'incidentId' | 'timelineId' | 'event' | 'at' | 'payload'> & {
  /** Queued as `suppressed` (never sent) with this reason; pending otherwise. */
  suppressed?: string;
};

function toOutbox(r: Selectable<Database['notification_outbox']>): OutboxRecord {
  return {
    id: r.id,
    idempotencyKey: r.idempotency_key,
    webhook: r.webhook,
    incidentId: r.incident_id,
    timelineId: r.timeline_id,
    event: r.event as NotificationEvent,
    at: r.at,
    payload: r.payload,
    state: r.state as DeliveryState,
    attempts: r.attempts,
    nextAttemptAt: r.next_attempt_at,
    lastStatus: r.last_status,
    lastError: r.last_error,
    deliveredAt: r.delivered_at,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

/**
 * The cursor named `name`, created at the end of the timeline if it does not exist (a new
 * installation notifies from now on, not about its history). `lock` holds its row until the
 * transaction ends, so two dispatchers (PostgreSQL replicas) never advance it together.
 */
export async function lockTimelineCursor(db: Db, name: string, now: number, lock: boolean): Promise<TimelineCursor> {
  const select = () => db.selectFrom('notification_cursor').selectAll().where('name', '=', name).$if(lock, (q) => q.forUpdate()).executeTakeFirst();
  let row = await select();
  if (!row) {
    const end = await db.selectFrom('incident_timeline').select((eb) => eb.fn.max('id').as('id')).executeTakeFirst();
    await db
      .insertInto('notification_cursor')
      .values({ name, position: Number(end?.id ?? 0), gaps: '[]', updated_at: now })
      .onConflict((oc) => oc.column('name').doNothing())
      .execute();
    row = await select();
    if (!row) throw new Error(`notification cursor ${name} could not be created`);
  }
  return { position: row.position, gaps: JSON.parse(row.gaps) as GapRange[] };
}

export async function saveTimelineCursor(db: Db, name: string, cursor: TimelineCursor, now: number): Promise<void> {
  await db.updateTable('notification_cursor').set({ position: cursor.position, gaps: JSON.stringify(cursor.gaps), updated_at: now }).where('name', '=', name).execute();
}

/** Timeline entries after `position`, in id order: a contiguous prefix of what is visible. */
export async function timelineAfter(db: Db, position: number, limit: number): Promise<TimelineRow[]> {
  const rows = await db.selectFrom('incident_timeline').selectAll().where('id', '>', position).orderBy('id').limit(limit).execute();
  return rows.map(toTimelineEntry);
}

/** Timeline entries whose ids fall in any of `gaps`. */
export async function timelineInGaps(db: Db, gaps: readonly GapRange[]): Promise<TimelineRow[]> {
  const out: TimelineRow[] = [];
  for (let i = 0; i < gaps.length; i += 100) {
    const chunk = gaps.slice(i, i + 100);
    const rows = await db
      .selectFrom('incident_timeline')
      .selectAll()
      .where((eb) => eb.or(chunk.map((g) => eb.between('id', g.from, g.to))))
      .orderBy('id')
      .execute();
    out.push(...rows.map(toTimelineEntry));
  }
  return out;
}

/**
 * Only the ids of the timeline entries after `position` and in `gaps` (what the cursor
 * needs when no webhook is configured), without reading or parsing the entries.
 */
export async function timelineIdsAfter(db: Db, position: number, gaps: readonly GapRange[], limit: number): Promise<{ late: number[]; fresh: number[] }> {
  const late: number[] = [];
  for (let i = 0; i < gaps.length; i += 100) {
    const chunk = gaps.slice(i, i + 100);
    const rows = await db
      .selectFrom('incident_timeline')
      .select('id')
      .where((eb) => eb.or(chunk.map((g) => eb.between('id', g.from, g.to))))
      .orderBy('id')
      .execute();
    late.push(...rows.map((r) => r.id));
  }
  const fresh = (await db.selectFrom('incident_timeline').select('id').where('id', '>', position).orderBy('id').limit(limit).execute()).map((r) => r.id);
  return { late, fresh };
}

/** The incidents as notifications describe them. */
export async function incidentSnapshots(db: Db, ids: readonly number[]): Promise<Map<number, IncidentSnapshot>> {
  const out = new Map<number, IncidentSnapshot>();
  for (let i = 0; i < ids.length; i += 500) {
    const rows = await db
      .selectFrom('incidents')
      .select([
        'id',
        'title',
        'status',
        'priority',
        'impact',
        'urgency',
        'service',
        'host',
        'root_cause_service',
        'assignee',
        'alert_count',
        'firing_count',
        'opened_at',
        'acknowledged_at',
        'resolved_at',
      ])
      .where('id', 'in', ids.slice(i, i + 500))
      .execute();
    for (const r of rows) {
      out.set(r.id, {
        id: r.id,
        title: r.title,
        status: r.status,
        priority: r.priority,
        impact: r.impact,
        urgency: r.urgency,
        service: r.service,
        host: r.host,
        rootCauseService: r.root_cause_service,
        assignee: r.assignee,
        alertCount: r.alert_count,
        firingCount: r.firing_count,
        openedAt: r.opened_at,
        acknowledgedAt: r.acknowledged_at,
        resolvedAt: r.resolved_at,
      });
    }
  }
  return out;
}

/** Queues deliveries; a row whose idempotency key is already queued is left as it is. */
export async function insertOutboxRows(db: Db, rows: readonly NewOutboxRow[], now: number): Promise<void> {
  for (let i = 0; i < rows.length; i += 200) {
    await db
      .insertInto('notification_outbox')
      .values(
        rows.slice(i, i + 200).map((r) => ({
          idempotency_key: r.idempotencyKey,
          webhook: r.webhook,
          incident_id: r.incidentId,
          timeline_id: r.timelineId,
          event: r.event,
          at: r.at,
          payload: r.payload,
          state: r.suppressed ? 'suppressed' : 'pending',
          attempts: 0,
          next_attempt_at: r.suppressed ? null : now,
          last_error: r.suppressed ?? null,
          created_at: now,
          updated_at: now,
        })),
      )
      .onConflict((oc) => oc.column('idempotency_key').doNothing())
      .execute();
  }
}

/**
 * Takes up to `limit` due deliveries for `webhook`: each becomes an attempt (counted now)
 * and is not due again before `leaseUntil`, so another dispatcher does not send it at the
 * same time and a crash mid-request only delays it. Per incident, only the oldest pending
 * row is due, so a receiver gets an incident's events in order.
 */
export async function claimDueDeliveries(db: Db, webhook: string, now: number, limit: number, leaseUntil: number, lock: boolean): Promise<OutboxRecord[]> {
  const rows = await db
    .selectFrom('notification_outbox as o')
    .selectAll('o')
    .where('o.state', '=', sql.lit('pending'))
    .where('o.next_attempt_at', '<=', now)
    .where('o.webhook', '=', webhook)
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('notification_outbox as p')
            .select('p.id')
            .whereRef('p.incident_id', '=', 'o.incident_id')
            .whereRef('p.webhook', '=', 'o.webhook')
            .whereRef('p.id', '<', 'o.id')
            .where('p.state', '=', sql.lit('pending')),
        ),
      ),
    )
    .orderBy('o.next_attempt_at')
    .orderBy('o.id')
    .limit(limit)
    .$if(lock, (q) => q.forUpdate().skipLocked())
    .execute();
  if (rows.length === 0) return [];
  await db
    .updateTable('notification_outbox')
    .set((eb) => ({ attempts: eb('attempts', '+', 1), next_attempt_at: leaseUntil, updated_at: now }))
    .where(
      'id',
      'in',
      rows.map((r) => r.id),
    )
    .execute();
  return rows.map((r) => ({ ...toOutbox(r), attempts: r.attempts + 1, nextAttemptAt: leaseUntil, updatedAt: now }));
}

export interface DeliveryResult {
  state: DeliveryState;
  nextAttemptAt: number | null;
  lastStatus: number | null;
  lastError: string | null;
  deliveredAt: number | null;
}

/** Records attempt number `attempt`; a no-op if the row was claimed again since (its lease ran out). */
export async function recordDeliveryResult(db: Db, id: number, attempt: number, result: DeliveryResult, now: number): Promise<void> {
  await db
    .updateTable('notification_outbox')
    .set({
      state: result.state,
      next_attempt_at: result.nextAttemptAt,
      last_status: result.lastStatus,
      last_error: result.lastError,
      delivered_at: result.deliveredAt,
      updated_at: now,
    })
    .where('id', '=', id)
    .where('attempts', '=', attempt)
    .where('state', '=', 'pending')
    .execute();
}

/** An incident's deliveries, oldest first. */
export async function deliveriesOfIncident(db: Db, incidentId: number): Promise<OutboxRecord[]> {
  const rows = await db.selectFrom('notification_outbox').selectAll().where('incident_id', '=', incidentId).orderBy('id').execute();
  return rows.map(toOutbox);
}

/**
 * Ends the pending deliveries of webhooks that are no longer configured: they become
 * `failed` with `reason`, so they are neither retried for ever nor left pending unseen.
 * Returns how many each such webhook had.
 */
export async function failDeliveriesOfRemovedWebhooks(db: Db, configured: readonly string[], reason: (webhook: string) => string, now: number): Promise<Map<string, number>> {
  const orphaned = await db
    .selectFrom('notification_outbox')
    .select(['webhook', (eb) => eb.fn.countAll<string | number>().as('n')])
    .where('state', '=', sql.lit('pending'))
    .$if(configured.length > 0, (q) => q.where('webhook', 'not in', configured))
    .groupBy('webhook')
    .execute();
  const out = new Map<string, number>();
  for (const { webhook, n } of orphaned) {
    await db
      .updateTable('notification_outbox')
      .set({ state: 'failed', next_attempt_at: null, last_error: reason(webhook), updated_at: now })
      .where('state', '=', sql.lit('pending'))
      .where('webhook', '=', webhook)
      .execute();
    out.set(webhook, Number(n));
  }
  return out;
}

/** The delivery states so far of each (webhook, incident) among `incidentIds`, in queue order. */
export async function deliveryStatesOf(db: Db, incidentIds: readonly number[]): Promise<Map<string, DeliveryState[]>> {
  const out = new Map<string, DeliveryState[]>();
  for (let i = 0; i < incidentIds.length; i += 500) {
    const rows = await db
      .selectFrom('notification_outbox')
      .select(['webhook', 'incident_id', 'state'])
      .where('incident_id', 'in', incidentIds.slice(i, i + 500))
      .orderBy('id')
      .execute();
    for (const r of rows) {
      const key = `${r.webhook}\u0000${r.incident_id}`;
      appendTo(out, key, r.state as DeliveryState);
    }
  }
  return out;
}

/**
 * The (webhook, incident) pairs among `incidentIds`, keyed `<webhook>\u0000<incident>`, whose
 * receiver may know of the incident: a delivery went through, or at least one request
 * went out (it may have got there even if the answer did not come back).
 */
export async function incidentsToldTo(db: Db, incidentIds: readonly number[], lock = false): Promise<Set<string>> {
  const out = new Set<string>();
  for (let i = 0; i < incidentIds.length; i += 500) {
    // With `lock` (PostgreSQL), all the incidents' rows are locked until the caller commits,
    // so no dispatcher claims one between this read and the suppression that follows.
    const rows = await db
      .selectFrom('notification_outbox')
      .select(['webhook', 'incident_id', 'state', 'attempts'])
      .where('incident_id', 'in', incidentIds.slice(i, i + 500))
      .$if(lock, (q) => q.forUpdate())
      .execute();
    for (const r of rows) if (r.state === 'delivered' || Number(r.attempts) > 0) out.add(`${r.webhook}\u0000${r.incident_id}`);
  }
  return out;
}

/** Pending deliveries of an incident queued from timeline entries before `beforeTimelineId` are not sent. */
export async function suppressPendingDeliveries(db: Db, incidentId: number, beforeTimelineId: number, reason: string, now: number): Promise<void> {
  await db
    .updateTable('notification_outbox')
    .set({ state: 'suppressed', next_attempt_at: null, last_error: reason, updated_at: now })
    .where('incident_id', '=', incidentId)
    .where('timeline_id', '<', beforeTimelineId)
    .where('state', '=', sql.lit('pending'))
    .execute();
}
