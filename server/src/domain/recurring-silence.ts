/**
 * @module Recurring silences and maintenance windows: a cron schedule (five fields, as crontab)
 * read in an IANA time zone, each occurrence lasting `durationMs`. `0 2 * * SUN` in
 * Europe/Berlin starts at 02:00 local time all year: 01:00 UTC in winter, 00:00 UTC in summer.
 * On the night the clocks go forward a start in the skipped hour moves to just after it
 * (03:00); on the night they go back a start in the repeated hour is taken once, the first time.
 * Pure: the occurrences are concrete silences, which the correlation applies like any other.
 */
import { CronExpressionParser } from 'cron-parser';
import { IANAZone } from 'luxon';
import { z } from 'zod';
import { Duration } from './duration.js';
import { Matchers, type Matcher } from './matchers.js';
import type { Silence, SilenceKind } from './silence.js';

export interface RecurringSilence {
  id: string;
  /** Unique among those in force; config entries are kept in step by it. */
  name: string;
  kind: SilenceKind;
  matchers: Matcher[];
  /** Five cron fields: minute hour day-of-month month day-of-week. */
  schedule: string;
  timeZone: string;
  durationMs: number;
  /** No occurrence starts before this. */
  startsAt: number;
  /** No occurrence lasts past this (null: open-ended); set when it is deleted. */
  endsAt: number | null;
  origin: 'api' | 'config';
  createdBy: string;
  comment: string;
  createdAt: number;
}

/** At most this many occurrences per recurring silence and call: a schedule every minute cannot flood a batch. */
export const MAX_OCCURRENCES = 1000;

/** Why `schedule` is not a five-field cron expression (cron-parser's own words), or null. */
export function scheduleProblem(schedule: string): string | null {
  const fields = schedule.trim().split(/\s+/);
  if (fields.length !== 5) return `expected five fields (minute hour day-of-month month day-of-week), got ${fields.length}`;
  try {
    CronExpressionParser.parse(schedule, { tz: 'UTC' });
    return null;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

export function timeZoneProblem(zone: string): string | null {
  return IANAZone.isValidZone(zone) ? null : `${JSON.stringify(zone)} is not an IANA time zone (e.g. Europe/Berlin, UTC)`;
}

/** A recurring silence as written in the configuration file (`silences.recurring`) or sent to the API. */
export const RecurringSilenceEntry = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9_.:-]{1,128}$/, 'letters, digits and _ . : - (at most 128)'),
  kind: z.enum(['silence', 'maintenance']).default('maintenance'),
  matchers: Matchers,
  schedule: z.string().max(200).superRefine((s, ctx) => {
    const problem = scheduleProblem(s);
    if (problem) ctx.addIssue({ code: 'custom', message: `not a cron schedule: ${problem}` });
  }),
  timeZone: z.string().max(64).default('UTC').superRefine((zone, ctx) => {
    const problem = timeZoneProblem(zone);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  }),
  duration: Duration.refine((ms) => ms > 0 && ms <= MAX_DURATION_MS, 'must be positive and at most 31d'),
  comment: z.string().trim().min(1, 'say why (comment)').max(2000),
});
export type RecurringSilenceEntry = z.output<typeof RecurringSilenceEntry>;

/** The longest occurrence: a month. */
export const MAX_DURATION_MS = 31 * 86_400_000;

/** The id of one occurrence: stable, so an alert it suppresses is released when that occurrence ends. */
export const occurrenceId = (r: Pick<RecurringSilence, 'id'>, startsAt: number) => `recurring:${r.id}:${startsAt}`;

/**
 * The occurrences of `r` that overlap [from, to), oldest first, as silences (at most
 * {@link MAX_OCCURRENCES}): each [start, start + duration) cut to [r.startsAt, r.endsAt).
 */
export function occurrencesBetween(r: RecurringSilence, from: number, to: number): Silence[] {
  const first = Math.max(from - r.durationMs, r.startsAt - r.durationMs);
  const last = r.endsAt === null ? to : Math.min(to, r.endsAt);
  if (!(first < last)) return [];
  // cron-parser yields starts strictly after `currentDate`.
  const starts = CronExpressionParser.parse(r.schedule, { tz: r.timeZone, currentDate: new Date(first), endDate: new Date(last) });
  const out: Silence[] = [];
  while (out.length < MAX_OCCURRENCES && starts.hasNext()) {
    const start = starts.next().getTime();
    if (start >= last) break;
    const startsAt = Math.max(start, r.startsAt);
    const endsAt = Math.min(start + r.durationMs, r.endsAt ?? Number.MAX_SAFE_INTEGER);
    if (endsAt <= startsAt || endsAt <= from) continue;
    out.push({ id: occurrenceId(r, start), kind: r.kind, matchers: r.matchers, startsAt, endsAt, createdBy: r.createdBy, comment: r.comment, createdAt: r.createdAt });
  }
  return out;
}

/** The next `count` occurrence starts at or after `now` (for listings). */
export function nextOccurrences(r: RecurringSilence, now: number, count: number): { startsAt: number; endsAt: number }[] {
  const from = Math.max(now, r.startsAt) - 1;
  if (r.endsAt !== null && from >= r.endsAt) return [];
  const starts = CronExpressionParser.parse(r.schedule, { tz: r.timeZone, currentDate: new Date(from), ...(r.endsAt !== null ? { endDate: new Date(r.endsAt) } : {}) });
  const out: { startsAt: number; endsAt: number }[] = [];
  while (out.length < count && starts.hasNext()) {
    const start = starts.next().getTime();
    out.push({ startsAt: start, endsAt: Math.min(start + r.durationMs, r.endsAt ?? Number.MAX_SAFE_INTEGER) });
  }
  return out;
}
