/** @module Incident API: list, detail, lifecycle actions, notes, edits, MTTA/MTTR stats. */
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { TimeOrAgo } from '../../domain/time.js';
import { INCIDENT_STATUSES, PRIORITIES, type IncidentAction } from '../../domain/incident.js';
import {
  addIncidentNote,
  computeIncidentStats,
  mergeIncidents,
  splitIncident,
  DETAIL_ALERTS_LIMIT,
  DETAIL_TIMELINE_LIMIT,
  getIncidentDetail,
  incidentAlertsPage,
  incidentTimelinePage,
  listIncidentPage,
  transitionIncident,
  updateIncident,
  type IncidentDeps,
} from '../../services/incidents.js';
import { knownErrorOfIncident } from '../../services/problems.js';
import type { Authenticator } from '../../services/tokens.js';
import { requireScope } from '../auth.js';
import { readJsonBody, readOptionalJsonBody } from '../body.js';
import type { AppEnv } from '../env.js';
import { errorBody, errorResponse } from '../errors.js';
import { iso, presentAlert, presentIncident, presentTimeline } from '../present.js';
import type { IncidentRecord } from '../../db/incidents-repo.js';

const commaList = <T extends string>(values: readonly T[]) =>
  z
    .string()
    .transform((s) => s.split(',').map((v) => v.trim()).filter(Boolean))
    .pipe(z.array(z.enum(values as unknown as [T, ...T[]])));


/** Up to ten words, all of which an incident must match (see `IncidentFilter.text`). */
export const SearchText = z
  .string()
  .max(200, 'at most 200 characters')
  .transform((s) => s.split(/\s+/).filter(Boolean))
  .pipe(z.array(z.string()).max(10, 'at most 10 words'));

const ListQuery = z.strictObject({
  status: commaList(INCIDENT_STATUSES).optional(),
  priority: commaList(PRIORITIES).optional(),
  service: z.string().min(1).max(256).optional(),
  since: TimeOrAgo.optional(),
  until: TimeOrAgo.optional(),
  q: SearchText.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().max(64).optional(),
});

const StatsQuery = z.strictObject({ since: TimeOrAgo.optional(), until: TimeOrAgo.optional() });

const IdParam = z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER);

const AlertsPageQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(5000).default(DETAIL_ALERTS_LIMIT),
  cursor: z.string().max(128).optional(),
});
const TimelinePageQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(10_000).default(DETAIL_TIMELINE_LIMIT),
  cursor: z.string().max(128).optional(),
  order: z.enum(['oldest', 'newest']).default('oldest'),
});

const ActionBody = z.strictObject({ note: z.string().max(10_000).optional() });
/** A resolve while alerts still fire needs `force` (409 names them otherwise). */
const ResolveBody = ActionBody.extend({ force: z.boolean().optional() });
const NoteBody = z.strictObject({ text: z.string().trim().min(1, 'text must not be empty').max(10_000) });
const PatchBody = z
  .strictObject({
    priority: z.enum(PRIORITIES).nullable().optional(),
    assignee: z.string().trim().min(1).max(256).nullable().optional(),
  })
  .refine((b) => b.priority !== undefined || b.assignee !== undefined, 'nothing to change: give priority and/or assignee');

function validationError(c: Context<AppEnv>, where: string, error: z.ZodError) {
  const issues = error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
  const first = issues[0];
  return c.json(errorBody(c, 'VALIDATION', `invalid ${where}: ${first?.path ? `${first.path}: ` : ''}${first?.message}`, { issues }), 400);
}

const MergeBody = z.strictObject({ into: z.number().int().positive() });
const SplitBody = z.strictObject({ alerts: z.array(z.number().int().positive()).min(1).max(10_000) });

export function incidentRoutes(
  deps: IncidentDeps & { authenticator: Authenticator; resolveHoldDownMs: number; /** The incident's response/resolution targets, shown as `sla`. */ incidentSla?: (id: number) => Promise<unknown>; /** Its SLA signals, shown as `slaSignals`. */ slaSignals?: (id: number) => Promise<unknown>; /** The changes before it, ranked, shown as `changes`. */ incidentChanges?: (incident: IncidentRecord) => Promise<unknown[]> },
): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const read = requireScope(deps.authenticator, 'read');
  const write = requireScope(deps.authenticator, 'write');

  app.get('/api/v1/incidents', read, async (c) => {
    const query = ListQuery.safeParse(c.req.query());
    if (!query.success) return validationError(c, 'query', query.error);
    const q = query.data;
    const now = deps.clock.now();
    const since = q.since ? (q.since.at ?? now - (q.since.ago ?? 0)) : undefined;
    const until = q.until ? (q.until.at ?? now - (q.until.ago ?? 0)) : undefined;
    if (since !== undefined && until !== undefined && since >= until) return c.json(errorBody(c, 'VALIDATION', 'invalid query: until: must be after since'), 400);
    const text = q.q?.length ? q.q : undefined;
    const page = await listIncidentPage(deps, { status: q.status, priority: q.priority, service: q.service, since, until, text, limit: q.limit, cursor: q.cursor });
    if (!page.ok) return errorResponse(c, page.error);
    return c.json({ items: page.value.items.map(presentIncident), nextCursor: page.value.nextCursor });
  });

  app.get('/api/v1/incidents/:id', read, async (c) => {
    const id = IdParam.safeParse(c.req.param('id'));
    if (!id.success) return validationError(c, 'incident id', id.error);
    const detail = await getIncidentDetail(deps, id.data);
    if (!detail.ok) return errorResponse(c, detail.error);
    const { incident, alerts, timeline } = detail.value;
    const known = await knownErrorOfIncident(deps, id.data);
    const knownError = known && { problemId: known.problem.id, title: known.problem.title, status: known.problem.status, workaround: known.problem.workaround, similarity: known.similarity, matchedAt: iso(known.matchedAt) };
    const sla = deps.incidentSla ? { sla: await deps.incidentSla(incident.id) } : {};
    const signals = deps.slaSignals ? { slaSignals: await deps.slaSignals(incident.id) } : {};
    const changes = deps.incidentChanges ? { changes: await deps.incidentChanges(incident) } : {};
    return c.json({
      ...presentIncident(incident),
      alerts: alerts.items.map(presentAlert),
      alertsTotal: alerts.total,
      alertsNextCursor: alerts.nextCursor,
      timeline: timeline.items.map(presentTimeline),
      timelineTotal: timeline.total,
      timelineNextCursor: timeline.nextCursor,
      knownError,
      ...sla,
      ...signals,
      ...changes,
    });
  });

  /** The rest of a big incident's alerts, in start order, a page at a time. */
  app.get('/api/v1/incidents/:id/alerts', read, async (c) => {
    const id = IdParam.safeParse(c.req.param('id'));
    if (!id.success) return validationError(c, 'incident id', id.error);
    const query = AlertsPageQuery.safeParse(c.req.query());
    if (!query.success) return validationError(c, 'query', query.error);
    const page = await incidentAlertsPage(deps, id.data, query.data);
    if (!page.ok) return errorResponse(c, page.error);
    return c.json({ items: page.value.items.map(presentAlert), total: page.value.total, nextCursor: page.value.nextCursor });
  });

  /** The incident's timeline a page at a time, oldest first or newest first. */
  app.get('/api/v1/incidents/:id/timeline', read, async (c) => {
    const id = IdParam.safeParse(c.req.param('id'));
    if (!id.success) return validationError(c, 'incident id', id.error);
    const query = TimelinePageQuery.safeParse(c.req.query());
    if (!query.success) return validationError(c, 'query', query.error);
    const { order, ...rest } = query.data;
    const page = await incidentTimelinePage(deps, id.data, { ...rest, newestFirst: order === 'newest' });
    if (!page.ok) return errorResponse(c, page.error);
    return c.json({ items: page.value.items.map(presentTimeline), total: page.value.total, nextCursor: page.value.nextCursor });
  });

  const actions: IncidentAction[] = ['acknowledge', 'resolve', 'hold', 'resume', 'reopen', 'close', 'cancel'];
  for (const action of actions) {
    app.post(`/api/v1/incidents/:id/${action}`, write, async (c) => {
      const id = IdParam.safeParse(c.req.param('id'));
      if (!id.success) return validationError(c, 'incident id', id.error);
      const body = await readOptionalJsonBody(c);
      if (!body.ok) return errorResponse(c, body.error);
      const parsed = (action === 'resolve' ? ResolveBody : ActionBody).safeParse(body.value.json);
      if (!parsed.success) return validationError(c, 'body', parsed.error);
      const force = 'force' in parsed.data && parsed.data.force === true;
      const result = await transitionIncident(deps, id.data, action, c.get('principal').name, parsed.data.note ?? null, { force });
      if (!result.ok) return errorResponse(c, result.error);
      return c.json(presentIncident(result.value));
    });
  }

  app.post('/api/v1/incidents/:id/merge', write, async (c) => {
    const id = IdParam.safeParse(c.req.param('id'));
    if (!id.success) return validationError(c, 'incident id', id.error);
    const body = await readJsonBody(c);
    if (!body.ok) return errorResponse(c, body.error);
    const parsed = MergeBody.safeParse(body.value.json);
    if (!parsed.success) return validationError(c, 'body', parsed.error);
    const result = await mergeIncidents(deps, id.data, parsed.data.into, c.get('principal').name);
    if (!result.ok) return errorResponse(c, result.error);
    return c.json(presentIncident(result.value));
  });

  app.post('/api/v1/incidents/:id/split', write, async (c) => {
    const id = IdParam.safeParse(c.req.param('id'));
    if (!id.success) return validationError(c, 'incident id', id.error);
    const body = await readJsonBody(c);
    if (!body.ok) return errorResponse(c, body.error);
    const parsed = SplitBody.safeParse(body.value.json);
    if (!parsed.success) return validationError(c, 'body', parsed.error);
    const result = await splitIncident(deps, id.data, parsed.data.alerts, c.get('principal').name);
    if (!result.ok) return errorResponse(c, result.error);
    return c.json(presentIncident(result.value), 201);
  });

  app.post('/api/v1/incidents/:id/notes', write, async (c) => {
    const id = IdParam.safeParse(c.req.param('id'));
    if (!id.success) return validationError(c, 'incident id', id.error);
    const body = await readJsonBody(c);
    if (!body.ok) return errorResponse(c, body.error);
    const parsed = NoteBody.safeParse(body.value.json);
    if (!parsed.success) return validationError(c, 'body', parsed.error);
    const result = await addIncidentNote(deps, id.data, c.get('principal').name, parsed.data.text);
    if (!result.ok) return errorResponse(c, result.error);
    return c.json(presentTimeline(result.value), 201);
  });

  app.patch('/api/v1/incidents/:id', write, async (c) => {
    const id = IdParam.safeParse(c.req.param('id'));
    if (!id.success) return validationError(c, 'incident id', id.error);
    const body = await readJsonBody(c);
    if (!body.ok) return errorResponse(c, body.error);
    const parsed = PatchBody.safeParse(body.value.json);
    if (!parsed.success) return validationError(c, 'body', parsed.error);
    const result = await updateIncident(deps, id.data, c.get('principal').name, parsed.data);
    if (!result.ok) return errorResponse(c, result.error);
    return c.json(presentIncident(result.value));
  });

  app.get('/api/v1/stats', read, async (c) => {
    const query = StatsQuery.safeParse(c.req.query());
    if (!query.success) return validationError(c, 'query', query.error);
    const now = deps.clock.now();
    const resolve = (p: { at?: number; ago?: number } | undefined, fallback: number) => (p ? (p.at ?? now - (p.ago ?? 0)) : fallback);
    const from = resolve(query.data.since, now - 30 * 86_400_000);
    const to = resolve(query.data.until, now + 1);
    if (from >= to) return c.json(errorBody(c, 'VALIDATION', 'since must be before until'), 400);
    const stats = await computeIncidentStats(deps, from, to);
    return c.json({ ...stats, from: iso(stats.from), to: iso(stats.to) });
  });

  return app;
}
