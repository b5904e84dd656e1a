/** @module Token administration over HTTP (scope `admin`); the CLI offers the same verbs. */
import { Hono } from 'hono';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { Rfc3339Time } from '../../domain/time.js';
import { SCOPES } from '../../domain/token.js';
import type { Database } from '../../db/schema.js';
import type { Clock } from '../../services/clock.js';
import { createToken, listTokens, resolveTokenExpiry, revokeTokenByIdOrName, type Authenticator } from '../../services/tokens.js';
import { requireScope } from '../auth.js';
import { readJsonBody } from '../body.js';
import type { AppEnv } from '../env.js';
import { errorBody, errorResponse } from '../errors.js';
import { iso } from '../present.js';
import type { TokenRecord } from '../../db/tokens-repo.js';

const CreateBody = z.strictObject({
  name: z.string().min(1).max(64),
  scopes: z.array(z.enum(SCOPES)).min(1),
  expiresAt: Rfc3339Time.optional(),
  /** A duration from now, e.g. `30d`; the alternative to `expiresAt`. */
  expiresIn: z.string().min(1).max(32).optional(),
}).refine((b) => b.expiresAt === undefined || b.expiresIn === undefined, 'give expiresAt or expiresIn, not both');

const present = (t: TokenRecord) => ({
  id: t.id,
  name: t.name,
  scopes: t.scopes,
  createdAt: iso(t.createdAt),
  expiresAt: iso(t.expiresAt),
  revokedAt: iso(t.revokedAt),
  lastUsedAt: iso(t.lastUsedAt),
});

export function tokenRoutes(deps: { db: Kysely<Database>; clock: Clock; authenticator: Authenticator }): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const admin = requireScope(deps.authenticator, 'admin');

  app.get('/api/v1/tokens', admin, async (c) => c.json({ items: (await listTokens(deps.db)).map(present) }));

  app.post('/api/v1/tokens', admin, async (c) => {
    const body = await readJsonBody(c);
    if (!body.ok) return errorResponse(c, body.error);
    const parsed = CreateBody.safeParse(body.value.json);
    if (!parsed.success) {
      const first = parsed.error.issues[0];
      return c.json(errorBody(c, 'VALIDATION', `invalid body: ${first?.path.join('.')}: ${first?.message}`, { issues: parsed.error.issues }), 400);
    }
    let expiresAt: number | null = parsed.data.expiresAt ?? null;
    if (parsed.data.expiresIn !== undefined) {
      const expiry = resolveTokenExpiry(parsed.data.expiresIn, deps.clock.now());
      if (!expiry.ok) return errorResponse(c, expiry.error);
      expiresAt = expiry.value;
    }
    const created = await createToken(deps.db, deps.clock, { name: parsed.data.name, scopes: parsed.data.scopes, expiresAt });
    if (!created.ok) return errorResponse(c, created.error);
    return c.json({ ...present(created.value.record), token: created.value.token }, 201);
  });

  app.delete('/api/v1/tokens/:idOrName', admin, async (c) => {
    const result = await revokeTokenByIdOrName(deps.db, deps.clock, c.req.param('idOrName'));
    if (!result.ok) return errorResponse(c, result.error);
    return c.body(null, 204);
  });

  return app;
}
