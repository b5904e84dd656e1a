/**
 * @module Web UI sessions: only the SHA-256 of the session id is stored, with the API
 * token the session was opened with, so revoking that token ends its sessions. Frozen in time.
 */
import type { Kysely } from 'kysely';
import type { SqlDialect } from '../dialect.js';

export function uiSessionsSchema(dialect: SqlDialect) {
  const ms = dialect === 'postgres' ? 'bigint' : 'integer';
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('ui_sessions')
        .addColumn('id_hash', 'text', (c) => c.primaryKey())
        .addColumn('token_id', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('scopes', 'text', (c) => c.notNull())
        .addColumn('created_at', ms, (c) => c.notNull())
        .addColumn('expires_at', ms, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('ui_sessions_expiry').on('ui_sessions').column('expires_at').execute();
    },
  };
}
