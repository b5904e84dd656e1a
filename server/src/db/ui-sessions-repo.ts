/** @module Web UI sessions, looked up by the hash of their id, checked against their API token. */
import type { Kysely } from 'kysely';
import type { Scope } from '../domain/token.js';
import type { Database } from './schema.js';

export interface UiSessionRecord {
  tokenId: string;
  name: string;
  scopes: Scope[];
  createdAt: number;
  expiresAt: number;
}

export async function insertUiSession(db: Kysely<Database>, idHash: string, session: UiSessionRecord): Promise<void> {
  await db
    .insertInto('ui_sessions')
    .values({
      id_hash: idHash,
      token_id: session.tokenId,
      name: session.name,
      scopes: session.scopes.join(','),
      created_at: session.createdAt,
      expires_at: session.expiresAt,
    })
    .execute();
}

/**
 * The live session with this id hash: not expired, and its token neither revoked nor
 * expired. Sessions of the configured admin token have no token row; `configuredAdminId`
 * names them, and they live only while that token is configured.
 */
export async function findLiveUiSession(db: Kysely<Database>, idHash: string, now: number, configuredAdminId: string | null): Promise<UiSessionRecord | null> {
  const row = await db
    .selectFrom('ui_sessions as s')
    .leftJoin('api_tokens as t', 't.id', 's.token_id')
    .select(['s.token_id', 's.name', 's.scopes', 's.created_at', 's.expires_at', 't.id as token_row', 't.revoked_at', 't.expires_at as token_expires_at'])
    .where('s.id_hash', '=', idHash)
    .where('s.expires_at', '>', now)
    .executeTakeFirst();
  if (!row) return null;
  if (row.token_row === null) {
    if (row.token_id !== configuredAdminId) return null;
  } else if (row.revoked_at !== null || (row.token_expires_at !== null && row.token_expires_at <= now)) {
    return null;
  }
  return { tokenId: row.token_id, name: row.name, scopes: row.scopes.split(',').filter(Boolean) as Scope[], createdAt: row.created_at, expiresAt: row.expires_at };
}

export async function deleteUiSession(db: Kysely<Database>, idHash: string): Promise<void> {
  await db.deleteFrom('ui_sessions').where('id_hash', '=', idHash).execute();
}

export async function pruneUiSessions(db: Kysely<Database>, now: number): Promise<number> {
  const result = await db.deleteFrom('ui_sessions').where('expires_at', '<=', now).executeTakeFirst();
  return Number(result.numDeletedRows);
}
