/** @module Events the correlator set aside (the engine threw on them): the list (`read`), newest first, and trying one again (`write`). */
import { Hono } from 'hono';
import { z } from 'zod';
import type { DatabaseHandle } from '../../db/connection.js';
import { listSetAsideEvents, retrySetAsideEvent } from '../../services/dead-letters.js';
import type { Clock } from '../../services/clock.js';
import type { Authenticator } from '../../services/tokens.js';
import { requireScope } from '../auth.js';
import type { AppEnv } from '../env.js';
import { errorBody, errorResponse } from '../errors.js';
import { iso } from '../present.js';

const Limit = z.coerce.number().int().min(1).max(1000).default(100);
const EventId = z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER);

export function deadLetterRoutes(deps: { handle: DatabaseHandle; clock: Clock; authenticator: Authenticator }): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get('/api/v1/dead-letters', requireScope(deps.authenticator, 'read'), async (c) => {
    const limit = Limit.safeParse(c.req.query('limit'));
    if (!limit.success) return c.json(errorBody(c, 'VALIDATION', `limit: ${limit.error.issues[0]?.message}`, { field: 'limit' }), 400);
    const items = await listSetAsideEvents(deps, limit.data);
    return c.json({
      items: items.map((d) => ({ eventId: d.eventId, source: d.source, fingerprint: d.fingerprint, status: d.status, receivedAt: iso(d.receivedAt), error: d.error, setAsideAt: iso(d.setAsideAt) })),
    });
  });

  // Once the cause is fixed: the event goes back into the log and the correlator applies it.
  app.post('/api/v1/dead-letters/:eventId/retry', requireScope(deps.authenticator, 'write'), async (c) => {
    const id = EventId.safeParse(c.req.param('eventId'));
    if (!id.success) return c.json(errorBody(c, 'VALIDATION', `invalid event id: ${id.error.issues[0]?.message}`, { field: 'eventId' }), 400);
    const result = await retrySetAsideEvent(deps, id.data);
    if (!result.ok) return errorResponse(c, result.error);
    return c.json(result.value, 202);
  });

  return app;
}
