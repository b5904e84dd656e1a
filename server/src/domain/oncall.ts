/**
 * @module On-call: people, and schedules of who answers pages when. A schedule is a stack of
 * layers; each layer is a rotation of people handing over at a local time in its own zone
 * (daily, weekly or every fixed duration), optionally only during some weekly hours (a
 * follow-the-sun layer covers its region's day). A later layer covers an earlier one wherever
 * it has someone; an override (a person taking a range of time) covers them all.
 */
import { z } from 'zod';
import { BusinessCalendarEntry, type BusinessCalendar } from './sla.js';
import { parseDuration } from './duration.js';
import { TimeZoneName } from './time.js';

/** Names of people, schedules and layers: as service names (a letter or digit first). */
export const ONCALL_NAME = /^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,127}$/;
const Name = z.string().regex(ONCALL_NAME, 'must start with a letter or digit, then letters, digits or _ . : @ - (at most 128)');

export interface OnCallUser {
  name: string;
  email: string | null;
  slack: string | null;
  teams: string | null;
  timeZone: string;
}

export const UserEntry = z.strictObject({
  email: z.email().max(320).nullable().default(null),
  slack: z.string().min(1).max(200).nullable().default(null),
  teams: z.string().min(1).max(320).nullable().default(null),
  timeZone: TimeZoneName.default('UTC'),
});
export type UserEntry = z.input<typeof UserEntry>;

/** How often a layer hands over: every local day or week at its start's local time, or every fixed span. */
export type HandOff = { kind: 'daily' } | { kind: 'weekly' } | { kind: 'every'; ms: number };

export interface ScheduleLayer {
  name: string;
  /** The rotation, in order; the first takes the first shift. */
  users: string[];
  /** Local date-time of the first hand-off ("2026-03-02T09:00") in `timeZone`. */
  start: string;
  timeZone: string;
  handOff: HandOff;
  /** The weekly hours this layer covers (in its zone); null: around the clock. */
  hours: BusinessCalendar | null;
}

export interface ScheduleOverride {
  id: number;
  user: string;
  from: number;
  to: number;
}

export interface Schedule {
  name: string;
  description: string;
  layers: ScheduleLayer[];
  overrides: ScheduleOverride[];
}

/** Who is on call over [from, to), and by which layer (or an override). */
export interface Shift {
  user: string;
  from: number;
  to: number;
  layer: string;
}

const LOCAL_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/;

const HandOffEntry = z.union([z.literal('daily'), z.literal('weekly'), z.string()]).transform((text, ctx): HandOff => {
  if (text === 'daily') return { kind: 'daily' };
  if (text === 'weekly') return { kind: 'weekly' };
  const ms = parseDuration(text);
  if (ms === null || ms < 3_600_000) {
    ctx.addIssue({ code: 'custom', message: 'must be daily, weekly or a duration of at least 1h such as "12h" or "3d"' });
    return z.NEVER;
  }
  return { kind: 'every', ms };
});

const LayerEntry = z.strictObject({
  name: Name,
  users: z.array(Name).min(1).max(100),
  start: z.string().regex(LOCAL_DATE_TIME, 'must be a local date and time such as 2026-03-02T09:00'),
  timeZone: TimeZoneName.default('UTC'),
  handOff: HandOffEntry.prefault('weekly'),
  hours: BusinessCalendarEntry.nullable().default(null),
});

/** A schedule as written in YAML or sent to `PUT /api/v1/schedules/:name` (overrides are added on their own). */
export const ScheduleEntry = z
  .strictObject({
    description: z.string().max(2000).default(''),
    layers: z.array(LayerEntry).min(1).max(20),
  })
  .superRefine((s, ctx) => {
    const seen = new Set<string>();
    s.layers.forEach((layer, i) => {
      if (seen.has(layer.name)) ctx.addIssue({ code: 'custom', path: ['layers', i, 'name'], message: `layer name ${layer.name} is used twice` });
      seen.add(layer.name);
    });
  });
export type ScheduleEntry = z.input<typeof ScheduleEntry>;

export function scheduleOf(name: string, entry: z.output<typeof ScheduleEntry>, overrides: ScheduleOverride[] = []): Schedule {
  return {
    name,
    description: entry.description,
    layers: entry.layers.map((l) => ({ name: l.name, users: l.users, start: l.start, timeZone: l.timeZone, handOff: l.handOff, hours: l.hours })),
    overrides,
  };
}

/** A schedule's definition as written (the inverse of `ScheduleEntry`), for storage and the API. */
export function scheduleEntryOf(schedule: Schedule) {
  return {
    description: schedule.description,
    layers: schedule.layers.map((l) => ({
      name: l.name,
      users: l.users,
      start: l.start,
      timeZone: l.timeZone,
      handOff: l.handOff.kind === 'every' ? `${l.handOff.ms / 1000}s` : l.handOff.kind,
      hours: l.hours === null ? null : { timeZone: l.hours.timeZone, hours: l.hours.weeklyHours, holidays: l.hours.holidays },
    })),
  };
}
