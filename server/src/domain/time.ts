/**
 * @module Times given to Sightline: RFC 3339 with an offset (or `Z`), and how far from the
 * server's clock an observed time may lie. A time without an offset would be read in the
 * server's own zone, so two replicas in different zones would store one alert as two; a
 * time decades away (an incident opened in 9999) breaks every duration computed from it.
 */
import { z } from 'zod';
import { formatDuration, parseDuration } from './duration.js';

/** RFC 3339 `date-time` (section 5.6) with a numeric offset or `Z`; zod checks the calendar too. */
const RFC3339_WITH_OFFSET = z.iso.datetime({ offset: true });
/** A date and time that would be a valid RFC 3339 time but for its missing offset. */
const WITHOUT_OFFSET = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?$/;

export const RFC3339_EXAMPLE = '2026-11-21T04:00:00Z';

export type ParsedTime = { ok: true; ms: number } | { ok: false; reason: string };

/** Epoch milliseconds of an RFC 3339 time with an offset, or why `text` is not one. */
export function parseRfc3339(text: string): ParsedTime {
  const shown = JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text);
  if (text.length <= 64 && RFC3339_WITH_OFFSET.safeParse(text).success) {
    const ms = Date.parse(text);
    if (Number.isFinite(ms)) return { ok: true, ms };
  }
  if (WITHOUT_OFFSET.test(text)) {
    return { ok: false, reason: `${shown} has no UTC offset: add Z or ±hh:mm (e.g. ${RFC3339_EXAMPLE}); a time without one would be read in the server's own time zone` };
  }
  // In a query string an unencoded `+` arrives as a space.
  if (/^\d{4}-\d{2}-\d{2}T[\d:.]+ \d{2}:\d{2}$/.test(text)) {
    return { ok: false, reason: `${shown} is not an RFC 3339 time: in a URL, write the + of the offset as %2B` };
  }
  return { ok: false, reason: `not an RFC 3339 time with an offset (e.g. ${RFC3339_EXAMPLE}): ${shown}` };
}

/** A zod string → epoch ms, refused with the reason when not RFC 3339 with an offset. */
export const Rfc3339Time = z.string().transform((value, ctx) => {
  const parsed = parseRfc3339(value);
  if (parsed.ok) return parsed.ms;
  ctx.addIssue({ code: 'custom', message: parsed.reason });
  return z.NEVER;
});

/** The same check, keeping the text (for schemas whose consumers read the string). */
export const Rfc3339Text = z.string().superRefine((value, ctx) => {
  const parsed = parseRfc3339(value);
  if (!parsed.ok) ctx.addIssue({ code: 'custom', message: parsed.reason });
});

/** How far before and after the server's clock an observed time may lie (ms). */
export interface TimeSkew {
  past: number;
  future: number;
}

/** As Prometheus bounds the samples it takes: up to a year back, an hour ahead. */
export const DEFAULT_TIME_SKEW: TimeSkew = { past: 365 * 86_400_000, future: 3_600_000 };

/** Null when `ms` lies within `skew` of `now`, else why not (naming the setting that widens it). */
export function timeSkewProblem(ms: number, now: number, skew: TimeSkew): string | null {
  if (ms < now - skew.past) {
    return `${isoOf(ms)} is more than ${formatDuration(skew.past)} before the server's time ${isoOf(now)} (ingest.timeSkew.past)`;
  }
  if (ms > now + skew.future) {
    return `${isoOf(ms)} is more than ${formatDuration(skew.future)} after the server's time ${isoOf(now)}: is the sender's clock right? (ingest.timeSkew.future)`;
  }
  return null;
}

const isoOf = (ms: number) => new Date(ms).toISOString();

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** An IANA time zone name, as calendars, SLA periods and on-call schedules take it. */
export const TimeZoneName = z.string().min(1).refine(isTimeZone, 'must be an IANA time zone such as Europe/Berlin');

/** A query filter: an RFC 3339 time with an offset (any year: a filter, not an observation), or a duration meaning "that long ago" (e.g. `24h`). */
export const TimeOrAgo = z.string().transform((value, ctx) => {
  const ago = parseDuration(value);
  if (ago !== null) return { ago };
  const parsed = parseRfc3339(value);
  if (parsed.ok) return { at: parsed.ms };
  ctx.addIssue({ code: 'custom', message: `expected an RFC 3339 time with an offset or a duration such as 24h; ${parsed.reason}` });
  return z.NEVER;
});
