/**
 * @module Recording changes on services (deploys, configuration, feature flags, infrastructure)
 * from the API, the command line and the senders' webhooks, and listing them. A planned change
 * with a window can declare that window maintenance: silences of kind `maintenance` on its
 * service, stored with it in one transaction.
 */
import { randomUUID } from 'node:crypto';
import { hostOf, serviceOf, type Labels } from '../domain/alert.js';
import { maintenanceMatchers, type Change, type NewChange } from '../domain/change.js';
import { fail, ok, type Result } from '../domain/result.js';
import { LATEST_SILENCE_TIME, type Silence } from '../domain/silence.js';
import type { DatabaseHandle } from '../db/connection.js';
import { insertChange, listChanges } from '../db/changes-repo.js';
import { insertSilence } from '../db/silences-repo.js';
import type { Catalogue } from './catalogue.js';
import type { Clock } from './clock.js';

export interface ChangeDeps {
  handle: DatabaseHandle;
  clock: Clock;
  catalogue: Catalogue;
  /** Asks the correlator to look again (a maintenance window may mute alerts already firing). */
  kick?: () => void;
}

export type ChangeInput = Omit<NewChange, 'receivedAt'> & {
  /** Make [startedAt, finishedAt) a maintenance window on the service. */
  maintenance?: boolean;
};

export interface RecordedChange {
  change: Change;
  /** The maintenance window's silences (one per way alerts map to the service); empty without one. */
  silences: Silence[];
}

/**
 * The service a sender's change is on, mapped as alerts are: its `service` (or `app`) label, else
 * the first service of the catalogue whose `match.labels` all hold, else its host's.
 */
export function serviceOfChange(catalogue: Catalogue, labels: Labels): string | null {
  return catalogue.graph().serviceFor(labels, hostOf(labels), serviceOf(labels));
}

export async function recordChange(deps: ChangeDeps, input: ChangeInput, actor: string): Promise<Result<RecordedChange>> {
  const now = deps.clock.now();
  const { maintenance, ...fields } = input;
  if (fields.finishedAt !== null && fields.finishedAt < fields.startedAt) return fail('VALIDATION', 'finishedAt: must not be before startedAt', { field: 'finishedAt' });
  const change: NewChange = { ...fields, receivedAt: now };
  let windows: Silence[] = [];
  if (maintenance) {
    const end = fields.finishedAt;
    if (end === null) return fail('VALIDATION', 'finishedAt: a maintenance window needs its end (finishedAt)', { field: 'finishedAt' });
    if (end <= fields.startedAt) return fail('VALIDATION', 'finishedAt: a maintenance window must end after it starts', { field: 'finishedAt' });
    if (end <= now) return fail('VALIDATION', 'finishedAt: is in the past: the maintenance window would never be active', { field: 'finishedAt' });
    if (end > LATEST_SILENCE_TIME) return fail('VALIDATION', `finishedAt: must lie before ${new Date(LATEST_SILENCE_TIME).toISOString()}`, { field: 'finishedAt' });
    const mapping = deps.catalogue.graph().get(fields.service)?.match ?? null;
    const comment = `Maintenance: ${fields.summary}`;
    windows = maintenanceMatchers(fields.service, mapping).map((matchers) => ({
      id: randomUUID(),
      kind: 'maintenance',
      matchers,
      startsAt: fields.startedAt,
      endsAt: end,
      createdBy: actor,
      comment,
      createdAt: now,
    }));
  }
  const id = await deps.handle.db.transaction().execute(async (trx) => {
    const id = await insertChange(trx, change);
    for (const s of windows) await insertSilence(trx, { ...s, comment: `${s.comment} (change ${id})` });
    return id;
  });
  if (windows.length > 0) deps.kick?.();
  return ok({ change: { id, ...change }, silences: windows.map((s) => ({ ...s, comment: `${s.comment} (change ${id})` })) });
}

export interface ChangePage {
  items: Change[];
  /** Opaque; pass it back as `cursor` for the next page. Null on the last page. */
  nextCursor: string | null;
}

/** Newest first; the cursor is the last id shown, as for incidents. */
export async function listChangePage(deps: Pick<ChangeDeps, 'handle'>, q: { service?: string; since?: number; limit: number; cursor?: string }): Promise<Result<ChangePage>> {
  let beforeId: number | undefined;
  if (q.cursor !== undefined) {
    const decoded = Number(Buffer.from(q.cursor, 'base64url').toString('utf8'));
    if (!Number.isSafeInteger(decoded) || decoded <= 0) return fail('VALIDATION', 'cursor: is not valid', { field: 'cursor' });
    beforeId = decoded;
  }
  const rows = await listChanges(deps.handle.db, { service: q.service, since: q.since, beforeId, limit: q.limit + 1 });
  const more = rows.length > q.limit;
  const items = more ? rows.slice(0, q.limit) : rows;
  const last = items[items.length - 1];
  return ok({ items, nextCursor: more && last ? Buffer.from(String(last.id)).toString('base64url') : null });
}
