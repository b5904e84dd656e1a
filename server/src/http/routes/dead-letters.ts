/** @module Events the correlator set aside (the engine threw on them), newest first. */
import { Hono } from 'hono';
import { z } from 'zod';
import type { DatabaseHandle } from '../../db/connection.js';
import { listSetAsideEvents } from '../../services/dead-letters.js';
import type { Authenticator } from '../../services/tokens.js';
import { requireScope } from '../auth.js';
import type { AppEnv } from '../env.js';
import { errorBody } from '../errors.js';
import { iso } from '../present.js';

const Limit = z.coerce.number().int().min(1).max(1000).default(100);

export function deadLetterRoutes(deps: { handle: DatabaseHandle; authenticator: Authenticator }): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get('/api/v1/dead-letters', requireScope(deps.authenticator, 'read'), async (c) => {
    const limit = Limit.safeParse(c.req.query('limit'));
    if (!limit.success) return c.json(errorBody(c, 'VALIDATION', `limit: ${limit.error.issues[0]?.message}`, { field: 'limit' }), 400);
    const items = await listSetAsideEvents(deps, limit.data);
    return c.json({
      items: items.map((d) => ({ eventId: d.eventId, source: d.source, fingerprint: d.fingerprint, status: d.status, receivedAt: iso(d.receivedAt), error: d.error, setAsideAt: iso(d.setAsideAt) })),
    });
  });

  return app;
}
