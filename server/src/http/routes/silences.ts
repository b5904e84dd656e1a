/** @module Silences and maintenance windows (create/expire: `write`; list: `read`), and the alert list. */
import { Hono } from 'hono';
import { z } from 'zod';
import { parseDuration } from '../../domain/duration.js';
import { Matchers } from '../../domain/matchers.js';
import { silenceState, type Silence } from '../../domain/silence.js';
import { Rfc3339Time, timeSkewProblem, type TimeSkew } from '../../domain/time.js';
import { listAlertPage } from '../../services/incidents.js';
import { createSilence, expireSilence, listSilencesByState, type SilenceDeps, type SilenceInput } from '../../services/silences.js';
import type { Authenticator } from '../../services/tokens.js';
import { requireScope } from '../auth.js';
import { readJsonBody } from '../body.js';
import type { AppEnv } from '../env.js';
import { errorBody, errorResponse } from '../errors.js';
import { iso, presentAlert } from '../present.js';

/** A new silence, as the API takes it and the web UI's form is turned into. */
export const SilenceRequest = z
  .strictObject({
    kind: z.enum(['silence', 'maintenance']).default('silence'),
    matchers: Matchers,
    startsAt: Rfc3339Time.optional(),
    endsAt: Rfc3339Time.optional(),
    duration: z
      .string()
      .refine((d) => (parseDuration(d) ?? 0) > 0, 'a duration such as 2h or 30m')
      .optional(),
    comment: z.string().trim().min(1, 'say why (comment)').max(2000),
  })
  .refine((b) => (b.endsAt === undefined) !== (b.duration === undefined), 'give either endsAt or duration');

/**
 * The service's input from a valid request (the end as a time or a duration), or why not: a start
 * further back than `ingest.timeSkew.past`. Silences are planned ahead (maintenance next month),
 * so only the past is bounded.
 */
export function silenceInputOf(b: z.output<typeof SilenceRequest>, now: number, skew: TimeSkew): { ok: true; input: SilenceInput } | { ok: false; message: string } {
  const startsAt = b.startsAt ?? null;
  const stale = startsAt === null ? null : timeSkewProblem(startsAt, now, { past: skew.past, future: Infinity });
  if (stale) return { ok: false, message: `invalid silence: startsAt: startsAt ${stale}` };
  const end = b.endsAt !== undefined ? { at: b.endsAt } : { after: parseDuration(b.duration as string) as number };
  return { ok: true, input: { kind: b.kind, matchers: b.matchers, startsAt, end, comment: b.comment } };
}

/** `invalid silence: <field>: <problem>`, the first problem of a request that does not parse, and all of them. */
export function silenceRequestProblem(error: z.ZodError): { message: string; issues: { path: string; message: string }[] } {
  const issues = error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message }));
  return { message: `invalid silence: ${issues[0]?.path ? `${issues[0].path}: ` : ''}${issues[0]?.message}`, issues };
}

const present = (s: Silence, now: number) => ({
  id: s.id,
  kind: s.kind,
  state: silenceState(s, now),
  matchers: s.matchers,
  startsAt: iso(s.startsAt),
  endsAt: iso(s.endsAt),
  createdBy: s.createdBy,
  comment: s.comment,
  createdAt: iso(s.createdAt),
});

const AlertsQuery = z.strictObject({
  status: z.enum(['firing', 'resolved']).optional(),
  suppressed: z.enum(['true', 'false']).transform((v) => v === 'true').optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  /** The `nextCursor` of the previous page: alerts with a smaller id. */
  cursor: z
    .string()
    .regex(/^\d{1,15}$/, 'not a cursor (give the nextCursor a previous page returned)')
    .transform(Number)
    .optional(),
  /** `all`: each alert's earlier episodes too, each with its incident. */
  episodes: z.enum(['current', 'all']).default('current'),
});

export function silenceRoutes(deps: SilenceDeps & { authenticator: Authenticator; timeSkew: TimeSkew }): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.post('/api/v1/silences', requireScope(deps.authenticator, 'write'), async (c) => {
    const body = await readJsonBody(c);
    if (!body.ok) return errorResponse(c, body.error);
    const parsed = SilenceRequest.safeParse(body.value.json);
    if (!parsed.success) {
      const problem = silenceRequestProblem(parsed.error);
      return c.json(errorBody(c, 'VALIDATION', problem.message, { issues: problem.issues }), 400);
    }
    const input = silenceInputOf(parsed.data, deps.clock.now(), deps.timeSkew);
    if (!input.ok) return c.json(errorBody(c, 'VALIDATION', input.message, { field: 'startsAt' }), 400);
    const created = await createSilence(deps, input.input, c.get('principal').name);
    if (!created.ok) return errorResponse(c, created.error);
    return c.json(present(created.value, deps.clock.now()), 201);
  });

  app.get('/api/v1/silences', requireScope(deps.authenticator, 'read'), async (c) => {
    const state = z.enum(['active', 'pending', 'expired', 'all']).default('all').safeParse(c.req.query('state'));
    if (!state.success) return c.json(errorBody(c, 'VALIDATION', 'state must be one of active, pending, expired, all'), 400);
    const now = deps.clock.now();
    return c.json({ items: (await listSilencesByState(deps, state.data)).map((s) => present(s, now)) });
  });

  app.delete('/api/v1/silences/:id', requireScope(deps.authenticator, 'write'), async (c) => {
    const result = await expireSilence(deps, c.req.param('id'));
    if (!result.ok) return errorResponse(c, result.error);
    return c.json(present(result.value, deps.clock.now()));
  });

  app.get('/api/v1/alerts', requireScope(deps.authenticator, 'read'), async (c) => {
    const query = AlertsQuery.safeParse(c.req.query());
    if (!query.success) return c.json(errorBody(c, 'VALIDATION', `invalid query: ${query.error.issues[0]?.path.join('.')}: ${query.error.issues[0]?.message}`), 400);
    const { cursor, episodes, ...filter } = query.data;
    const page = await listAlertPage(deps, { ...filter, before: cursor }, episodes === 'all');
    const nextCursor = page.nextBefore === null ? null : String(page.nextBefore);
    const params = new URLSearchParams(Object.entries(c.req.query()).filter(([k]) => k !== 'cursor'));
    if (nextCursor) params.set('cursor', nextCursor);
    return c.json({
      items: page.alerts.map((a) => ({
        ...presentAlert(a),
        incidentId: a.incidentId,
        suppressedBy: a.suppressedBy,
        flapping: a.flapping,
        ...(a.pastEpisodes ? { pastEpisodes: a.pastEpisodes.map((e) => ({ startsAt: iso(e.startsAt), endsAt: iso(e.endsAt), resolved: e.resolved, incidentId: e.incidentId })) } : {}),
      })),
      nextCursor,
      next: nextCursor ? `/api/v1/alerts?${params.toString()}` : null,
    });
  });

  return app;
}
