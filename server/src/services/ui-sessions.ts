/**
 * @module Web UI sign-in. Signing in with an API token opens a session: the browser gets a
 * random session id (256 bits) in an HttpOnly cookie, the database keeps only its SHA-256,
 * so neither a stolen database nor the cookie reveals the API token. The CSRF token is
 * derived from the session id (HMAC), so it needs no storage and dies with the session.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { fail, ok, type Result } from '../domain/result.js';
import { hasScope } from '../domain/token.js';
import type { DatabaseHandle } from '../db/connection.js';
import { deleteUiSession, findLiveUiSession, insertUiSession, pruneUiSessions } from '../db/ui-sessions-repo.js';
import type { Clock } from './clock.js';
import type { Authenticator, Principal } from './tokens.js';

/** Sessions last a working day; signing in again is cheap. */
export const UI_SESSION_TTL_MS = 12 * 3_600_000;

/** The principal id the authenticator gives the configured `SIGHTLINE_ADMIN_TOKEN`. */
const CONFIGURED_ADMIN_ID = 'configured-admin';

export interface UiSessionDeps {
  handle: DatabaseHandle;
  clock: Clock;
  authenticator: Authenticator;
  /** Whether SIGHTLINE_ADMIN_TOKEN is configured: its sessions end when it no longer is. */
  adminTokenConfigured: boolean;
}

export interface OpenedUiSession {
  sessionId: string;
  principal: Principal;
  expiresAt: number;
}

/** Every UI page shows data the API serves only to the `read` scope (or `admin`): so does the UI. */
export const UI_READ_SCOPE_MESSAGE = 'this token lacks the read scope needed to use the web UI (write alone lets a token act through the API, not read)';

const hashSessionId = (id: string) => createHash('sha256').update(id, 'utf8').digest('hex');

export async function openUiSession(deps: UiSessionDeps, presentedToken: string): Promise<Result<OpenedUiSession>> {
  const token = presentedToken.trim();
  const principal = token ? await deps.authenticator.authenticate(token) : null;
  if (!principal) return fail('UNAUTHORIZED', 'unknown, expired or revoked token');
  if (!hasScope(principal.scopes, 'read')) return fail('FORBIDDEN', UI_READ_SCOPE_MESSAGE);
  const now = deps.clock.now();
  await pruneUiSessions(deps.handle.db, now);
  const sessionId = randomBytes(32).toString('base64url');
  const expiresAt = now + UI_SESSION_TTL_MS;
  await insertUiSession(deps.handle.db, hashSessionId(sessionId), { tokenId: principal.tokenId, name: principal.name, scopes: principal.scopes, createdAt: now, expiresAt });
  return ok({ sessionId, principal, expiresAt });
}

/** The principal of a live session, or null (unknown, expired, or its token revoked). */
export async function resolveUiSession(deps: UiSessionDeps, sessionId: string): Promise<Principal | null> {
  if (!/^[A-Za-z0-9_-]{43}$/.test(sessionId)) return null;
  const found = await findLiveUiSession(deps.handle.db, hashSessionId(sessionId), deps.clock.now(), deps.adminTokenConfigured ? CONFIGURED_ADMIN_ID : null);
  return found ? { tokenId: found.tokenId, name: found.name, scopes: found.scopes } : null;
}

export async function closeUiSession(deps: Pick<UiSessionDeps, 'handle'>, sessionId: string): Promise<void> {
  await deleteUiSession(deps.handle.db, hashSessionId(sessionId));
}

export function csrfTokenFor(sessionId: string): string {
  return createHmac('sha256', sessionId).update('sightline-ui-csrf').digest('base64url');
}

export function checkCsrfToken(sessionId: string, presented: string | undefined): boolean {
  if (!presented) return false;
  const expected = Buffer.from(csrfTokenFor(sessionId));
  const given = Buffer.from(presented);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
