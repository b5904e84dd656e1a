/**
 * @module Problem management API: problem candidates (list, detail, refresh, review actions),
 * problems and known errors, and per incident its known error and similar past incidents.
 */
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { CANDIDATE_STATES, PROBLEM_STATUSES, type ProblemRecord, type StoredCandidate } from '../../domain/problem.js';
import type { ProblemMetrics } from '../../services/problem-metrics.js';
import {
  actOnCandidate,
  candidateMembers,
  createProblem,
  getProblemCandidate,
  getProblemDetail,
  knownErrorOfIncident,
  listProblemCandidatesWithMembers,
  listProblemRecords,
  recognizeKnownErrors,
  refreshProblemCandidates,
  similarIncidents,
  updateProblem,
  type CandidateDetail,
  type ProblemDeps,
  type ProblemDetail,
} from '../../services/problems.js';
import type { Authenticator } from '../../services/tokens.js';
import { requireScope } from '../auth.js';
import { readJsonBody, readOptionalJsonBody } from '../body.js';
import type { AppEnv } from '../env.js';
import { errorBody, errorResponse } from '../errors.js';
import { iso } from '../present.js';
import { parseRfc3339 } from '../../domain/time.js';

const commaList = <T extends string>(values: readonly T[]) =>
  z
    .string()
    .transform((s) => s.split(',').map((v) => v.trim()).filter(Boolean))
    .pipe(z.array(z.enum(values as unknown as [T, ...T[]])));

const CandidateQuery = z.strictObject({
  state: commaList(CANDIDATE_STATES).optional(),
  badge: commaList(['frequent', 'rare', 'new'] as const).optional(),
  inactive: z.enum(['true', 'false']).optional(),
});
const ProblemQuery = z.strictObject({ status: commaList(PROBLEM_STATUSES).optional(), limit: z.coerce.number().int().min(1).max(500).default(100) });
const SimilarQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(200).default(20) });

/** An RFC 3339 time with an offset, as epoch ms. */
const Rfc3339 = z.string().transform((value, ctx) => {
  const parsed = parseRfc3339(value);
  if (parsed.ok) return parsed.ms;
  ctx.addIssue({ code: 'custom', message: `expected an RFC 3339 time with an offset; ${parsed.reason}` });
  return z.NEVER;
});
const RefreshBody = z
  .strictObject({ from: Rfc3339.optional(), to: Rfc3339.optional() })
  .refine((b) => b.from === undefined || b.to === undefined || b.from < b.to, { message: 'must be before to', path: ['from'] });

/** Member incident ids listed with each candidate; the rest are paged at `…/:id/incidents`. */
const MEMBERS_PER_CANDIDATE = 100;
/** The incident id the page starts after, as given in `next`. */
const Cursor = z.string().regex(/^\d{1,15}$/, 'not a cursor (give the one a previous page returned)').transform(Number);
const MemberQuery = z.strictObject({ cursor: Cursor.optional(), limit: z.coerce.number().int().min(1).max(1000).default(200) });

const CandidateId = z.string().regex(/^pc-[0-9a-f]{12}$/, 'not a problem candidate id (pc- and 12 hex digits)');
const NumericId = z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER);
const Text = (max: number) => z.string().trim().min(1, 'must not be empty').max(max);
const IncidentIds = z.array(z.number().int().positive().max(Number.MAX_SAFE_INTEGER)).max(10_000);

const ActionBody = z.strictObject({ note: z.string().max(10_000).optional() });
const PromoteBody = z.strictObject({ title: Text(500).optional(), owner: Text(256).nullable().optional(), note: z.string().max(10_000).optional() });
const CreateBody = z.strictObject({
  title: Text(500),
  owner: Text(256).nullable().optional(),
  rootCause: Text(20_000).nullable().optional(),
  workaround: Text(20_000).nullable().optional(),
  incidentIds: IncidentIds.optional(),
});
const PatchBody = z
  .strictObject({
    title: Text(500).optional(),
    status: z.enum(PROBLEM_STATUSES).optional(),
    owner: Text(256).nullable().optional(),
    rootCause: Text(20_000).nullable().optional(),
    workaround: Text(20_000).nullable().optional(),
    linkIncidents: IncidentIds.optional(),
    note: Text(10_000).optional(),
    fixChangeId: z.number().int().positive().max(Number.MAX_SAFE_INTEGER).nullable().optional(),
  })
  .refine((b) => Object.values(b).some((v) => v !== undefined), 'nothing to change: give at least one field');
const KnownErrorBody = z.strictObject({ workaround: Text(20_000), rootCause: Text(20_000).nullable().optional(), note: Text(10_000).optional() });

function validationError(c: Context<AppEnv>, where: string, error: z.ZodError) {
  const issues = error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
  const first = issues[0];
  return c.json(errorBody(c, 'VALIDATION', `invalid ${where}: ${first?.path ? `${first.path}: ` : ''}${first?.message}`, { issues }), 400);
}

export function presentCandidate(c: StoredCandidate) {
  return {
    id: c.id,
    name: c.name,
    state: c.state,
    badge: c.badge,
    active: c.active,
    alertname: c.alertname,
    exampleTitle: c.exampleTitle,
    count: c.count,
    firstSeen: iso(c.firstSeen),
    lastSeen: iso(c.lastSeen),
    recurrencePerWeek: c.recurrencePerWeek,
    services: c.services,
    hosts: c.hosts,
    totalDowntimeSeconds: Math.round(c.totalDowntimeMs / 1000),
    impact: {
      score: c.impact.score,
      downtimeSeconds: Math.round(c.impact.downtimeMs / 1000),
      incidentsByPriority: c.impact.incidentsByPriority,
      services: c.impact.services,
      recentIncidents: c.impact.recent,
      earlierIncidents: c.impact.earlier,
      trend: c.impact.trend,
    },
    mttrSeconds: c.mttrMs === null ? null : Math.round(c.mttrMs / 1000),
    cohesion: c.cohesion,
    radius: c.radius,
    topTerms: c.topTerms,
    features: c.features,
    signatures: c.signatures,
    problemId: c.problemId,
    stateChangedAt: iso(c.stateChangedAt),
    stateChangedBy: c.stateChangedBy,
    stateNote: c.stateNote,
    createdAt: iso(c.createdAt),
    refreshedAt: iso(c.refreshedAt),
  };
}

const membersLink = (id: string, after: number, limit?: number) => `/api/v1/problem-candidates/${id}/incidents?cursor=${after}${limit ? `&limit=${limit}` : ''}`;

function presentProblem(p: ProblemRecord) {
  return {
    id: p.id,
    title: p.title,
    status: p.status,
    knownError: p.status === 'known_error',
    rootCause: p.rootCause,
    workaround: p.workaround,
    owner: p.owner,
    candidateId: p.candidateId,
    createdAt: iso(p.createdAt),
    updatedAt: iso(p.updatedAt),
    knownErrorAt: iso(p.knownErrorAt),
    resolvedAt: iso(p.resolvedAt),
    fixChangeId: p.fixChangeId,
    /** Null while no fix is named; false once a recurrence after it showed it did not hold. */
    fixHeld: p.fixChangeId === null ? null : p.fixFailedAt === null,
    fixFailedAt: iso(p.fixFailedAt),
  };
}

export const presentIncidentSummary = (i: { id: number; title: string; status: string; priority: string; service: string | null; host: string | null; openedAt: number; resolvedAt: number | null }) => ({
  id: i.id,
  title: i.title,
  status: i.status,
  priority: i.priority,
  service: i.service,
  host: i.host,
  openedAt: iso(i.openedAt),
  resolvedAt: iso(i.resolvedAt),
});

function presentCandidateDetail(d: CandidateDetail) {
  return { ...presentCandidate(d.candidate), memberIds: d.candidate.memberIds.map(Number), incidents: d.incidents.map(presentIncidentSummary), problem: d.problem ? presentProblem(d.problem) : null };
}

function presentProblemDetail(d: ProblemDetail) {
  return {
    ...presentProblem(d.problem),
    incidents: d.incidents.map((i) => ({ ...presentIncidentSummary(i), linkedAt: iso(i.linkedAt), linkedBy: i.linkedBy })),
    timeline: d.timeline.map((t) => ({ at: iso(t.at), kind: t.kind, actor: t.actor, message: t.message, data: t.data })),
  };
}

export function problemRoutes(deps: ProblemDeps & { authenticator: Authenticator; metrics: ProblemMetrics }): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const read = requireScope(deps.authenticator, 'read');
  const write = requireScope(deps.authenticator, 'write');

  // A body is optional: without one (or without from/to) the configured lookback up to now.
  app.post('/api/v1/problem-candidates/refresh', write, async (c) => {
    const body = await readOptionalJsonBody(c);
    if (!body.ok) return errorResponse(c, body.error);
    const parsed = RefreshBody.safeParse(body.value.json ?? {});
    if (!parsed.success) return validationError(c, 'body', parsed.error);
    const stop = deps.metrics.refreshDuration.startTimer();
    const refresh = await refreshProblemCandidates(deps, parsed.data);
    stop();
    const recognition = await recognizeKnownErrors(deps);
    return c.json({ ...refresh, from: iso(refresh.from), to: iso(refresh.to), recognition });
  });

  app.get('/api/v1/problem-candidates', read, async (c) => {
    const query = CandidateQuery.safeParse(c.req.query());
    if (!query.success) return validationError(c, 'query', query.error);
    const items = await listProblemCandidatesWithMembers(deps, { state: query.data.state, badge: query.data.badge, includeInactive: query.data.inactive === 'true' }, MEMBERS_PER_CANDIDATE);
    return c.json({
      items: items.map((i) => ({
        ...presentCandidate(i.candidate),
        memberIds: i.memberIds,
        membersNext: i.nextAfter === null ? null : membersLink(i.candidate.id, i.nextAfter),
      })),
    });
  });

  app.get('/api/v1/problem-candidates/:id/incidents', read, async (c) => {
    const id = CandidateId.safeParse(c.req.param('id'));
    if (!id.success) return validationError(c, 'candidate id', id.error);
    const query = MemberQuery.safeParse(c.req.query());
    if (!query.success) return validationError(c, 'query', query.error);
    const page = await candidateMembers(deps, id.data, query.data.cursor ?? 0, query.data.limit);
    if (!page.ok) return errorResponse(c, page.error);
    const { nextAfter } = page.value;
    return c.json({
      candidateId: id.data,
      items: page.value.incidents.map(presentIncidentSummary),
      nextCursor: nextAfter === null ? null : String(nextAfter),
      next: nextAfter === null ? null : membersLink(id.data, nextAfter, query.data.limit),
    });
  });

  app.get('/api/v1/problem-candidates/:id', read, async (c) => {
    const id = CandidateId.safeParse(c.req.param('id'));
    if (!id.success) return validationError(c, 'candidate id', id.error);
    const detail = await getProblemCandidate(deps, id.data);
    if (!detail.ok) return errorResponse(c, detail.error);
    return c.json(presentCandidateDetail(detail.value));
  });

  for (const action of ['review', 'dismiss', 'promote'] as const) {
    app.post(`/api/v1/problem-candidates/:id/${action}`, write, async (c) => {
      const id = CandidateId.safeParse(c.req.param('id'));
      if (!id.success) return validationError(c, 'candidate id', id.error);
      const body = await readOptionalJsonBody(c);
      if (!body.ok) return errorResponse(c, body.error);
      const parsed = (action === 'promote' ? PromoteBody : ActionBody).safeParse(body.value.json);
      if (!parsed.success) return validationError(c, 'body', parsed.error);
      const result = await actOnCandidate(deps, id.data, action, c.get('principal').name, parsed.data);
      if (!result.ok) return errorResponse(c, result.error);
      return c.json(presentCandidateDetail(result.value), action === 'promote' ? 201 : 200);
    });
  }

  app.get('/api/v1/problems', read, async (c) => {
    const query = ProblemQuery.safeParse(c.req.query());
    if (!query.success) return validationError(c, 'query', query.error);
    return c.json({ items: (await listProblemRecords(deps, query.data)).map(presentProblem) });
  });

  app.post('/api/v1/problems', write, async (c) => {
    const body = await readJsonBody(c);
    if (!body.ok) return errorResponse(c, body.error);
    const parsed = CreateBody.safeParse(body.value.json);
    if (!parsed.success) return validationError(c, 'body', parsed.error);
    const result = await createProblem(deps, parsed.data, c.get('principal').name);
    if (!result.ok) return errorResponse(c, result.error);
    return c.json(presentProblemDetail(result.value), 201);
  });

  app.get('/api/v1/problems/:id', read, async (c) => {
    const id = NumericId.safeParse(c.req.param('id'));
    if (!id.success) return validationError(c, 'problem id', id.error);
    const detail = await getProblemDetail(deps, id.data);
    if (!detail.ok) return errorResponse(c, detail.error);
    return c.json(presentProblemDetail(detail.value));
  });

  app.patch('/api/v1/problems/:id', write, async (c) => {
    const id = NumericId.safeParse(c.req.param('id'));
    if (!id.success) return validationError(c, 'problem id', id.error);
    const body = await readJsonBody(c);
    if (!body.ok) return errorResponse(c, body.error);
    const parsed = PatchBody.safeParse(body.value.json);
    if (!parsed.success) return validationError(c, 'body', parsed.error);
    const result = await updateProblem(deps, id.data, parsed.data, c.get('principal').name);
    if (!result.ok) return errorResponse(c, result.error);
    return c.json(presentProblemDetail(result.value));
  });

  // Publishing a workaround makes the problem a known error (shorthand for PATCH with status).
  app.post('/api/v1/problems/:id/known-error', write, async (c) => {
    const id = NumericId.safeParse(c.req.param('id'));
    if (!id.success) return validationError(c, 'problem id', id.error);
    const body = await readJsonBody(c);
    if (!body.ok) return errorResponse(c, body.error);
    const parsed = KnownErrorBody.safeParse(body.value.json);
    if (!parsed.success) return validationError(c, 'body', parsed.error);
    const result = await updateProblem(deps, id.data, { status: 'known_error', ...parsed.data }, c.get('principal').name);
    if (!result.ok) return errorResponse(c, result.error);
    return c.json(presentProblemDetail(result.value));
  });

  app.get('/api/v1/known-errors', read, async (c) => {
    return c.json({ items: (await listProblemRecords(deps, { status: ['known_error'], limit: 500 })).map(presentProblem) });
  });

  app.get('/api/v1/incidents/:id/known-error', read, async (c) => {
    const id = NumericId.safeParse(c.req.param('id'));
    if (!id.success) return validationError(c, 'incident id', id.error);
    const known = await knownErrorOfIncident(deps, id.data);
    if (!known) return c.json(errorBody(c, 'NOT_FOUND', `incident ${id.data} is not recognised as a known error`), 404);
    return c.json({ incidentId: id.data, problem: presentProblem(known.problem), candidateId: known.candidateId, similarity: known.similarity, matchedAt: iso(known.matchedAt) });
  });

  app.get('/api/v1/incidents/:id/similar', read, async (c) => {
    const id = NumericId.safeParse(c.req.param('id'));
    if (!id.success) return validationError(c, 'incident id', id.error);
    const query = SimilarQuery.safeParse(c.req.query());
    if (!query.success) return validationError(c, 'query', query.error);
    const result = await similarIncidents(deps, id.data, query.data.limit);
    if (!result.ok) return errorResponse(c, result.error);
    return c.json({ incidentId: id.data, candidates: result.value.candidates, items: result.value.incidents.map(presentIncidentSummary) });
  });

  return app;
}
