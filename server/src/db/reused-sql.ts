/**
 * @module Reusing kysely's SQL for the hot multi-row statements. Building and compiling a
 * multi-row insert walks one operation node per value, which was a tenth of the ingest
 * profile, while the text only depends on the row count. The first execution of each shape
 * compiles as usual; its text is then kept and reused with freshly built parameters, but
 * only when kysely's parameters for that execution equal the ones the caller built, so the
 * caller's parameter order is checked against kysely's once per shape, never assumed.
 */
import { CompiledQuery, sql, type Compilable, type Kysely, type QueryResult, type RawBuilder, type Transaction } from 'kysely';
import type { Database } from './schema.js';

type Db = Kysely<Database> | Transaction<Database>;

/** Per dialect adapter: statement shape → SQL text (null: the parameters did not match, always compile). */
const texts = new WeakMap<object, Map<string, string | null>>();
/** Shapes kept per dialect; statements are chunked, so a handful of row counts recur. */
const MAX_SHAPES = 256;

function sameParameters(a: readonly unknown[], b: readonly unknown[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Runs the statement that `build` describes, whose parameters are `parameters` in order.
 * `shape` names the statement and everything its text depends on (e.g. the row count).
 */
export async function executeReused<R>(db: Db, shape: string, parameters: unknown[], build: () => Compilable<R>): Promise<QueryResult<R>> {
  const adapter = db.getExecutor().adapter;
  let known = texts.get(adapter);
  if (!known) {
    known = new Map();
    texts.set(adapter, known);
  }
  const text = known.get(shape);
  if (typeof text === 'string') return db.executeQuery(CompiledQuery.raw(text, parameters) as CompiledQuery<R>);
  const compiled = build().compile();
  if (text === undefined && known.size < MAX_SHAPES) known.set(shape, sameParameters(compiled.parameters, parameters) ? compiled.sql : null);
  return db.executeQuery(compiled);
}

/** Every statement shape run so far, and whether it runs from kept SQL text ('reused') or always compiles. */
export function reusedShapes(db: Db): Map<string, 'reused' | 'compiled'> {
  const out = new Map<string, 'reused' | 'compiled'>();
  for (const [shape, text] of texts.get(db.getExecutor().adapter) ?? []) out.set(shape, text === null ? 'compiled' : 'reused');
  return out;
}

/**
 * The `ON CONFLICT (id) DO UPDATE SET` of an upsert that replaces a whole row: every column of
 * `row` but the id takes the value offered for insertion (`excluded.<column>`, in both SQLite
 * and PostgreSQL).
 */
export function replacingAll<R extends { id: unknown }>(row: R): { [K in Exclude<keyof R, 'id'>]: RawBuilder<R[K]> } {
  const set: Record<string, RawBuilder<unknown>> = {};
  for (const column of Object.keys(row)) if (column !== 'id') set[column] = sql.ref(`excluded.${column}`);
  return set as { [K in Exclude<keyof R, 'id'>]: RawBuilder<R[K]> };
}
