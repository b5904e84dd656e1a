/**
 * @module Recurring silences and maintenance windows: created by the API or the configuration
 * file, ended (never deleted, so a rebuild sees the occurrences that were). The correlation
 * reads their concrete occurrences beside the one-off silences ({@link silencesInEffect}).
 */
import { randomUUID } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import { MAX_DURATION_MS, occurrencesBetween, type RecurringSilenceEntry, scheduleProblem, timeZoneProblem, type RecurringSilence } from '../domain/recurring-silence.js';
import { fail, ok, type Result } from '../domain/result.js';
import type { Silence } from '../domain/silence.js';
import type { DatabaseHandle } from '../db/connection.js';
import { endRecurringSilence, findRecurringSilence, insertRecurringSilence, recurringSilencesEndingAfter } from '../db/recurring-silences-repo.js';
import type { Database } from '../db/schema.js';
import { silencesEndingAfter } from '../db/silences-repo.js';
import type { Clock } from './clock.js';

type Db = Kysely<Database> | Transaction<Database>;

/** How far past `now` occurrences are expanded: alerts may start a little in the future (`ingest.timeSkew.future`). */
export const OCCURRENCE_LOOKAHEAD_MS = 86_400_000;

/**
 * The silences and maintenance windows that end after `after`: the one-off ones, then the
 * occurrences of the recurring ones overlapping (after, until]. What the correlator gives the engine.
 */
export async function silencesInEffect(db: Db, after: number, until: number): Promise<Silence[]> {
  const once = await silencesEndingAfter(db, after);
  if (!(after < until)) return once;
  const recurring = await recurringSilencesEndingAfter(db, after);
  return [...once, ...recurring.flatMap((r) => occurrencesBetween(r, after + 1, until))];
}

export interface RecurringSilenceDeps {
  handle: DatabaseHandle;
  clock: Clock;
  kick?: () => void;
}

export type RecurringSilenceInput = Pick<RecurringSilence, 'name' | 'kind' | 'matchers' | 'schedule' | 'timeZone' | 'durationMs' | 'endsAt' | 'comment'> & {
  /** Null: now. */
  startsAt: number | null;
};

/** A VALIDATION error naming the field, or null: what the zod schemas of the API and the file also check. */
export function recurringSilenceProblem(input: Pick<RecurringSilenceInput, 'schedule' | 'timeZone' | 'durationMs'>): { field: string; message: string } | null {
  const schedule = scheduleProblem(input.schedule);
  if (schedule) return { field: 'schedule', message: `schedule: ${schedule}` };
  const zone = timeZoneProblem(input.timeZone);
  if (zone) return { field: 'timeZone', message: `timeZone: ${zone}` };
  if (!(input.durationMs > 0 && input.durationMs <= MAX_DURATION_MS)) return { field: 'duration', message: 'duration: must be positive and at most 31d' };
  return null;
}

export async function createRecurringSilence(deps: RecurringSilenceDeps, input: RecurringSilenceInput, actor: string, origin: RecurringSilence['origin'] = 'api'): Promise<Result<RecurringSilence>> {
  const problem = recurringSilenceProblem(input);
  if (problem) return fail('VALIDATION', problem.message, { field: problem.field });
  const now = deps.clock.now();
  const startsAt = input.startsAt ?? now;
  if (input.endsAt !== null && input.endsAt <= Math.max(startsAt, now)) return fail('VALIDATION', 'endsAt: must be after startsAt and in the future', { field: 'endsAt' });
  const active = await recurringSilencesEndingAfter(deps.handle.db, now);
  if (active.some((r) => r.name === input.name && r.origin === origin)) return fail('CONFLICT', `a recurring silence named ${JSON.stringify(input.name)} is already in force`, { field: 'name' });
  const r: RecurringSilence = { id: randomUUID(), ...input, startsAt, origin, createdBy: actor, createdAt: now };
  await insertRecurringSilence(deps.handle.db, r);
  deps.kick?.();
  return ok(r);
}

export async function listRecurringSilences(deps: RecurringSilenceDeps): Promise<RecurringSilence[]> {
  return recurringSilencesEndingAfter(deps.handle.db, deps.clock.now());
}

/** Ends it now: an occurrence under way ends too, none starts again. */
export async function endRecurring(deps: RecurringSilenceDeps, id: string): Promise<Result<RecurringSilence>> {
  const r = await findRecurringSilence(deps.handle.db, id);
  const now = deps.clock.now();
  if (!r) return fail('NOT_FOUND', `recurring silence ${id} not found`);
  if (r.endsAt !== null && r.endsAt <= now) return fail('CONFLICT', `recurring silence ${id} has already ended`);
  const endsAt = Math.max(r.startsAt, now);
  await endRecurringSilence(deps.handle.db, id, endsAt);
  deps.kick?.();
  return ok({ ...r, endsAt });
}

const sameDefinition = (a: RecurringSilence, b: Omit<RecurringSilenceInput, 'startsAt' | 'endsAt'>) =>
  a.kind === b.kind && a.schedule === b.schedule && a.timeZone === b.timeZone && a.durationMs === b.durationMs && a.comment === b.comment && JSON.stringify(a.matchers) === JSON.stringify(b.matchers);

/**
 * Brings the file's recurring silences (origin `config`) in step with `entries`: a new name is
 * created, a changed one ended and created anew, one no longer in the file ended.
 */
export async function applyRecurringSilencesConfig(deps: RecurringSilenceDeps, fileEntries: readonly RecurringSilenceEntry[]): Promise<void> {
  const entries = fileEntries.map(({ duration, ...e }) => ({ ...e, durationMs: duration }));
  const now = deps.clock.now();
  const fromConfig = (await recurringSilencesEndingAfter(deps.handle.db, now)).filter((r) => r.origin === 'config');
  const byName = new Map(fromConfig.map((r) => [r.name, r]));
  for (const entry of entries) {
    const current = byName.get(entry.name);
    byName.delete(entry.name);
    if (current && sameDefinition(current, entry)) continue;
    if (current) await endRecurringSilence(deps.handle.db, current.id, Math.max(current.startsAt, now));
    const created = await createRecurringSilence(deps, { ...entry, startsAt: null, endsAt: null }, 'config', 'config');
    if (!created.ok) throw new Error(`silences.recurring ${entry.name}: ${created.error.message}`);
  }
  for (const gone of byName.values()) await endRecurringSilence(deps.handle.db, gone.id, Math.max(gone.startsAt, now));
}
