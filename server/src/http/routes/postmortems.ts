/**
 * @module An incident's postmortem (scope `read`): Markdown by default (`text/markdown`, as a
 * download named after the incident), or JSON with `?format=json`.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import { renderPostmortemMarkdown, type Postmortem } from '../../postmortems/document.js';
import { buildPostmortem, type PostmortemDeps } from '../../services/postmortems.js';
import type { Authenticator } from '../../services/tokens.js';
import { requireScope } from '../auth.js';
import type { AppEnv } from '../env.js';
import { errorBody, errorResponse } from '../errors.js';
import { iso, presentAlert, presentIncident, presentTimeline } from '../present.js';

const IdParam = z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER);
const PostmortemQuery = z.strictObject({ format: z.enum(['markdown', 'json']).default('markdown') });

const seconds = (ms: number) => ms / 1000;

export function presentPostmortem(p: Postmortem) {
  const target = (t: Postmortem['impact']['response']) => t && { targetSeconds: seconds(t.targetMs), elapsedSeconds: seconds(t.elapsedMs), state: t.state, met: t.met };
  return {
    generatedAt: iso(p.generatedAt),
    incident: presentIncident(p.incident),
    services: p.services,
    impact: {
      services: p.impact.services.map((s) => ({
        service: s.service,
        objectiveRatio: s.objectivePpm / 1_000_000,
        downtimeSeconds: seconds(s.downtimeMs),
        periods: s.periods.map((x) => ({
          start: iso(x.period.start),
          end: iso(x.period.end),
          downtimeSeconds: seconds(x.downtimeMs),
          budgetSeconds: seconds(x.allowedDowntimeMs),
          budgetSpentRatio: x.budgetSpentRatio,
        })),
      })),
      response: target(p.impact.response),
      resolution: target(p.impact.resolution),
    },
    timeline: p.timeline.entries.map(presentTimeline),
    timelineTotal: p.timeline.total,
    rootCause: { service: p.rootCause.service, alert: p.rootCause.alert && presentAlert(p.rootCause.alert), reasons: p.rootCause.reasons.map(presentTimeline) },
    relatedChanges: {
      from: iso(p.changes.from),
      to: iso(p.changes.to),
      items: p.changes.items.map((c) => ({ id: c.id, service: c.service, kind: c.kind, summary: c.summary, version: c.version, author: c.author, startedAt: iso(c.startedAt), finishedAt: iso(c.finishedAt), source: c.source, score: c.score, reasons: c.reasons, likelyCause: c.likelyCause })),
    },
    similarIncidents: p.similar.incidents.map((s) => ({ ...s, openedAt: iso(s.openedAt), resolvedAt: iso(s.resolvedAt) })),
    problemCandidates: p.similar.candidates,
    knownError: p.knownError,
    actionItems: p.actionItems.map((a) => ({ text: a.text, actor: a.actor, at: iso(a.at), timelineEntryId: a.entryId })),
  };
}

export function postmortemRoutes(deps: PostmortemDeps & { authenticator: Authenticator }): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const read = requireScope(deps.authenticator, 'read');

  app.get('/api/v1/incidents/:id/postmortem', read, async (c) => {
    const id = IdParam.safeParse(c.req.param('id'));
    if (!id.success) return c.json(errorBody(c, 'VALIDATION', `invalid incident id: ${id.error.issues[0]?.message}`), 400);
    const query = PostmortemQuery.safeParse(c.req.query());
    if (!query.success) {
      const issue = query.error.issues[0];
      return c.json(errorBody(c, 'VALIDATION', `invalid query: ${issue?.path.join('.') || 'query'}: ${issue?.message}`), 400);
    }
    const postmortem = await buildPostmortem(deps, id.data);
    if (!postmortem.ok) return errorResponse(c, postmortem.error);
    if (query.data.format === 'json') return c.json(presentPostmortem(postmortem.value));
    return c.body(renderPostmortemMarkdown(postmortem.value), 200, {
      'Content-Type': 'text/markdown; charset=utf-8',
      'Content-Disposition': `inline; filename="incident-${id.data}-postmortem.md"`,
      'X-Content-Type-Options': 'nosniff',
    });
  });

  return app;
}
