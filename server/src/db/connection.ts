/**
 * @module Opens the database: SQLite (better-sqlite3, WAL) by default, PostgreSQL when
 * `DATABASE_URL` is a postgres:// URL. Migrations run here, before anything else uses it.
 */
import { existsSync, mkdirSync, statfsSync } from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { CompiledQuery, Kysely, PostgresDialect, SqliteDialect, sql, type Driver, type SqliteDatabase, type SqliteStatement } from 'kysely';
import pg from 'pg';
import type { SqlDialect } from './dialect.js';
import { migrateToLatest } from './migrate.js';
import type { Database } from './schema.js';

export interface DatabaseOptions {
  dataDir: string;
  databaseUrl: string | null;
  /** SQLite `synchronous`: NORMAL survives a process crash; FULL also a power loss. */
  sqliteSynchronous: 'NORMAL' | 'FULL';
  poolSize?: number;
  /** SQLite with an ingest thread: how this connection takes turns at the write lock. */
  writeTurns?: WriteTurns;
  /**
   * PostgreSQL: told when the server ends a connection (a shutdown, a restart). The query that
   * next uses a checked-out connection only hears "not queryable", without the cause.
   */
  onConnectionError?: (error: Error) => void;
}

/**
 * Two connections to one SQLite file in one process (the main thread's and the ingest
 * thread's) take turns at the write lock. The ingest thread runs transaction after
 * transaction with hardly a gap, so a write of the main thread, retrying on the busy
 * timeout, could keep missing the free moments (its event loop blocked meanwhile). Instead
 * the main thread announces each write (`waiting`, shared memory), and the ingest thread
 * lets announced writes go first before it begins its next transaction. The main thread
 * then waits at most for the transaction in progress.
 */
export interface WriteTurns {
  role: 'main' | 'thread';
  /** On a SharedArrayBuffer: how many writes of the main thread wait or run. */
  waiting: Int32Array;
}

/** The longest the ingest thread gives way before it begins anyway (and waits on the busy timeout). */
const GIVE_WAY_MAX_MS = 10_000;

/** Creates the shared counter for a pair of connections. */
export function createWriteTurns(): Int32Array {
  return new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT));
}

export interface DatabaseHandle {
  db: Kysely<Database>;
  dialect: SqlDialect;
  /** Where the data lives, for humans (never includes a password). */
  location: string;
  /**
   * SQLite only: an online backup (pages copied while the server keeps writing) into a new
   * file; `progress` is told how many pages are done. Null for PostgreSQL: use pg_dump.
   */
  backup: ((destination: string, progress?: (done: number, total: number) => void) => Promise<{ pages: number }>) | null;
  close(): Promise<void>;
}

const PG_INT8_OID = 20;
const STATEMENT_CACHE_SIZE = 256;

/**
 * Transactions start with BEGIN IMMEDIATE: they all write, and several server processes may
 * share the file. A deferred BEGIN would read first and then fail with SQLITE_BUSY_SNAPSHOT
 * when another process committed meanwhile; IMMEDIATE takes the write lock up front, so the
 * busy timeout simply waits for it.
 */
class ImmediateSqliteDialect extends SqliteDialect {
  constructor(
    config: ConstructorParameters<typeof SqliteDialect>[0],
    private readonly sqlite: SQLite.Database,
  ) {
    super(config);
  }

  override createDriver(): Driver {
    const driver = super.createDriver();
    driver.beginTransaction = async (connection) => {
      await connection.executeQuery(CompiledQuery.raw('begin immediate'));
    };
    // SQLite rolls a transaction back by itself on some errors (SQLITE_FULL at COMMIT, an I/O
    // error); a ROLLBACK then fails with "no transaction is active", and kysely would throw
    // that instead of the error that explains what happened.
    const rollback = driver.rollbackTransaction.bind(driver);
    driver.rollbackTransaction = async (connection) => {
      if (this.sqlite.inTransaction) await rollback(connection);
    };
    return driver;
  }
}

/**
 * better-sqlite3 with prepared statements reused by SQL text. Kysely prepares every query
 * anew, which was a tenth of the ingest profile; the hot queries repeat the same text.
 * Reuse is safe: kysely runs one query at a time on this single connection.
 */
function withStatementCache(database: SQLite.Database, turns: WriteTurns | undefined): SqliteDatabase {
  const cache = new Map<string, SqliteStatement>();
  return {
    close: () => database.close(),
    prepare(text) {
      let statement = cache.get(text);
      if (statement) {
        // Re-insert to keep the map in least-recently-used order.
        cache.delete(text);
      } else {
        const prepared = database.prepare(text);
        statement = turns ? takingTurns(database, prepared, text, turns) : prepared;
        if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value as string);
      }
      cache.set(text, statement);
      return statement;
    },
  };
}

/** Wraps a statement so that its connection takes turns at the write lock (see WriteTurns). */
function takingTurns(database: SQLite.Database, statement: SQLite.Statement, text: string, turns: WriteTurns): SqliteStatement {
  const { waiting, role } = turns;
  const announce = () => Atomics.add(waiting, 0, 1);
  const done = () => {
    Atomics.sub(waiting, 0, 1);
    Atomics.notify(waiting, 0);
  };
  /** Runs `fn` with the write announced; for a BEGIN the announcement lasts until COMMIT or ROLLBACK. */
  let around: ((fn: () => unknown) => unknown) | null = null;
  if (role === 'thread' && text === 'begin immediate') {
    around = (fn) => {
      const deadline = Date.now() + GIVE_WAY_MAX_MS;
      for (let n = Atomics.load(waiting, 0); n > 0 && Date.now() < deadline; n = Atomics.load(waiting, 0)) Atomics.wait(waiting, 0, n, 50);
      return fn();
    };
  } else if (role === 'main' && text === 'begin immediate') {
    around = (fn) => {
      announce();
      try {
        return fn();
      } catch (error) {
        done();
        throw error;
      }
    };
  } else if (role === 'main' && (text === 'commit' || text === 'rollback')) {
    around = (fn) => {
      const held = database.inTransaction;
      try {
        return fn();
      } finally {
        if (held && !database.inTransaction) done();
      }
    };
  } else if (role === 'main' && !statement.readonly) {
    // A write outside a transaction takes the lock by itself.
    around = (fn) => {
      if (database.inTransaction) return fn();
      announce();
      try {
        return fn();
      } finally {
        done();
      }
    };
  }
  // Everything else (the thread's statements, the main thread's reads) runs as it is.
  if (!around) return statement;
  const wrap = around;
  return {
    get reader() {
      return statement.reader;
    },
    all: (parameters: ReadonlyArray<unknown>) => wrap(() => statement.all(parameters)) as unknown[],
    run: (parameters: ReadonlyArray<unknown>) => wrap(() => statement.run(parameters)) as ReturnType<SqliteStatement['run']>,
    iterate: (parameters: ReadonlyArray<unknown>) => statement.iterate(parameters),
  };
}

function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'postgres://(unparseable URL)';
  }
}

export function openDatabase(options: DatabaseOptions): DatabaseHandle {
  if (options.databaseUrl) {
    const pool = new pg.Pool({
      connectionString: options.databaseUrl,
      max: options.poolSize ?? 10,
      // Epoch-millisecond bigints fit in a double; parse them as numbers, not strings.
      types: {
        getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
          oid === PG_INT8_OID ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
      },
    });
    // The server may end a connection (a restart, pg_terminate_backend, or the idle-in-transaction
    // timeout that ends a paused former leader's transaction). That must not crash the process:
    // the pool drops an idle connection, and a checked-out one fails its next query, whose
    // caller sees the error. Without these listeners node would throw an unhandled 'error'.
    const connectionError = (error: Error) => options.onConnectionError?.(error);
    pool.on('error', connectionError);
    pool.on('connect', (client) => client.on('error', connectionError));
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    return { db, dialect: 'postgres', location: redactUrl(options.databaseUrl), backup: null, close: () => db.destroy() };
  }
  mkdirSync(options.dataDir, { recursive: true });
  const file = sqliteFile(options.dataDir);
  const sqlite = new SQLite(file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma(`synchronous = ${options.sqliteSynchronous}`);
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('foreign_keys = ON');
  // The write path touches random B-tree pages of several indexes; keep them in memory
  // (64 MiB page cache, reads through mmap) rather than re-reading them on every commit.
  // (With an ingest thread, the main thread's connection mostly reads: a quarter of that.)
  sqlite.pragma(options.writeTurns?.role === 'main' ? 'cache_size = -16384' : 'cache_size = -65536');
  sqlite.pragma('mmap_size = 268435456');
  sqlite.pragma('temp_store = MEMORY');
  // Checkpoint every 32 MiB of WAL instead of 4 MiB: hot index pages written many times
  // between checkpoints are copied back to the database once.
  sqlite.pragma('wal_autocheckpoint = 8192');
  const db = new Kysely<Database>({ dialect: new ImmediateSqliteDialect({ database: withStatementCache(sqlite, options.writeTurns) }, sqlite) });
  const backup = async (destination: string, progress?: (done: number, total: number) => void) => {
    const result = await sqlite.backup(destination, {
      progress: ({ totalPages, remainingPages }) => {
        progress?.(totalPages - remainingPages, totalPages);
        return 1024; // pages per step: small steps keep the server responsive
      },
    });
    return { pages: result.totalPages };
  };
  return { db, dialect: 'sqlite', location: file, backup, close: () => db.destroy() };
}

/** The SQLite database file of a data directory. */
export function sqliteFile(dataDir: string): string {
  return path.resolve(dataDir, 'sightline.db');
}

/** Kysely's migration table: present once any migration has run. */
const MIGRATION_TABLE = 'kysely_migration';

/**
 * Whether the configured database already holds Sightline's schema, found out without creating
 * anything: opening a SQLite file that is not there would create an empty one.
 */
export async function databaseExists(options: Pick<DatabaseOptions, 'dataDir' | 'databaseUrl'>): Promise<boolean> {
  if (options.databaseUrl) {
    const client = new pg.Client({ connectionString: options.databaseUrl });
    await client.connect();
    try {
      const { rows } = await client.query<{ found: boolean }>('select to_regclass($1) is not null as found', [MIGRATION_TABLE]);
      return rows[0]?.found === true;
    } finally {
      await client.end();
    }
  }
  const file = sqliteFile(options.dataDir);
  if (!existsSync(file)) return false;
  let sqlite: SQLite.Database;
  try {
    sqlite = new SQLite(file, { readonly: true, fileMustExist: true });
  } catch {
    // There is a file, but it cannot be read here: the real open reports why.
    return true;
  }
  try {
    return sqlite.prepare(`select 1 from sqlite_master where type = 'table' and name = ?`).get(MIGRATION_TABLE) !== undefined;
  } catch {
    return true;
  } finally {
    sqlite.close();
  }
}

export async function migrateDatabase(handle: DatabaseHandle): Promise<void> {
  const { error, results } = await migrateToLatest(handle.db, handle.dialect);
  const failed = results?.find((r) => r.status === 'Error');
  if (error || failed) {
    const reason = error instanceof Error ? error.message : String(error ?? 'unknown error');
    throw new Error(`database migration ${failed?.migrationName ?? ''} failed: ${reason}`);
  }
}

export async function pingDatabase(handle: DatabaseHandle): Promise<void> {
  await sql`select 1`.execute(handle.db);
}

/**
 * A write that commits only when the database takes writes (a read still succeeds on a full
 * disk): readiness checks run it while the database is unavailable.
 */
export async function probeWrites(handle: DatabaseHandle, now: number): Promise<void> {
  await handle.db
    .insertInto('write_probe')
    .values({ id: 1, written_at: now })
    .onConflict((oc) => oc.column('id').doUpdateSet({ written_at: now }))
    .execute();
  if (handle.dialect !== 'sqlite') return;
  // A small write can still fit where the write-ahead log has room on a full disk: a margin
  // of free space too, so that a server just past SQLITE_FULL does not say ready and fail again.
  const fs = statfsSync(path.dirname(handle.location));
  const free = fs.bavail * fs.bsize;
  if (free < PROBE_FREE_BYTES) {
    throw Object.assign(new Error(`database or disk is full: ${free} bytes free beside ${handle.location}, ${PROBE_FREE_BYTES} needed to be ready`), { code: 'SQLITE_FULL' });
  }
}

/** Free space the write probe wants on SQLite's filesystem (a few batches' growth of the log). */
const PROBE_FREE_BYTES = 8 * 1024 * 1024;

/**
 * SQLite's `PRAGMA quick_check`: reads every page and checks the B-trees' structure (not the
 * indexes against their tables, which `integrity_check` adds at many times the cost). The
 * problems found, at most `limit`; empty when the file is sound. PostgreSQL: always empty.
 */
export function quickCheck(handle: DatabaseHandle, limit = 10): Promise<string[]> {
  if (handle.dialect !== 'sqlite') return Promise.resolve([]);
  return sql<{ quick_check: string }>`pragma quick_check(${sql.raw(String(limit))})`
    .execute(handle.db)
    .then(({ rows }) => rows.map((r) => r.quick_check).filter((line) => line !== 'ok'));
}

/** The SQLite file is damaged: the server refuses to start on it (unless told to skip the check). */
export class DatabaseDamagedError extends Error {
  constructor(
    readonly file: string,
    readonly problems: readonly string[],
    /** Where it showed: `PRAGMA quick_check`, or already opening the file. */
    readonly foundBy: 'quick_check' | 'open',
  ) {
    super(`the database ${file} is damaged (${foundBy === 'open' ? 'SQLite, opening it' : 'PRAGMA quick_check'}: ${problems.join('; ')})`);
    this.name = 'DatabaseDamagedError';
  }
}

/** SQLite's answers for a file that is not a database, or whose pages do not hold together. */
function isDamage(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB');
}

/**
 * Opens the database like `openDatabase`, then (SQLite, unless `check` is false) runs
 * `quick_check`. A damaged file, found by the check or already by the open, is a
 * DatabaseDamagedError; the connection is then closed again.
 */
export async function openCheckedDatabase(options: DatabaseOptions, check: boolean): Promise<DatabaseHandle> {
  const file = sqliteFile(options.dataDir);
  let handle: DatabaseHandle;
  try {
    handle = openDatabase(options);
  } catch (error) {
    if (isDamage(error)) throw new DatabaseDamagedError(file, [(error as Error).message], 'open');
    throw error;
  }
  if (!check || handle.dialect !== 'sqlite') return handle;
  let problems: string[];
  try {
    problems = await quickCheck(handle);
  } catch (error) {
    await handle.close();
    if (isDamage(error)) throw new DatabaseDamagedError(file, [(error as Error).message], 'quick_check');
    throw error;
  }
  if (problems.length > 0) {
    await handle.close();
    throw new DatabaseDamagedError(file, problems, 'quick_check');
  }
  return handle;
}
