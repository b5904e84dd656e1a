/**
 * @module PagerDuty-style authentication for `POST /v2/enqueue` and `POST /v2/change/enqueue`:
 * the body's `routing_key` is an ingest token or a configured integration key, unless an
 * Authorization header is sent. Answers follow PagerDuty's, whose contract is 202/400/429: an
 * unknown routing key is an invalid event (400), as there.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context } from 'hono';
import type { ServerConfig } from '../config.js';
import { hasScope } from '../domain/token.js';
import type { Authenticator } from '../services/tokens.js';
import { authorize, bearerToken } from './auth.js';
import type { AppEnv } from './env.js';
import { errorBody } from './errors.js';

/** PagerDuty's answer to an event it refuses. */
export const invalidEvent = (c: Context, errors: string[]) => c.json({ status: 'invalid event', message: 'Event object is invalid', errors }, 400);

// The same answer for a key that never existed, was revoked or has expired: nothing leaks.
const UNKNOWN_ROUTING_KEY = "Invalid routing key: 'routing_key' is neither a Sightline ingest token nor a configured integration key";

/** Sets the request's principal from the header or the routing key, or answers why not. */
export type RoutingKeyAuth = (c: Context<AppEnv>, json: unknown) => Promise<Response | null>;

export function routingKeyAuth(deps: { config: Readonly<ServerConfig>; authenticator: Authenticator }): RoutingKeyAuth {
  // Compared as SHA-256 digests: equal lengths, so neither the key nor its length leaks through timing.
  const digest = (k: string) => createHash('sha256').update(k, 'utf8').digest();
  const integrationKeys = deps.config.ingest.pagerduty.integrationKeys.map(digest);
  const isIntegrationKey = (key: string) => {
    const given = digest(key);
    return integrationKeys.reduce((found, k) => timingSafeEqual(k, given) || found, false);
  };
  return async (c, json) => {
    const routingKey = typeof json === 'object' && json !== null && typeof (json as Record<string, unknown>).routing_key === 'string'
      ? ((json as Record<string, unknown>).routing_key as string)
      : null;
    const header = bearerToken(c);
    if (header || !routingKey) {
      // authorize() answers 401 when neither a header nor a routing key is present.
      const outcome = await authorize(c, deps.authenticator, 'ingest', header ?? routingKey);
      return outcome.ok ? null : outcome.response;
    }
    if (isIntegrationKey(routingKey)) {
      c.set('principal', { tokenId: `integration-key:${routingKey.slice(0, 8)}`, name: 'pagerduty-integration-key', scopes: ['ingest'] });
      return null;
    }
    const principal = await deps.authenticator.authenticate(routingKey);
    if (!principal) return invalidEvent(c, [UNKNOWN_ROUTING_KEY]);
    if (!hasScope(principal.scopes, 'ingest')) return c.json(errorBody(c, 'FORBIDDEN', 'this token lacks the ingest scope'), 403);
    c.set('principal', principal);
    return null;
  };
}
