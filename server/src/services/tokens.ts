/**
 * @module API tokens. A token is shown once at creation; only its SHA-256 is stored
 * (tokens carry 256 random bits, so a slow password hash adds nothing). Lookups go by
 * hash; the configured admin token is compared in constant time.
 */
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { Kysely } from 'kysely';
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
  if (await findTokenByName(db, name)) return fail('CONFLICT', `a token named ${name} already exists`);
  const token = generateToken();
  const now = clock.now();
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
      const record = await findTokenByHash(db, hashToken(presented));
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
