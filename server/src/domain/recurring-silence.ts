/**
 * @module Recurring silences and maintenance windows: a cron schedule (five fields, as crontab)
 * read in an IANA time zone, each occurrence lasting `durationMs`. `0 2 * * SUN` in
 * Europe/Berlin starts at 02:00 local time all year: 01:00 UTC in winter, 00:00 UTC in summer.
 * On the night the clocks go forward a start in the skipped hour moves to just after it
 * (03:00); on the night they go back a start in the repeated hour is taken once, the first time.
 * Pure: the occurrences are concrete silences, which the correlation applies like any other.
 */
import { createRequire } from 'node:module';
import type * as CronParser from 'cron-parser';
import type * as Luxon from 'luxon';
import { z } from 'zod';
import { Duration } from './duration.js';
import { Matchers, type Matcher } from './matchers.js';
import { TimeZoneName } from './time.js';
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

/**
 * cron-parser (CommonJS, with its own CommonJS luxon) and luxon, loaded on first use: the command
 * line reads this module with the configuration, and most of its commands never expand a schedule.
 */
let libraries: { CronExpressionParser: typeof CronParser.CronExpressionParser; DateTime: typeof Luxon.DateTime } | null = null;
function lib() {
  if (libraries) return libraries;
  const require = createRequire(import.meta.url);
  const { CronExpressionParser } = require('cron-parser') as typeof CronParser;
  const { DateTime } = require('luxon') as typeof Luxon;
  return (libraries = { CronExpressionParser, DateTime });
}

/** At most this many occurrences per recurring silence and call (over a year of the most frequent schedule). */
export const MAX_OCCURRENCES = 20_000;

/** At most this many starts a day: a window is maintenance, not a schedule every minute. */
export const MAX_STARTS_PER_DAY = 48;

/** The fields of a schedule as the expansion reads them. */
interface CronFields {
  minutes: number[];
  hours: number[];
  daysOfMonth: (number | 'L')[];
  months: number[];
  /** 0 = Sunday … 6 = Saturday. */
  daysOfWeek: number[];
  /** `SUN#1`: the nth such weekday of the month; 0 = every one. */
  nth: number;
  /** Both day fields restricted: a day matching either runs (crontab's rule). */
  eitherDay: boolean;
}

/** The schedule's fields (parsed by cron-parser), or why not. */
function cronFields(schedule: string): { ok: true; fields: CronFields } | { ok: false; problem: string } {
  const parts = schedule.trim().split(/\s+/);
  if (parts.length !== 5) return { ok: false, problem: `expected five fields (minute hour day-of-month month day-of-week), got ${parts.length}` };
  let f;
  try {
    f = lib().CronExpressionParser.parse(schedule, { tz: 'UTC' }).fields;
  } catch (err) {
    return { ok: false, problem: err instanceof Error ? err.message : String(err) };
  }
  if (f.dayOfWeek.values.some((v) => typeof v !== 'number')) return { ok: false, problem: 'L in the day-of-week field is not supported (use # for the nth weekday, e.g. SUN#1)' };
  const fields: CronFields = {
    minutes: f.minute.values as number[],
    hours: f.hour.values as number[],
    daysOfMonth: f.dayOfMonth.values as (number | 'L')[],
    months: f.month.values as number[],
    daysOfWeek: [...new Set((f.dayOfWeek.values as number[]).map((d) => d % 7))],
    nth: f.dayOfWeek.nthDay ?? 0,
    eitherDay: !f.dayOfMonth.isWildcard && !f.dayOfWeek.isWildcard,
  };
  if (fields.minutes.length * fields.hours.length > MAX_STARTS_PER_DAY) return { ok: false, problem: `it starts ${fields.minutes.length * fields.hours.length} times a day; at most ${MAX_STARTS_PER_DAY}` };
  return { ok: true, fields };
}

/** Why `schedule` is not a five-field cron expression Sightline expands (cron-parser's own words where it refuses it), or null. */
export function scheduleProblem(schedule: string): string | null {
  const parsed = cronFields(schedule);
  return parsed.ok ? null : parsed.problem;
}

/** Whether a calendar date (`weekday` 0 = Sunday) is one of the schedule's days. */
function dayMatches(f: CronFields, date: Date): boolean {
  const month = date.getUTCMonth() + 1;
  const day = date.getUTCDate();
  if (!f.months.includes(month)) return false;
  const daysInMonth = new Date(Date.UTC(date.getUTCFullYear(), month, 0)).getUTCDate();
  const byMonthDay = f.daysOfMonth.some((d) => d === day || (d === 'L' && day === daysInMonth));
  const byWeekDay = f.daysOfWeek.includes(date.getUTCDay()) && (f.nth === 0 || Math.ceil(day / 7) === f.nth);
  return f.eitherDay ? byMonthDay || byWeekDay : byMonthDay && byWeekDay;
}

/**
 * The instant of `hour:minute` local time on `day`: a time the clocks skip is moved past the gap
 * (luxon's rule, and cron's), a time they repeat is taken the first time.
 */
function localStart(day: Luxon.DateTime, hour: number, minute: number): number {
  const at = day.set({ hour, minute, second: 0, millisecond: 0 });
  let ms = at.toMillis();
  for (const back of [30, 60, 120]) {
    const earlier = lib().DateTime.fromMillis(at.toMillis() - back * 60_000, { zone: day.zone });
    if (earlier.hour === hour && earlier.minute === minute && earlier.day === day.day) ms = earlier.toMillis();
  }
  return ms;
}

/** Starts of `schedule` in `zone` within [from, to), ascending. */
function startsBetween(f: CronFields, zone: string, from: number, to: number): number[] {
  const out: number[] = [];
  const { DateTime } = lib();
  // Local calendar dates are walked as plain dates (cheap); the zone is consulted on matching days only.
  const first = DateTime.fromMillis(from, { zone });
  const last = DateTime.fromMillis(to, { zone });
  const lastDate = Date.UTC(last.year, last.month - 1, last.day);
  for (let date = new Date(Date.UTC(first.year, first.month - 1, first.day)); date.getTime() <= lastDate; date = new Date(date.getTime() + 86_400_000)) {
    if (!dayMatches(f, date)) continue;
    const day = DateTime.fromObject({ year: date.getUTCFullYear(), month: date.getUTCMonth() + 1, day: date.getUTCDate() }, { zone });
    const midnight = day.toMillis();
    const next = day.plus({ days: 1 });
    // A day of 24 hours at one offset (all but the two nights a year): local time is plain arithmetic.
    const even = next.toMillis() - midnight === 86_400_000 && next.offset === day.offset;
    const starts = new Set<number>();
    for (const hour of f.hours) for (const minute of f.minutes) starts.add(even ? midnight + (hour * 60 + minute) * 60_000 : localStart(day, hour, minute));
    for (const ms of [...starts].sort((a, b) => a - b)) if (ms >= from && ms < to) out.push(ms);
  }
  return out;
}

/** Why `zone` is no time zone, by the rule every time zone setting follows (`TimeZoneName`), or null. */
export function timeZoneProblem(zone: string): string | null {
  const parsed = TimeZoneName.safeParse(zone);
  return parsed.success ? null : `${JSON.stringify(zone)}: ${parsed.error.issues[0]?.message}`;
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
  timeZone: TimeZoneName.default('UTC'),
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
  const first = Math.max(from - r.durationMs + 1, r.startsAt - r.durationMs + 1);
  const last = r.endsAt === null ? to : Math.min(to, r.endsAt);
  const parsed = cronFields(r.schedule);
  if (!(first < last) || !parsed.ok) return [];
  const out: Silence[] = [];
  for (const start of startsBetween(parsed.fields, r.timeZone, first, last)) {
    const startsAt = Math.max(start, r.startsAt);
    const endsAt = Math.min(start + r.durationMs, r.endsAt ?? Number.MAX_SAFE_INTEGER);
    if (endsAt <= startsAt || endsAt <= from) continue;
    out.push({ id: occurrenceId(r, start), kind: r.kind, matchers: r.matchers, startsAt, endsAt, createdBy: r.createdBy, comment: r.comment, createdAt: r.createdAt });
    if (out.length >= MAX_OCCURRENCES) break;
  }
  return out;
}

/** The next `count` occurrences under way at or starting after `now` (for listings). */
export function nextOccurrences(r: RecurringSilence, now: number, count: number): { startsAt: number; endsAt: number }[] {
  const until = r.endsAt ?? Number.MAX_SAFE_INTEGER;
  const out: { startsAt: number; endsAt: number }[] = [];
  // A month at a time: a schedule may start only once a year.
  for (let from = now; out.length < count && from < until && from < now + 2 * 366 * 86_400_000; from += 31 * 86_400_000) {
    for (const s of occurrencesBetween(r, from, Math.min(from + 31 * 86_400_000, until))) {
      if (out.length < count && !out.some((o) => o.startsAt === s.startsAt)) out.push({ startsAt: s.startsAt, endsAt: s.endsAt });
    }
  }
  return out;
}
