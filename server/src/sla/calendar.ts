/**
 * @module Business calendars: weekly hours in an IANA time zone minus whole local
 * holidays, or 24×7. Every local time is expanded with luxon in the calendar's zone, so
 * "Mon 09:00" is the right instant on both sides of a DST change, and 24×7 time is real
 * elapsed time (4 h from 00:30 EST on the spring-forward night ends at 05:30 EDT).
 * Business time stops while an incident is on hold: holds are given as intervals and are
 * subtracted from the working time.
 */
import { DateTime } from 'luxon';
import { WEEKDAYS, type BusinessCalendar, type TimeInterval } from '../domain/sla.js';
import { clipIntervals, mergeIntervals, subtractIntervals, totalMs } from './intervals.js';

const DAY_MS = 86_400_000;
/** How far ahead a due time is searched before giving up (the calendar is then as good as never open). */
const HORIZON_MS = 10 * 366 * DAY_MS;
const CHUNK_MS = 31 * DAY_MS;

function atLocal(day: DateTime, hhmm: string): DateTime {
  if (hhmm === '24:00') return day.plus({ days: 1 }).startOf('day');
  const [hour, minute] = hhmm.split(':').map(Number);
  // A wall-clock time inside a spring-forward gap moves forward to the first valid instant.
  return day.set({ hour: hour ?? 0, minute: minute ?? 0, second: 0, millisecond: 0 });
}

/** Working time of `calendar` inside [from, to), normalised. */
export function workingIntervals(calendar: BusinessCalendar, from: number, to: number): TimeInterval[] {
  if (to <= from) return [];
  if (calendar.weeklyHours === null && calendar.holidays.length === 0) return [{ start: from, end: to }];
  const holidays = new Set(calendar.holidays);
  const out: TimeInterval[] = [];
  let day = DateTime.fromMillis(from, { zone: calendar.timeZone }).startOf('day');
  while (day.toMillis() < to) {
    const next = day.plus({ days: 1 }).startOf('day');
    if (!holidays.has(day.toISODate() ?? '')) {
      if (calendar.weeklyHours === null) out.push({ start: day.toMillis(), end: next.toMillis() });
      else {
        const weekday = WEEKDAYS[day.weekday - 1];
        for (const hours of calendar.weeklyHours)
          if (weekday && hours.days.includes(weekday)) out.push({ start: atLocal(day, hours.start).toMillis(), end: atLocal(day, hours.end).toMillis() });
      }
    }
    day = next;
  }
  return clipIntervals(out, from, to);
}

/** Business milliseconds in [from, to), not counting time on hold. */
export function businessMsBetween(calendar: BusinessCalendar, from: number, to: number, holds: readonly TimeInterval[] = []): number {
  return totalMs(subtractIntervals(workingIntervals(calendar, from, to), holds));
}

/**
 * The instant at which `amountMs` of business time has passed since `start`, not counting
 * time on hold; `start` itself when the amount is zero. A due time that falls exactly at
 * the end of working hours stays there (Fri 17:00, not Mon 09:00). Null when it is never
 * reached: an open-ended hold (end = Infinity) stops the clock, or the calendar has no
 * working time within ten years.
 */
export function addBusinessMs(calendar: BusinessCalendar, start: number, amountMs: number, holds: readonly TimeInterval[] = []): number | null {
  if (amountMs <= 0) return start;
  const pauses = mergeIntervals(holds);
  let remaining = amountMs;
  for (let cursor = start; cursor < start + HORIZON_MS; cursor += CHUNK_MS) {
    if (pauses.some((p) => p.end === Number.POSITIVE_INFINITY && p.start <= cursor)) return null;
    for (const piece of subtractIntervals(workingIntervals(calendar, cursor, cursor + CHUNK_MS), pauses)) {
      const length = piece.end - piece.start;
      if (remaining <= length) return piece.start + remaining;
      remaining -= length;
    }
  }
  return null;
}
