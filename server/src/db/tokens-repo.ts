/** @module API tokens: only hashes are stored. */
import type { Kysely, Selectable } from 'kysely';
import type { Scope } from '../domain/token.js';
import type { Database } from './schema.js';

export interface TokenRecord {
  id: string;
  name: string;
  scopes: Scope[];
  createdAt: number;
  expiresAt: number | null;
  revokedAt: number | null;
  lastUsedAt: number | null;
}

type Row = Selectable<Database['api_tokens']>;

function toRecord(row: Row): TokenRecord {
  return {
    id: row.id,
    name: row.name,
    scopes: row.scopes.split(',').filter(Boolean) as Scope[],
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
    lastUsedAt: row.last_used_at,
  };
}

export async function insertToken(
  db: Kysely<Database>,
  token: { id: string; name: string; hash: string; scopes: Scope[]; createdAt: number; expiresAt: number | null },
): Promise<void> {
  await db
    .insertInto('api_tokens')
    .values({
      id: token.id,
      name: token.name,
      token_hash: token.hash,
      scopes: token.scopes.join(','),
      created_at: token.createdAt,
      expires_at: token.expiresAt,
      revoked_at: null,
      last_used_at: null,
    })
    .execute();
}

/** The token with this digest, and the stored digest itself for a constant-time re-check. */
export async function findTokenByHash(db: Kysely<Database>, hash: string): Promise<{ record: TokenRecord; hash: string } | null> {
  const row = await db.selectFrom('api_tokens').selectAll().where('token_hash', '=', hash).executeTakeFirst();
  return row ? { record: toRecord(row), hash: row.token_hash } : null;
}

export async function findTokenByName(db: Kysely<Database>, name: string): Promise<TokenRecord | null> {
  const row = await db.selectFrom('api_tokens').selectAll().where('name', '=', name).executeTakeFirst();
  return row ? toRecord(row) : null;
}

export async function listTokens(db: Kysely<Database>): Promise<TokenRecord[]> {
  const rows = await db.selectFrom('api_tokens').selectAll().orderBy('created_at').orderBy('name').execute();
  return rows.map(toRecord);
}

export async function revokeToken(db: Kysely<Database>, idOrName: string, now: number): Promise<boolean> {
  const result = await db
    .updateTable('api_tokens')
    .set({ revoked_at: now })
    .where((eb) => eb.or([eb('id', '=', idOrName), eb('name', '=', idOrName)]))
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export async function touchToken(db: Kysely<Database>, id: string, now: number): Promise<void> {
  await db.updateTable('api_tokens').set({ last_used_at: now }).where('id', '=', id).execute();
}

export async function countActiveAdminTokens(db: Kysely<Database>, now: number): Promise<number> {
  const rows = await db
    .selectFrom('api_tokens')
    .select(['scopes', 'expires_at'])
    .where('revoked_at', 'is', null)
    .execute();
  return rows.filter((r) => r.scopes.split(',').includes('admin') && (r.expires_at === null || r.expires_at > now)).length;
}
