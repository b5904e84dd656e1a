/**
 * @module The leader lease. All times come from the database's clock, never a replica's,
 * so replicas whose clocks disagree still agree on when a lease has run out.
 */
import { sql, type Kysely, type RawBuilder, type Transaction } from 'kysely';
import type { SqlDialect } from './dialect.js';
import type { Database } from './schema.js';

type Db = Kysely<Database> | Transaction<Database>;

export interface LeaseRecord {
  name: string;
  /** Null once released. */
  holder: string | null;
  epoch: number;
  acquiredAt: number;
  renewedAt: number;
  expiresAt: number;
  /** The database's clock when the row was read (epoch ms). */
  databaseNow: number;
}

/** Epoch milliseconds by the database clock (stable within one statement on both engines). */
function databaseNow(dialect: SqlDialect): RawBuilder<number> {
  return dialect === 'postgres'
    ? sql<number>`(extract(epoch from now()) * 1000)::bigint`
    : sql<number>`cast((julianday('now') - 2440587.5) * 86400000 as integer)`;
}

interface LeaseRow {
  name: string;
  holder: string | null;
  epoch: number;
  acquired_at: number;
  renewed_at: number;
  expires_at: number;
  database_now: number;
}

function toRecord(row: LeaseRow): LeaseRecord {
  return {
    name: row.name,
    holder: row.holder,
    epoch: Number(row.epoch),
    acquiredAt: Number(row.acquired_at),
    renewedAt: Number(row.renewed_at),
    expiresAt: Number(row.expires_at),
    databaseNow: Number(row.database_now),
  };
}

/**
 * One atomic statement: `holder` renews the lease it holds, or takes it when it is free,
 * released or expired. Only a renewal at the epoch the caller knows (`heldEpoch`) keeps the
 * epoch; any other claim raises it — including one by the same holder name that does not
 * know the epoch (a restarted process), so an earlier incarnation that is merely paused is
 * fenced off too. Returns the lease when `holder` now holds it, otherwise null.
 */
export async function claimLease(db: Db, dialect: SqlDialect, name: string, holder: string, ttlMs: number, heldEpoch: number | null): Promise<LeaseRecord | null> {
  const now = databaseNow(dialect);
  const renewal = sql<boolean>`leader_lease.holder = excluded.holder and leader_lease.epoch = ${heldEpoch ?? -1}`;
  const row = await db
    .insertInto('leader_lease')
    .values({ name, holder, epoch: 1, acquired_at: now, renewed_at: now, expires_at: sql<number>`${now} + ${ttlMs}` })
    .onConflict((oc) =>
      oc
        .column('name')
        .doUpdateSet({
          holder: sql`excluded.holder`,
          epoch: sql`case when ${renewal} then leader_lease.epoch else leader_lease.epoch + 1 end`,
          acquired_at: sql`case when ${renewal} then leader_lease.acquired_at else excluded.acquired_at end`,
          renewed_at: sql`excluded.renewed_at`,
          expires_at: sql`excluded.expires_at`,
        })
        .where(sql<boolean>`leader_lease.holder = excluded.holder or leader_lease.holder is null or leader_lease.expires_at <= excluded.renewed_at`),
    )
    .returning(['name', 'holder', 'epoch', 'acquired_at', 'renewed_at', 'expires_at', now.as('database_now')])
    .executeTakeFirst();
  return row ? toRecord(row as LeaseRow) : null;
}

/** Gives the lease up at once (clean shutdown), so a follower need not wait for it to expire. */
export async function releaseLease(db: Db, dialect: SqlDialect, name: string, holder: string, epoch: number): Promise<boolean> {
  const now = databaseNow(dialect);
  const result = await db
    .updateTable('leader_lease')
    .set({ holder: null, expires_at: now })
    .where('name', '=', name)
    .where('holder', '=', holder)
    .where('epoch', '=', epoch)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export async function findLease(db: Db, dialect: SqlDialect, name: string): Promise<LeaseRecord | null> {
  const row = await db
    .selectFrom('leader_lease')
    .select(['name', 'holder', 'epoch', 'acquired_at', 'renewed_at', 'expires_at', databaseNow(dialect).as('database_now')])
    .where('name', '=', name)
    .executeTakeFirst();
  return row ? toRecord(row as LeaseRow) : null;
}

/**
 * Inside a transaction, just before it commits: true when `holder` still holds the lease at
 * `epoch`. On PostgreSQL the row is share-locked until the commit, so no one can take the
 * lease over between this check and the commit: a takeover waits for the commit and then
 * sees the work it fenced.
 */
export async function holdsLease(trx: Transaction<Database>, dialect: SqlDialect, name: string, holder: string, epoch: number): Promise<boolean> {
  const row = await trx
    .selectFrom('leader_lease')
    .select('epoch')
    .where('name', '=', name)
    .where('holder', '=', holder)
    .where('epoch', '=', epoch)
    .$if(dialect === 'postgres', (q) => q.forShare())
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * PostgreSQL: a session left idle inside this transaction (its process paused or wedged)
 * is ended by the server after `ms`, releasing its locks, so a paused former leader
 * cannot hold up the new one for longer than that.
 */
export async function limitIdleInTransaction(trx: Transaction<Database>, dialect: SqlDialect, ms: number): Promise<void> {
  if (dialect !== 'postgres') return;
  await sql`select set_config('idle_in_transaction_session_timeout', ${String(Math.max(1, Math.round(ms)))}, true)`.execute(trx);
}
