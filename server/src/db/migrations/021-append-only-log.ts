/**
 * @module The alert event log becomes append-only: no identity constraint, no pending index,
 * no `correlated` flag or `revision` written back. A sender's 2xx needs the appended rows
 * only; the correlator reads the log from its cursor (`correlation_cursor`), in log order:
 * by id on SQLite (one writer at a time, so ids are given in commit order), by (transaction
 * id, id) on PostgreSQL, where replicas append concurrently and ids are not given in commit
 * order (see `db/alert-events-repo.ts`).
 *
 * Derived here from the old log once: the cursor (just before the first event still waiting),
 * and the earlier episodes of re-fired alerts (`alert_past_episodes`), which the SLA reads
 * instead of the log. Sightline's own alerts keep a small partial index: they are looked up by
 * fingerprint before they are raised again. Frozen in time.
 */
import { sql, type Kysely, type Migration } from 'kysely';
import type { SqlDialect } from '../dialect.js';

export function appendOnlyLog(dialect: SqlDialect): Migration {
  const pg = dialect === 'postgres';
  const ms = pg ? 'bigint' : 'integer';
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('alert_past_episodes')
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('fingerprint', 'text', (c) => c.notNull())
        .addColumn('starts_at', ms, (c) => c.notNull())
        .addColumn('ends_at', ms)
        .addColumn('resolved', 'integer', (c) => c.notNull())
        .addPrimaryKeyConstraint('alert_past_episodes_key', ['source', 'fingerprint', 'starts_at'])
        .execute();
      // An episode's end: the latest resolve, else the latest lease.
      await sql`
        insert into alert_past_episodes (source, fingerprint, starts_at, ends_at, resolved)
        select e.source, e.fingerprint, e.starts_at,
          coalesce(max(case when e.status = 'resolved' then e.ends_at end), max(case when e.status = 'firing' then e.ends_at end)),
          max(case when e.status = 'resolved' and e.ends_at is not null then 1 else 0 end)
        from alert_events e join alerts a on a.source = e.source and a.fingerprint = e.fingerprint
        where e.starts_at < a.starts_at and e.status in ('firing', 'resolved')
        group by e.source, e.fingerprint, e.starts_at`.execute(db);

      await db.schema
        .createTable('correlation_cursor')
        .addColumn('id', 'integer', (c) => c.primaryKey())
        .addColumn('applied_id', ms, (c) => c.notNull())
        .execute();
      // Events still waiting were not a tail of the old log (a lease extension re-queued its
      // alert's first row in place): the cursor goes to the end, and each waiting event is
      // appended again after it, in log order, so nothing applied is applied twice.
      await sql`insert into correlation_cursor (id, applied_id) select 1, coalesce((select max(id) from alert_events), 0)`.execute(db);
      const waiting = await db.selectFrom('alert_events').selectAll().where('correlated', '=', 0).orderBy('id').execute();

      if (pg) {
        await db.schema.dropIndex('alert_events_pending').execute();
        await sql`alter table alert_events drop constraint alert_events_identity`.execute(db);
        await sql`alter table alert_events drop column correlated, drop column revision`.execute(db);
        await appendAgain(db, waiting);
      } else {
        await sql`
          create table alert_events_log (
            id integer primary key autoincrement,
            source text not null,
            fingerprint text not null,
            status text not null,
            starts_at integer not null,
            ends_at integer,
            received_at integer not null,
            labels text not null,
            annotations text not null,
            generator_url text
          )`.execute(db);
        await sql`
          insert into alert_events_log (id, source, fingerprint, status, starts_at, ends_at, received_at, labels, annotations, generator_url)
          select id, source, fingerprint, status, starts_at, ends_at, received_at, labels, annotations, generator_url from alert_events order by id`.execute(db);
        await db.schema.dropTable('alert_events').execute();
        await sql`alter table alert_events_log rename to alert_events`.execute(db);
        await appendAgain(db, waiting);
      }
      await db.schema
        .createIndex('alert_events_internal')
        .on('alert_events')
        .columns(['fingerprint', 'id'])
        .where(sql.ref('source'), '=', sql.lit('sightline'))
        .execute();
    },
    async down(): Promise<void> {
      throw new Error('the append-only alert log cannot be turned back into the keyed one');
    },
  };
}

/** Appends copies of `rows` (old log rows) as new events, in order. */
async function appendAgain(db: Kysely<any>, rows: readonly Record<string, unknown>[]): Promise<void> {
  for (const r of rows) {
    await db
      .insertInto('alert_events')
      .values({
        source: r.source,
        fingerprint: r.fingerprint,
        status: r.status,
        starts_at: r.starts_at,
        ends_at: r.ends_at,
        received_at: r.received_at,
        labels: r.labels,
        annotations: r.annotations,
        generator_url: r.generator_url,
      })
      .execute();
  }
}
