/**
 * @module What a database already holds, and wiping it: for commands that load data into a
 * fresh database (the demo) and must neither mix with nor silently replace real data.
 */
import { sql, type Kysely } from 'kysely';
import type { DatabaseHandle } from './connection.js';
import type { Database } from './schema.js';

/** Tables whose rows mean "this database is in use"; tokens alone do not count. */
const DATA_TABLES = ['alert_events', 'incidents', 'services', 'agents', 'capacity_rollups', 'silences', 'changes'] as const;

/** Row counts of the data tables that are not empty. */
export async function countStoredData(db: Kysely<Database>): Promise<{ table: string; rows: number }[]> {
  const found: { table: string; rows: number }[] = [];
  for (const table of DATA_TABLES) {
    const row = await db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirst();
    const rows = Number(row?.n ?? 0);
    if (rows > 0) found.push({ table, rows });
  }
  return found;
}

/**
 * PostgreSQL: drops every table of the connection's current schema (Sightline's and the
 * migration bookkeeping), so the next start migrates an empty schema. Returns their names.
 * SQLite databases are replaced by removing the file instead.
 */
export async function dropPostgresTables(handle: DatabaseHandle): Promise<string[]> {
  if (handle.dialect !== 'postgres') throw new Error('dropPostgresTables is for PostgreSQL');
  const { rows } = await sql<{ name: string }>`select tablename as name from pg_tables where schemaname = current_schema() order by tablename`.execute(handle.db);
  for (const { name } of rows) await sql`drop table if exists ${sql.id(name)} cascade`.execute(handle.db);
  return rows.map((r) => r.name);
}
