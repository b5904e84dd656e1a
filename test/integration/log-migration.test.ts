/**
 * Upgrading a database whose alert event log was keyed (identity constraint, `correlated`
 * flag, `revision`) to the append-only log: every stored event is kept with its id, the
 * correlator's cursor stands at the end of the old log and the events that still waited are
 * appended again after it in log order (one of them may be a lease extension that re-queued an
 * old row, so nothing before the cursor is applied twice), the earlier
 * episodes of re-fired alerts become `alert_past_episodes`, and the server then applies
 * what waited. On both databases.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { countPendingEvents, readLogCursor } from '../../server/src/db/alert-events-repo.js';
import { migrateDatabase, openDatabase, type DatabaseHandle } from '../../server/src/db/connection.js';
import { migrateTo } from '../../server/src/db/migrate.js';
import { createTestDatabase } from '../helpers/postgres.js';
import { dialects, postgresServer, T0 } from '../helpers/runtime.js';

const MIN = 60_000;

describe.each(dialects())('upgrading to the append-only alert log (%s)', (dialect) => {
  let handle: DatabaseHandle | null = null;
  let dir: string | null = null;
  afterEach(async () => {
    await handle?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
    handle = null;
    dir = null;
  });

  it('keeps every event, puts the cursor before the first waiting one, and derives past episodes', async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'sightline-log-migration-'));
    const pg = dialect === 'postgres' ? await postgresServer() : null;
    const databaseUrl = pg ? await createTestDatabase(pg.url) : null;
    handle = openDatabase({ dataDir: dir, databaseUrl, sqliteSynchronous: 'NORMAL' });
    const before = await migrateTo(handle.db, dialect, '020-correlation-inputs');
    expect(before.error).toBeUndefined();
    const db = handle.db as never as import('kysely').Kysely<any>;
    const event = (id: number, fingerprint: string, status: string, startsAt: number, endsAt: number | null, correlated: number) => ({
      id,
      source: 'prometheus',
      fingerprint,
      status,
      starts_at: startsAt,
      ends_at: endsAt,
      received_at: T0 + id,
      labels: JSON.stringify({ alertname: 'Old', fp: fingerprint }),
      annotations: '{}',
      generator_url: null,
      correlated,
      revision: 0,
    });
    // fp-a fired twice (a past episode resolved by its sender, then the current one); fp-b's
    // first episode ran out its lease; event 6 still waits for the correlator, and so does
    // event 1, re-queued in place by a lease extension.
    await db
      .insertInto('alert_events')
      .values([
        event(1, 'fp-a', 'firing', T0, T0 + 5 * MIN, 0),
        event(2, 'fp-a', 'resolved', T0, T0 + 3 * MIN, 1),
        event(3, 'fp-b', 'firing', T0, T0 + 4 * MIN, 1),
        event(4, 'fp-a', 'firing', T0 + 10 * MIN, T0 + 15 * MIN, 1),
        event(5, 'fp-b', 'firing', T0 + 20 * MIN, T0 + 25 * MIN, 1),
        event(6, 'fp-c', 'firing', T0 + 30 * MIN, T0 + 35 * MIN, 0),
      ])
      .execute();
    const alert = (id: number, fingerprint: string, startsAt: number, occurrences: number) => ({
      id,
      source: 'prometheus',
      fingerprint,
      status: 'firing',
      labels: JSON.stringify({ alertname: 'Old', fp: fingerprint }),
      annotations: '{}',
      title: 'Old',
      severity: 'warning',
      service: 'svc',
      host: null,
      starts_at: startsAt,
      ends_at: startsAt + 5 * MIN,
      generator_url: null,
      occurrences,
      first_seen_at: T0,
      last_seen_at: startsAt,
      incident_id: null,
      acknowledged: 0,
      resolved_by: null,
      suppressed_by: null,
      flapping: 0,
      flap_history: null,
    });
    await db.insertInto('alerts').values([alert(1, 'fp-a', T0 + 10 * MIN, 2), alert(2, 'fp-b', T0 + 20 * MIN, 2)]).execute();
    // Rows given ids by hand: the sequence moves past them as it would have by itself.
    if (dialect === 'postgres') await sql`select setval(pg_get_serial_sequence('alert_events', 'id'), 6)`.execute(db);

    await migrateDatabase(handle);

    const ids = (await handle.db.selectFrom('alert_events').select('id').orderBy('id').execute()).map((r) => Number(r.id));
    expect(ids).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(await readLogCursor(handle.db)).toEqual({ id: 6 });
    expect(await countPendingEvents(handle.db)).toBe(2);
    const again = await handle.db.selectFrom('alert_events').select(['id', 'fingerprint', 'starts_at']).where('id', '>', 6).orderBy('id').execute();
    expect(again.map((r) => [Number(r.id), r.fingerprint, Number(r.starts_at)])).toEqual([
      [7, 'fp-a', T0],
      [8, 'fp-c', T0 + 30 * MIN],
    ]);
    const past = await handle.db.selectFrom('alert_past_episodes').selectAll().orderBy('fingerprint').execute();
    expect(past.map((p) => ({ ...p, starts_at: Number(p.starts_at), ends_at: p.ends_at === null ? null : Number(p.ends_at), resolved: Number(p.resolved) }))).toEqual([
      { source: 'prometheus', fingerprint: 'fp-a', starts_at: T0, ends_at: T0 + 3 * MIN, resolved: 1 },
      { source: 'prometheus', fingerprint: 'fp-b', starts_at: T0, ends_at: T0 + 4 * MIN, resolved: 0 },
    ]);
    // The log takes new events after the old ones, and a re-send is appended, not refused.
    const cols = "(source, fingerprint, status, starts_at, ends_at, received_at, labels, annotations, generator_url) values ('prometheus', 'fp-c', 'firing', 1, 2, 3, '{}', '{}', null)";
    await sql.raw(`insert into alert_events ${cols}`).execute(handle.db);
    await sql.raw(`insert into alert_events ${cols}`).execute(handle.db);
    expect(Number((await handle.db.selectFrom('alert_events').select((eb) => eb.fn.max('id').as('id')).executeTakeFirstOrThrow()).id)).toBe(10);
    await pg?.stop();
  });
});
