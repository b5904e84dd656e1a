/** @module Silences and maintenance windows: matchers over a half-open time range [startsAt, endsAt). */
import type { Matcher } from './matchers.js';
import { fail, ok, type Result } from './result.js';

export type SilenceKind = 'silence' | 'maintenance';

export interface Silence {
  id: string;
  kind: SilenceKind;
  matchers: Matcher[];
  startsAt: number;
  endsAt: number;
  createdBy: string;
  comment: string;
  createdAt: number;
}

export function silenceState(s: Silence, now: number): 'pending' | 'active' | 'expired' {
  if (now < s.startsAt) return 'pending';
  return now < s.endsAt ? 'active' : 'expired';
}

/**
 * Every silence lies within [EARLIEST_SILENCE_TIME, LATEST_SILENCE_TIME]: from the Unix epoch to
 * the last instant RFC 3339 can write (year 9999), so each one stored lists as RFC 3339 and reads
 * back through the API. A duration of "99999999d" once ended past what a date can hold at all.
 */
export const EARLIEST_SILENCE_TIME = 0;
export const LATEST_SILENCE_TIME = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/** A stored time brought into the range above, so that no row, however it got there, breaks a listing. */
export const clampSilenceTime = (ms: number): number => Math.min(Math.max(ms, EARLIEST_SILENCE_TIME), LATEST_SILENCE_TIME);

/** When a silence ends: at a time, or a duration (ms) after its start. */
export type SilenceEnd = { at: number } | { after: number };

/**
 * The time range of a new silence, or a VALIDATION error naming the field at fault
 * (`startsAt`, `endsAt` or `duration`, in `details.field`). `startsAt` null means now.
 */
export function resolveSilenceWindow(startsAt: number | null, end: SilenceEnd, now: number): Result<{ startsAt: number; endsAt: number }> {
  const start = startsAt ?? now;
  const range = `between ${new Date(EARLIEST_SILENCE_TIME).toISOString()} and ${new Date(LATEST_SILENCE_TIME).toISOString()}`;
  if (!(start >= EARLIEST_SILENCE_TIME && start <= LATEST_SILENCE_TIME)) return fail('VALIDATION', `startsAt must lie ${range}`, { field: 'startsAt' });
  const field = 'at' in end ? 'endsAt' : 'duration';
  if ('after' in end && !(Number.isSafeInteger(end.after) && end.after > 0)) return fail('VALIDATION', 'duration must be a positive duration such as 2h or 30m', { field });
  const endsAt = 'at' in end ? end.at : start + end.after;
  if (!(endsAt <= LATEST_SILENCE_TIME)) {
    const message = field === 'duration' ? `duration is too long: the silence would end after ${new Date(LATEST_SILENCE_TIME).toISOString()}` : `endsAt must lie ${range}`;
    return fail('VALIDATION', message, { field });
  }
  if (endsAt <= start) return fail('VALIDATION', 'endsAt must be after startsAt', { field });
  if (endsAt <= now) return fail('VALIDATION', `${field === 'duration' ? 'startsAt + duration' : 'endsAt'} is in the past: the silence would never be active`, { field });
  return ok({ startsAt: start, endsAt });
}
