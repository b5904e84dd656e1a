/**
 * @module Silences and maintenance windows. An alert episode whose start falls inside one
 * that matches it is stored as suppressed: listed, never in an incident, never paged. When
 * it ends while the alert still fires, the alert is correlated like any other. A silence
 * also mutes the matching alerts that were already firing when it began (see the
 * correlator's housekeeping): they leave their incidents' firing count.
 */
import { randomUUID } from 'node:crypto';
import type { Matcher } from '../domain/matchers.js';
import { fail, ok, type Result } from '../domain/result.js';
import { resolveSilenceWindow, silenceState, type Silence, type SilenceEnd, type SilenceKind } from '../domain/silence.js';
import type { DatabaseHandle } from '../db/connection.js';
import { findAlertById } from '../db/alerts-repo.js';
import { endSilence, findSilence, insertSilence, listSilences } from '../db/silences-repo.js';
import type { Clock } from './clock.js';

export interface SilenceDeps {
  handle: DatabaseHandle;
  clock: Clock;
  /** Asks the correlator to look again (absent in the command line: the server's housekeeping will). */
  kick?: () => void;
}

export interface SilenceInput {
  kind: SilenceKind;
  matchers: Matcher[];
  /** Null: now. */
  startsAt: number | null;
  end: SilenceEnd;
  comment: string;
}

export async function createSilence(deps: SilenceDeps, input: SilenceInput, actor: string): Promise<Result<Silence>> {
  const now = deps.clock.now();
  const window = resolveSilenceWindow(input.startsAt, input.end, now);
  if (!window.ok) return window;
  const { startsAt, endsAt } = window.value;
  const silence: Silence = { id: randomUUID(), kind: input.kind, matchers: input.matchers, startsAt, endsAt, createdBy: actor, comment: input.comment, createdAt: now };
  await insertSilence(deps.handle.db, silence);
  // Alerts already firing that it matches are muted by the correlator's next housekeeping.
  deps.kick?.();
  return ok(silence);
}

export async function listSilencesByState(deps: SilenceDeps, state: 'active' | 'pending' | 'expired' | 'all'): Promise<Silence[]> {
  const now = deps.clock.now();
  return (await listSilences(deps.handle.db, 1000)).filter((s) => state === 'all' || silenceState(s, now) === state);
}

/** Ends a silence now (a pending one never starts). Alerts it held back are released by housekeeping. */
export async function expireSilence(deps: SilenceDeps, id: string): Promise<Result<Silence>> {
  const silence = await findSilence(deps.handle.db, id);
  if (!silence) return fail('NOT_FOUND', `silence ${id} not found`);
  const now = deps.clock.now();
  if (silenceState(silence, now) === 'expired') return fail('CONFLICT', `silence ${id} has already expired`);
  const endsAt = Math.max(silence.startsAt, now);
  await endSilence(deps.handle.db, id, endsAt);
  deps.kick?.();
  return ok({ ...silence, endsAt });
}

/** A new silence's matchers drafted from an alert's labels (every label, equal to its value). */
export async function silenceDraftFromAlert(deps: SilenceDeps, alertId: number): Promise<Result<{ matchers: Matcher[]; title: string; incidentId: number | null }>> {
  const alert = await findAlertById(deps.handle.db, alertId);
  if (!alert) return fail('NOT_FOUND', `alert ${alertId} not found`);
  const matchers = Object.entries(alert.labels).map(([name, value]) => ({ name, value, isRegex: false, isEqual: true }));
  return ok({ matchers, title: alert.title, incidentId: alert.incidentId });
}
