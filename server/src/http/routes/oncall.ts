/** @module On-call: people and schedules (change: `write`; look: `read`), overrides, and who is on call. */
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { ONCALL_NAME, scheduleEntryOf, type Schedule, type Shift } from '../../domain/oncall.js';
import { Rfc3339Time } from '../../domain/time.js';
import { shiftsCalendar } from '../../oncall/ical.js';
import { addOverride, listSchedules, listUsers, putSchedule, putUser, removeOverride, removeSchedule, scheduleFeed, scheduleShifts, userFeed, whoIsOnCall, type OnCallDeps } from '../../services/oncall.js';
import type { Authenticator } from '../../services/tokens.js';
import { requireScope } from '../auth.js';
import { readJsonBody } from '../body.js';
import type { AppEnv } from '../env.js';
import { errorBody, errorResponse } from '../errors.js';
import { iso } from '../present.js';

const DAY_MS = 86_400_000;
const NAME_MESSAGE = 'must start with a letter or digit, then letters, digits or _ . : @ - (at most 128)';

const presentShift = (s: Shift) => ({ user: s.user, from: iso(s.from), to: iso(s.to), layer: s.layer });
const presentSchedule = (s: Schedule) => ({
  name: s.name,
  ...scheduleEntryOf(s),
  overrides: s.overrides.map((o) => ({ id: o.id, user: o.user, from: iso(o.from), to: iso(o.to) })),
});

const ShiftsQuery = z.strictObject({ from: Rfc3339Time.optional(), to: Rfc3339Time.optional() });
const OnCallQuery = z.strictObject({ at: Rfc3339Time.optional() });
const OverrideRequest = z.strictObject({ user: z.string().regex(ONCALL_NAME, NAME_MESSAGE), from: Rfc3339Time, to: Rfc3339Time });

const firstIssue = (what: string, error: z.ZodError) => {
  const issue = error.issues[0];
  return `invalid ${what}: ${issue?.path.length ? `${issue.path.join('.')}: ` : ''}${issue?.message ?? 'invalid'}`;
};

export function oncallRoutes(deps: OnCallDeps & { authenticator: Authenticator }): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const read = requireScope(deps.authenticator, 'read');
  const write = requireScope(deps.authenticator, 'write');
  const badName = (name: string) => (ONCALL_NAME.test(name) ? null : `name ${JSON.stringify(name.slice(0, 40))} ${NAME_MESSAGE}`);

  app.get('/api/v1/users', read, async (c) => c.json({ items: await listUsers(deps) }));

  app.put('/api/v1/users/:name', write, async (c) => {
    const name = c.req.param('name');
    const problem = badName(name);
    if (problem) return c.json(errorBody(c, 'VALIDATION', problem, { field: 'name' }), 400);
    const body = await readJsonBody(c);
    if (!body.ok) return errorResponse(c, body.error);
    const result = await putUser(deps, name, body.value.json);
    return result.ok ? c.json(result.value) : errorResponse(c, result.error);
  });

  app.get('/api/v1/schedules', read, async (c) => c.json({ items: (await listSchedules(deps, deps.clock.now())).map(presentSchedule) }));

  app.put('/api/v1/schedules/:name', write, async (c) => {
    const name = c.req.param('name');
    const problem = badName(name);
    if (problem) return c.json(errorBody(c, 'VALIDATION', problem, { field: 'name' }), 400);
    const body = await readJsonBody(c);
    if (!body.ok) return errorResponse(c, body.error);
    const result = await putSchedule(deps, name, body.value.json);
    return result.ok ? c.json(presentSchedule(result.value)) : errorResponse(c, result.error);
  });

  app.get('/api/v1/schedules/:name', read, async (c) => {
    const query = ShiftsQuery.safeParse(c.req.query());
    if (!query.success) return c.json(errorBody(c, 'VALIDATION', firstIssue('query', query.error)), 400);
    const from = query.data.from ?? deps.clock.now();
    const to = query.data.to ?? from + 14 * DAY_MS;
    const result = await scheduleShifts(deps, c.req.param('name'), from, to);
    if (!result.ok) return errorResponse(c, result.error);
    return c.json({ ...presentSchedule(result.value.schedule), from: iso(from), to: iso(to), shifts: result.value.shifts.map(presentShift) });
  });

  app.delete('/api/v1/schedules/:name', write, async (c) => {
    const result = await removeSchedule(deps, c.req.param('name'));
    return result.ok ? c.body(null, 204) : errorResponse(c, result.error);
  });

  app.post('/api/v1/schedules/:name/overrides', write, async (c) => {
    const body = await readJsonBody(c);
    if (!body.ok) return errorResponse(c, body.error);
    const parsed = OverrideRequest.safeParse(body.value.json);
    if (!parsed.success) return c.json(errorBody(c, 'VALIDATION', firstIssue('override', parsed.error), { field: parsed.error.issues[0]?.path.join('.') }), 400);
    const result = await addOverride(deps, c.req.param('name'), parsed.data, c.get('principal').name);
    if (!result.ok) return errorResponse(c, result.error);
    return c.json({ id: result.value.id, user: parsed.data.user, from: iso(parsed.data.from), to: iso(parsed.data.to) }, 201);
  });

  app.delete('/api/v1/schedules/:name/overrides/:id', write, async (c) => {
    const id = z.coerce.number().int().positive().safeParse(c.req.param('id'));
    if (!id.success) return c.json(errorBody(c, 'VALIDATION', 'override id must be a positive integer', { field: 'id' }), 400);
    const result = await removeOverride(deps, c.req.param('name'), id.data);
    return result.ok ? c.body(null, 204) : errorResponse(c, result.error);
  });

  const calendar = (c: Context<AppEnv>, name: string, shifts: Parameters<typeof shiftsCalendar>[1]) =>
    c.body(shiftsCalendar(name, shifts, deps.clock.now()), 200, { 'content-type': 'text/calendar; charset=utf-8', 'cache-control': 'no-store' });

  app.get('/api/v1/schedules/:name/ical', read, async (c) => {
    const name = c.req.param('name');
    const result = await scheduleFeed(deps, name);
    return result.ok ? calendar(c, `On call: ${name}`, result.value) : errorResponse(c, result.error);
  });

  app.get('/api/v1/users/:name/ical', read, async (c) => {
    const name = c.req.param('name');
    const result = await userFeed(deps, name);
    return result.ok ? calendar(c, `On call: ${name}`, result.value) : errorResponse(c, result.error);
  });

  app.get('/api/v1/oncall', read, async (c) => {
    const query = OnCallQuery.safeParse(c.req.query());
    if (!query.success) return c.json(errorBody(c, 'VALIDATION', firstIssue('query', query.error)), 400);
    const at = query.data.at ?? deps.clock.now();
    const items = await whoIsOnCall(deps, at);
    return c.json({ at: iso(at), items: items.map(({ schedule, shift }) => ({ schedule, user: shift.user, from: iso(shift.from), to: iso(shift.to), layer: shift.layer })) });
  });

  return app;
}
