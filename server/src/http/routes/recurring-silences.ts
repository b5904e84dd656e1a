/** @module Recurring silences and maintenance windows (create/end: `write`; list: `read`). */
import { Hono } from 'hono';
import { nextOccurrences, RecurringSilenceEntry, type RecurringSilence } from '../../domain/recurring-silence.js';
import { Rfc3339Time } from '../../domain/time.js';
import { createRecurringSilence, endRecurring, listRecurringSilences, type RecurringSilenceDeps } from '../../services/recurring-silences.js';
import type { Authenticator } from '../../services/tokens.js';
import { formatDuration } from '../../domain/duration.js';
import { requireScope } from '../auth.js';
import { readJsonBody } from '../body.js';
import type { AppEnv } from '../env.js';
import { errorBody, errorResponse } from '../errors.js';
import { iso } from '../present.js';
import { silenceRequestProblem } from './silences.js';

const RecurringSilenceRequest = RecurringSilenceEntry.extend({ startsAt: Rfc3339Time.optional(), endsAt: Rfc3339Time.optional() });

/** How many coming occurrences a listing shows. */
const NEXT_SHOWN = 3;

const present = (r: RecurringSilence, now: number) => ({
  id: r.id,
  name: r.name,
  kind: r.kind,
  matchers: r.matchers,
  schedule: r.schedule,
  timeZone: r.timeZone,
  duration: formatDuration(r.durationMs),
  startsAt: iso(r.startsAt),
  endsAt: iso(r.endsAt),
  origin: r.origin,
  createdBy: r.createdBy,
  comment: r.comment,
  createdAt: iso(r.createdAt),
  next: nextOccurrences(r, now, NEXT_SHOWN).map((o) => ({ startsAt: iso(o.startsAt), endsAt: iso(o.endsAt) })),
});

export function recurringSilenceRoutes(deps: RecurringSilenceDeps & { authenticator: Authenticator }): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.post('/api/v1/recurring-silences', requireScope(deps.authenticator, 'write'), async (c) => {
    const body = await readJsonBody(c);
    if (!body.ok) return errorResponse(c, body.error);
    const parsed = RecurringSilenceRequest.safeParse(body.value.json);
    if (!parsed.success) {
      const problem = silenceRequestProblem(parsed.error);
      return c.json(errorBody(c, 'VALIDATION', problem.message.replace(/^invalid silence/, 'invalid recurring silence'), { issues: problem.issues }), 400);
    }
    const { duration, startsAt, endsAt, ...rest } = parsed.data;
    const created = await createRecurringSilence(deps, { ...rest, durationMs: duration, startsAt: startsAt ?? null, endsAt: endsAt ?? null }, c.get('principal').name);
    if (!created.ok) return errorResponse(c, created.error);
    return c.json(present(created.value, deps.clock.now()), 201);
  });

  app.get('/api/v1/recurring-silences', requireScope(deps.authenticator, 'read'), async (c) => {
    const now = deps.clock.now();
    return c.json({ items: (await listRecurringSilences(deps)).map((r) => present(r, now)) });
  });

  app.delete('/api/v1/recurring-silences/:id', requireScope(deps.authenticator, 'write'), async (c) => {
    const ended = await endRecurring(deps, c.req.param('id'));
    if (!ended.ok) return errorResponse(c, ended.error);
    return c.json(present(ended.value, deps.clock.now()));
  });

  return app;
}
