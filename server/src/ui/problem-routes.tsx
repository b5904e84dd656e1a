/**
 * @module Problem management pages under /ui/problems: candidates (ranked, one with its
 * members and recurrence, review / dismiss / promote), problems and known errors (read,
 * edit, publish a workaround). Same rules as every UI route: a session to look, the write
 * scope and a CSRF token to act.
 */
import type { Context, Hono } from 'hono';
import { z } from 'zod';
import { CANDIDATE_STATES, PROBLEM_STATUSES, type CandidateAction } from '../domain/problem.js';
import type { AppError } from '../domain/result.js';
import { statusOf } from '../http/errors.js';
import type { Clock } from '../services/clock.js';
import { actOnCandidate, getProblemCandidate, getProblemDetail, listProblemCandidates, listProblemRecords, updateProblem, type ProblemPatch } from '../services/problems.js';
import type { DatabaseHandle } from '../db/connection.js';
import type { Section } from './layout.js';
import { CandidateList, CandidateView, ProblemList, ProblemView, type CandidateStateFilter, type ProblemStatusFilter } from './pages/problems.js';
import type { UiEnv } from './session.js';

type Flash = { kind: 'ok' | 'error'; text: string } | null;

export interface PageHelpers {
  page(c: Context<UiEnv>, section: Section, title: string, body: unknown, status?: number, flash?: Flash): Response | Promise<Response>;
  notFound(c: Context<UiEnv>, section: Section, text: string): Response | Promise<Response>;
}

const CandidateStateParam = z.enum(['open', 'all', ...CANDIDATE_STATES]).catch('open');
const ProblemStatusParam = z.enum(['all', ...PROBLEM_STATUSES]).catch('all');
const CandidateId = z.string().min(1).max(128);
const ProblemId = z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER);
const text = (v: unknown, max: number) => (typeof v === 'string' ? v.trim().slice(0, max) : '');

const DONE: Record<string, string> = {
  review: 'Review started.',
  dismiss: 'Candidate dismissed: it comes back only if new incidents join it.',
  promote: 'Promoted: the candidate is now a problem.',
  saved: 'Problem saved.',
};

export function problemPages(app: Hono<UiEnv>, deps: { handle: DatabaseHandle; clock: Clock }, { page, notFound }: PageHelpers): void {
  const flashOf = (c: Context<UiEnv>): Flash => {
    const done = c.req.query('done');
    return done && Object.hasOwn(DONE, done) ? { kind: 'ok', text: DONE[done] as string } : null;
  };

  app.get('/ui/problems/candidates', async (c) => {
    const state: CandidateStateFilter = CandidateStateParam.parse(c.req.query('state') ?? 'open');
    const filter = state === 'all' ? { includeInactive: false } : { state: state === 'open' ? (['new', 'under_review'] as const).slice() : [state] };
    const candidates = await listProblemCandidates(deps, filter);
    return page(c, 'problems', 'Problem candidates', <CandidateList candidates={candidates} state={state} now={deps.clock.now()} />);
  });

  const renderCandidate = async (c: Context<UiEnv>, id: string, status = 200, flash: Flash = null) => {
    const detail = await getProblemCandidate(deps, id);
    if (!detail.ok) return notFound(c, 'problems', detail.error.message);
    return page(c, 'problems', detail.value.candidate.name, <CandidateView ui={c.get('ui')} detail={detail.value} now={deps.clock.now()} />, status, flash ?? flashOf(c));
  };

  app.get('/ui/problems/candidates/:id', async (c) => {
    const id = CandidateId.safeParse(c.req.param('id'));
    return id.success ? renderCandidate(c, id.data) : notFound(c, 'problems', 'There is no such candidate.');
  });

  app.post('/ui/problems/candidates/:id/:action', async (c) => {
    const id = CandidateId.safeParse(c.req.param('id'));
    if (!id.success) return notFound(c, 'problems', 'There is no such candidate.');
    const action = c.req.param('action') as CandidateAction;
    if (!['review', 'dismiss', 'promote'].includes(action)) return notFound(c, 'problems', 'There is no such action.');
    if (!c.get('ui').canWrite) return renderCandidate(c, id.data, 403, { kind: 'error', text: 'Your token lacks the write scope: you can look but not act.' });
    const form = await c.req.parseBody();
    const note = text(form.note, 2000) || null;
    const input = action === 'promote' ? { title: text(form.title, 500) || undefined, owner: text(form.owner, 256) || null, note } : { note };
    const result = await actOnCandidate(deps, id.data, action, c.get('ui').principal.name, input);
    if (!result.ok) return renderCandidate(c, id.data, statusOf(result.error.code), { kind: 'error', text: result.error.message });
    if (action === 'promote' && result.value.problem) return c.redirect(`/ui/problems/${result.value.problem.id}?done=promote`, 303);
    return c.redirect(`/ui/problems/candidates/${encodeURIComponent(id.data)}?done=${action}`, 303);
  });

  app.get('/ui/problems', async (c) => {
    const status: ProblemStatusFilter = ProblemStatusParam.parse(c.req.query('status') ?? 'all');
    const problems = await listProblemRecords(deps, { status: status === 'all' ? undefined : [status], limit: 500 });
    return page(c, 'problems', status === 'known_error' ? 'Known errors' : 'Problems', <ProblemList problems={problems} status={status} now={deps.clock.now()} />);
  });

  const renderProblem = async (c: Context<UiEnv>, id: number, status = 200, flash: Flash = null) => {
    const detail = await getProblemDetail(deps, id);
    if (!detail.ok) return notFound(c, 'problems', detail.error.message);
    return page(c, 'problems', `Problem #${id}`, <ProblemView ui={c.get('ui')} detail={detail.value} now={deps.clock.now()} />, status, flash ?? flashOf(c));
  };

  app.get('/ui/problems/:id', async (c) => {
    const id = ProblemId.safeParse(c.req.param('id'));
    return id.success ? renderProblem(c, id.data) : notFound(c, 'problems', 'There is no such problem.');
  });

  app.post('/ui/problems/:id', async (c) => {
    const id = ProblemId.safeParse(c.req.param('id'));
    if (!id.success) return notFound(c, 'problems', 'There is no such problem.');
    if (!c.get('ui').canWrite) return renderProblem(c, id.data, 403, { kind: 'error', text: 'Your token lacks the write scope: you can look but not act.' });
    const form = await c.req.parseBody();
    const status = z.enum(PROBLEM_STATUSES).safeParse(form.status);
    const patch: ProblemPatch = {
      ...(status.success ? { status: status.data } : {}),
      owner: text(form.owner, 256) || null,
      rootCause: text(form.rootCause, 10_000) || null,
      workaround: text(form.workaround, 10_000) || null,
      ...(text(form.note, 10_000) ? { note: text(form.note, 10_000) } : {}),
    };
    const result = await updateProblem(deps, id.data, patch, c.get('ui').principal.name);
    if (!result.ok) return renderProblem(c, id.data, statusOf((result.error as AppError).code), { kind: 'error', text: result.error.message });
    return c.redirect(`/ui/problems/${id.data}?done=saved`, 303);
  });
}
