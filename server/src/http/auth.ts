/**
 * @module Bearer-token authentication and scope checks (RFC 6750): 401 with
 * `WWW-Authenticate` when the token is missing or unknown, 403 when its scope is wrong.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { hasScope, type Scope } from '../domain/token.js';
import type { Authenticator, Principal } from '../services/tokens.js';
import type { AppEnv } from './env.js';
import { errorBody } from './errors.js';

export function bearerToken(c: Context): string | null {
  const header = c.req.header('authorization');
  if (!header) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1] ?? null;
}

export type AuthOutcome = { ok: true; principal: Principal } | { ok: false; response: Response };

export async function authorize(c: Context<AppEnv>, authenticator: Authenticator, scope: Scope, presented = bearerToken(c)): Promise<AuthOutcome> {
  if (!presented) {
    c.header('WWW-Authenticate', 'Bearer realm="sightline"');
    return { ok: false, response: c.json(errorBody(c, 'UNAUTHORIZED', 'missing bearer token (Authorization: Bearer <token>)'), 401) };
  }
  const principal = await authenticator.authenticate(presented);
  if (!principal) {
    c.header('WWW-Authenticate', 'Bearer realm="sightline", error="invalid_token"');
    return { ok: false, response: c.json(errorBody(c, 'UNAUTHORIZED', 'invalid, expired or revoked token'), 401) };
  }
  if (!hasScope(principal.scopes, scope)) {
    return { ok: false, response: c.json(errorBody(c, 'FORBIDDEN', `this token lacks the ${scope} scope`), 403) };
  }
  c.set('principal', principal);
  return { ok: true, principal };
}

export function requireScope(authenticator: Authenticator, scope: Scope): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const outcome = await authorize(c, authenticator, scope);
    if (!outcome.ok) return outcome.response;
    await next();
  };
}
