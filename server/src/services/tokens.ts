/**
 * @module API tokens. A token is shown once at creation; only its SHA-256 is stored
 * (tokens carry 256 random bits, so a slow password hash adds nothing). Lookups go by
 * hash; the configured admin token is compared in constant time.
 */
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { Kysely } from 'kysely';
import { parseDuration } from '../domain/duration.js';
import { parseRfc3339 } from '../domain/time.js';
import { fail, ok, type Result } from '../domain/result.js';
import { SCOPES, type Scope } from '../domain/token.js';
import type { Database } from '../db/schema.js';
import {
  countActiveAdminTokens,
  findTokenByHash,
  findTokenByName,
  insertToken,
  listTokens,
  revokeToken,
  touchToken,
  type TokenRecord,
} from '../db/tokens-repo.js';
import type { Clock } from './clock.js';

export interface Principal {
  tokenId: string;
  name: string;
  scopes: Scope[];
}

export const TOKEN_PREFIX = 'sl_';

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export function generateToken(): string {
  return TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

/** The longest a token may be created for; also keeps the stored time a sane integer. */
export const MAX_TOKEN_LIFETIME_MS = 10 * 365 * 86_400_000;

/**
 * When a token created at `now` should expire: `expires` is a duration (`30d`, `12h`) or an
 * RFC 3339 time with an offset. It must lie in the future and within {@link MAX_TOKEN_LIFETIME_MS}.
 */
export function resolveTokenExpiry(expires: string, now: number): Result<number> {
  const text = expires.trim();
  const ms = parseDuration(text);
  let at: number;
  if (ms !== null) at = now + ms;
  else {
    const time = parseRfc3339(text);
    if (!time.ok) return fail('VALIDATION', `expiry must be a duration such as 30d or an RFC 3339 time with an offset: ${time.reason}`);
    at = time.ms;
  }
  return checkTokenExpiry(at, now);
}

function checkTokenExpiry(at: number, now: number): Result<number> {
  if (!Number.isSafeInteger(at) || at <= now) return fail('VALIDATION', 'expiry must lie in the future');
  if (at - now > MAX_TOKEN_LIFETIME_MS) return fail('VALIDATION', 'expiry must lie within 10 years');
  return ok(at);
}

/** Compares two SHA-256 digests (hex) in constant time. */
export function sameTokenHash(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === 32 && y.length === 32 && timingSafeEqual(x, y);
}

export interface CreatedToken {
  token: string;
  record: TokenRecord;
}

export async function createToken(
  db: Kysely<Database>,
  clock: Clock,
  input: { name: string; scopes: string[]; expiresAt?: number | null },
): Promise<Result<CreatedToken>> {
  const name = input.name.trim();
  if (!/^[A-Za-z0-9_.:@-]{1,64}$/.test(name)) return fail('VALIDATION', 'token name must be 1-64 characters of letters, digits, _ . : @ -');
  const unknown = input.scopes.filter((s) => !(SCOPES as readonly string[]).includes(s));
  if (unknown.length > 0 || input.scopes.length === 0) {
    return fail('VALIDATION', `scopes must be a non-empty list of ${SCOPES.join(', ')}${unknown.length ? `; unknown: ${unknown.join(', ')}` : ''}`);
  }
  const now = clock.now();
  if (input.expiresAt !== undefined && input.expiresAt !== null) {
    const expiry = checkTokenExpiry(input.expiresAt, now);
    if (!expiry.ok) return expiry;
  }
  if (await findTokenByName(db, name)) return fail('CONFLICT', `a token named ${name} already exists`);
  const token = generateToken();
  const record: TokenRecord = {
    id: randomUUID(),
    name,
    scopes: [...new Set(input.scopes as Scope[])],
    createdAt: now,
    expiresAt: input.expiresAt ?? null,
    revokedAt: null,
    lastUsedAt: null,
  };
  await insertToken(db, { id: record.id, name, hash: hashToken(token), scopes: record.scopes, createdAt: now, expiresAt: record.expiresAt });
  return ok({ token, record });
}

export { listTokens };

export async function revokeTokenByIdOrName(db: Kysely<Database>, clock: Clock, idOrName: string): Promise<Result<void>> {
  return (await revokeToken(db, idOrName, clock.now())) ? ok(undefined) : fail('NOT_FOUND', `no active token ${idOrName}`);
}

/** Ensures an admin can sign in: returns a freshly created admin token on first start, else null. */
export async function bootstrapAdminToken(db: Kysely<Database>, clock: Clock, configuredAdminToken: string | null): Promise<string | null> {
  if (configuredAdminToken) return null;
  if ((await countActiveAdminTokens(db, clock.now())) > 0) return null;
  const created = await createToken(db, clock, { name: `admin-${new Date(clock.now()).toISOString().slice(0, 10)}-${randomBytes(2).toString('hex')}`, scopes: ['admin'] });
  if (!created.ok) throw new Error(created.error.message);
  return created.value.token;
}

export interface Authenticator {
  authenticate(presented: string): Promise<Principal | null>;
}

const TOUCH_INTERVAL_MS = 60_000;

export function createAuthenticator(db: Kysely<Database>, clock: Clock, configuredAdminToken: string | null): Authenticator {
  const adminHash = configuredAdminToken ? createHash('sha256').update(configuredAdminToken).digest() : null;
  const lastTouched = new Map<string, number>();
  return {
    async authenticate(presented) {
      if (presented.length === 0 || presented.length > 512) return null;
      if (adminHash) {
        const given = createHash('sha256').update(presented).digest();
        if (timingSafeEqual(given, adminHash)) return { tokenId: 'configured-admin', name: 'SIGHTLINE_ADMIN_TOKEN', scopes: ['admin'] };
      }
      const hash = hashToken(presented);
      const found = await findTokenByHash(db, hash);
      // The index lookup already matched the digest; comparing again in constant time keeps
      // the decision itself free of early exits, whatever the database's comparison does.
      const record = found && sameTokenHash(found.hash, hash) ? found.record : null;
      const now = clock.now();
      if (!record || record.revokedAt !== null || (record.expiresAt !== null && record.expiresAt <= now)) return null;
      // Recording use on every request would turn each read into a write; once a minute is enough.
      if ((lastTouched.get(record.id) ?? 0) + TOUCH_INTERVAL_MS <= now) {
        lastTouched.set(record.id, now);
        await touchToken(db, record.id, now);
      }
      return { tokenId: record.id, name: record.name, scopes: record.scopes };
    },
  };
}
