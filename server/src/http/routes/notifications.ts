/** @module Notification API: the webhook deliveries of an incident and how each went. */
import { Hono } from 'hono';
import { z } from 'zod';
import type { DatabaseHandle } from '../../db/connection.js';
import { listIncidentNotifications } from '../../services/notifications.js';
import type { Authenticator } from '../../services/tokens.js';
import { requireScope } from '../auth.js';
import type { AppEnv } from '../env.js';
import { errorBody, errorResponse } from '../errors.js';
import { iso } from '../present.js';

const IdParam = z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER);

export function notificationRoutes(deps: { handle: DatabaseHandle; authenticator: Authenticator }): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const read = requireScope(deps.authenticator, 'read');

  app.get('/api/v1/incidents/:id/notifications', read, async (c) => {
    const id = IdParam.safeParse(c.req.param('id'));
    if (!id.success) return c.json(errorBody(c, 'VALIDATION', `invalid incident id: ${id.error.issues[0]?.message}`), 400);
    const result = await listIncidentNotifications(deps, id.data);
    if (!result.ok) return errorResponse(c, result.error);
    return c.json({
      items: result.value.map((d) => ({
        webhook: d.webhook,
        event: d.event,
        idempotencyKey: d.idempotencyKey,
        at: iso(d.at),
        state: d.state,
        attempts: d.attempts,
        nextAttemptAt: iso(d.nextAttemptAt),
        lastStatus: d.lastStatus,
        lastError: d.lastError,
        deliveredAt: iso(d.deliveredAt),
        createdAt: iso(d.createdAt),
      })),
    });
  });

  return app;
}
