/**
 * @module What keeps the correlator's in-memory state in step with the database: the count
 * of people's changes (see migration 020) and the id sequences of the rows it creates.
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import type { SqlDialect } from './dialect.js';
import type { Database } from './schema.js';

type Db = Kysely<Database> | Transaction<Database>;

/**
 * The count of people's changes. `share` (PostgreSQL, in the correlator's transaction) holds
 * a shared lock on the row until the commit: a person's change, which updates the row first,
 * waits for the batch, and the batch waits for a change in progress.
 */
export async function readCorrelationInputs(db: Db, share: boolean): Promise<number> {
  const row = await db
    .selectFrom('correlation_inputs')
    .select('version')
    .where('id', '=', 1)
    .$if(share, (q) => q.forShare())
    .executeTakeFirst();
  return Number(row?.version ?? 0);
}

/** Counts a change people make to incidents or alerts; the first statement of their transaction. */
export async function noteCorrelationInput(db: Db): Promise<void> {
  await db
    .updateTable('correlation_inputs')
    .set((eb) => ({ version: eb('version', '+', 1) }))
    .where('id', '=', 1)
    .execute();
}

/**
 * After rows were inserted with ids the correlator chose (PostgreSQL): moves the tables' id
 * sequences past them, so a row inserted elsewhere (a split incident) takes the next free id.
 * SQLite's AUTOINCREMENT follows explicit ids by itself.
 */
export async function advanceIdSequences(db: Db, dialect: SqlDialect, tables: readonly ('alerts' | 'incidents')[]): Promise<void> {
  if (dialect !== 'postgres') return;
  for (const table of tables) {
    await sql`select setval(pg_get_serial_sequence(${table}, 'id'), greatest((select max(id) from ${sql.table(table)}), 1))`.execute(db);
  }
}
