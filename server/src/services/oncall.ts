/**
 * @module On-call: people and schedules (from the API and the configuration file), overrides,
 * and who is on call when — resolved by the pure engine in `oncall/schedule.ts`.
 */
import type { z } from 'zod';
import { scheduleEntryOf, scheduleOf, ScheduleEntry, UserEntry, type OnCallUser, type Schedule, type Shift } from '../domain/oncall.js';
import { fail, ok, type Result } from '../domain/result.js';
import type { DatabaseHandle } from '../db/connection.js';
import {
  deleteOverride,
  deleteSchedule,
  findScheduleDefinition,
  insertOverride,
  listOnCallUsers,
  listScheduleDefinitions,
  overridesEndingAfter,
  upsertOnCallUser,
  upsertScheduleDefinition,
} from '../db/oncall-repo.js';
import { MAX_RESOLVE_MS, nextOnCall, onCallAt, shiftsBetween } from '../oncall/schedule.js';
import type { Clock } from './clock.js';

export interface OnCallDeps {
  handle: DatabaseHandle;
  clock: Clock;
}

/** What the configuration file says (`oncall:`), applied at start. */
export interface OnCallConfig {
  users: (z.output<typeof UserEntry> & { name: string })[];
  schedules: (z.output<typeof ScheduleEntry> & { name: string })[];
}

const issuesOf = (error: z.ZodError) => error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message }));

function invalid(what: string, issues: { path: string; message: string }[]) {
  const first = issues[0];
  return fail('VALIDATION', `invalid ${what}: ${first?.path ? `${first.path}: ` : ''}${first?.message ?? 'invalid'}`, { issues });
}

export async function putUser(deps: OnCallDeps, name: string, body: unknown): Promise<Result<OnCallUser>> {
  const parsed = UserEntry.safeParse(body);
  if (!parsed.success) return invalid('user', issuesOf(parsed.error));
  const user: OnCallUser = { name, ...parsed.data };
  await upsertOnCallUser(deps.handle.db, user, deps.clock.now());
  return ok(user);
}

export const listUsers = (deps: OnCallDeps) => listOnCallUsers(deps.handle.db);

/** Validates a schedule against the known people; the schedule as stored, or why not. */
async function checkSchedule(deps: OnCallDeps, name: string, body: unknown): Promise<Result<Schedule>> {
  const parsed = ScheduleEntry.safeParse(body);
  if (!parsed.success) return invalid('schedule', issuesOf(parsed.error));
  const known = new Set((await listOnCallUsers(deps.handle.db)).map((u) => u.name));
  const unknown = parsed.data.layers.flatMap((layer, i) =>
    layer.users.flatMap((user, j) => (known.has(user) ? [] : [{ path: `layers.${i}.users.${j}`, message: `unknown user ${user} (add it with PUT /api/v1/users/${user})` }])),
  );
  if (unknown.length > 0) return invalid('schedule', unknown);
  return ok(scheduleOf(name, parsed.data));
}

export async function putSchedule(deps: OnCallDeps, name: string, body: unknown): Promise<Result<Schedule>> {
  const checked = await checkSchedule(deps, name, body);
  if (!checked.ok) return checked;
  await upsertScheduleDefinition(deps.handle.db, name, scheduleEntryOf(checked.value), deps.clock.now());
  return loadSchedule(deps, name, deps.clock.now() - MAX_RESOLVE_MS);
}

/** A stored schedule with its overrides that end after `overridesAfter`. */
export async function loadSchedule(deps: OnCallDeps, name: string, overridesAfter: number): Promise<Result<Schedule>> {
  const definition = await findScheduleDefinition(deps.handle.db, name);
  if (definition === null) return fail('NOT_FOUND', `schedule ${name} not found`);
  const parsed = ScheduleEntry.safeParse(definition);
  if (!parsed.success) return fail('CONFLICT', `schedule ${name} is stored in a form this version cannot read: ${issuesOf(parsed.error)[0]?.message}`);
  return ok(scheduleOf(name, parsed.data, await overridesEndingAfter(deps.handle.db, name, overridesAfter)));
}

export async function listSchedules(deps: OnCallDeps, overridesAfter: number): Promise<Schedule[]> {
  const out: Schedule[] = [];
  for (const { name } of await listScheduleDefinitions(deps.handle.db)) {
    const loaded = await loadSchedule(deps, name, overridesAfter);
    if (loaded.ok) out.push(loaded.value);
  }
  return out;
}

export async function removeSchedule(deps: OnCallDeps, name: string): Promise<Result<null>> {
  return (await deleteSchedule(deps.handle.db, name)) ? ok(null) : fail('NOT_FOUND', `schedule ${name} not found`);
}

/** Resolved shifts of a schedule over [from, to) (at most MAX_RESOLVE_MS). */
export async function scheduleShifts(deps: OnCallDeps, name: string, from: number, to: number): Promise<Result<{ schedule: Schedule; shifts: Shift[] }>> {
  if (!(from < to)) return fail('VALIDATION', 'to must be after from', { field: 'to' });
  if (to - from > MAX_RESOLVE_MS) return fail('VALIDATION', `at most ${MAX_RESOLVE_MS / 86_400_000} days at once`, { field: 'to' });
  const loaded = await loadSchedule(deps, name, from);
  if (!loaded.ok) return loaded;
  return ok({ schedule: loaded.value, shifts: shiftsBetween(loaded.value, from, to) });
}

/** How far ahead a calendar feed reaches. */
export const FEED_MS = 56 * 86_400_000;

/** A schedule's shifts from the one on call at `now` (whole) to `now + FEED_MS`. */
function upcoming(schedule: Schedule, now: number): Shift[] {
  const from = Math.min(now, onCallAt(schedule, now)?.from ?? now);
  return shiftsBetween(schedule, from, now + FEED_MS);
}

/** A schedule's shifts for its calendar feed. */
export async function scheduleFeed(deps: OnCallDeps, name: string): Promise<Result<{ schedule: string; shift: Shift }[]>> {
  const now = deps.clock.now();
  const loaded = await loadSchedule(deps, name, now - MAX_RESOLVE_MS / 2);
  if (!loaded.ok) return loaded;
  return ok(upcoming(loaded.value, now).map((shift) => ({ schedule: name, shift })));
}

/** One person's shifts across every schedule, for their calendar feed, by start. */
export async function userFeed(deps: OnCallDeps, user: string): Promise<Result<{ schedule: string; shift: Shift }[]>> {
  if (!(await listOnCallUsers(deps.handle.db)).some((u) => u.name === user)) return fail('NOT_FOUND', `user ${user} not found`);
  const now = deps.clock.now();
  const out: { schedule: string; shift: Shift }[] = [];
  for (const schedule of await listSchedules(deps, now - MAX_RESOLVE_MS / 2)) {
    for (const shift of upcoming(schedule, now)) if (shift.user === user) out.push({ schedule: schedule.name, shift });
  }
  return ok(out.sort((a, b) => a.shift.from - b.shift.from || a.schedule.localeCompare(b.schedule)));
}

export interface ScheduleOverview {
  schedule: Schedule;
  current: Shift | null;
  next: Shift | null;
  /** The shifts over [now, now + days). */
  shifts: Shift[];
}

/** Every schedule with who is on call now, who is next and the shifts of the coming `days`. */
export async function onCallOverview(deps: OnCallDeps, days: number): Promise<ScheduleOverview[]> {
  const now = deps.clock.now();
  return (await listSchedules(deps, now - MAX_RESOLVE_MS / 2)).map((schedule) => ({
    schedule,
    current: onCallAt(schedule, now),
    next: nextOnCall(schedule, now),
    shifts: shiftsBetween(schedule, now, now + days * 86_400_000),
  }));
}

/** Who is on call at `at`, per schedule (schedules with nobody then are left out). */
export async function whoIsOnCall(deps: OnCallDeps, at: number): Promise<{ schedule: string; shift: Shift }[]> {
  const out: { schedule: string; shift: Shift }[] = [];
  for (const schedule of await listSchedules(deps, at - MAX_RESOLVE_MS / 2)) {
    const shift = onCallAt(schedule, at);
    if (shift) out.push({ schedule: schedule.name, shift });
  }
  return out;
}

export async function addOverride(deps: OnCallDeps, name: string, input: { user: string; from: number; to: number }, actor: string): Promise<Result<{ id: number }>> {
  if (!(input.from < input.to)) return fail('VALIDATION', 'invalid override: to: must be after from', { field: 'to' });
  if (input.to - input.from > MAX_RESOLVE_MS) return fail('VALIDATION', `invalid override: to: at most ${MAX_RESOLVE_MS / 86_400_000} days long`, { field: 'to' });
  if (!(await findScheduleDefinition(deps.handle.db, name))) return fail('NOT_FOUND', `schedule ${name} not found`);
  if (!(await listOnCallUsers(deps.handle.db)).some((u) => u.name === input.user)) return fail('VALIDATION', `invalid override: user: unknown user ${input.user}`, { field: 'user' });
  return ok({ id: await insertOverride(deps.handle.db, name, input, actor, deps.clock.now()) });
}

export async function removeOverride(deps: OnCallDeps, name: string, id: number): Promise<Result<null>> {
  return (await deleteOverride(deps.handle.db, name, id)) ? ok(null) : fail('NOT_FOUND', `override ${id} of schedule ${name} not found`);
}

/** Puts the configuration file's people and schedules in place (the file wins for the names it defines). */
export async function applyOnCallConfig(deps: OnCallDeps, config: OnCallConfig): Promise<void> {
  const now = deps.clock.now();
  for (const { name, ...user } of config.users) await upsertOnCallUser(deps.handle.db, { name, ...user }, now);
  for (const { name, ...entry } of config.schedules) await upsertScheduleDefinition(deps.handle.db, name, scheduleEntryOf(scheduleOf(name, entry)), now);
}
