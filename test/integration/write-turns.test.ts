/**
 * The main thread's connection and the ingest thread's take turns at SQLite's write lock
 * (db/connection.ts, WriteTurns): the main thread announces its writes in shared memory, and
 * the ingest thread's connection lets them go first before it begins a transaction.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createWriteTurns, migrateDatabase, openDatabase, type DatabaseHandle } from '../../server/src/db/connection.js';

describe('write turns between two connections to one SQLite file', () => {
  let dataDir: string;
  let turns: Int32Array;
  let main: DatabaseHandle;
  let thread: DatabaseHandle;

  beforeEach(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'sightline-turns-'));
    turns = createWriteTurns();
    main = openDatabase({ dataDir, databaseUrl: null, sqliteSynchronous: 'NORMAL', writeTurns: { role: 'main', waiting: turns } });
    await migrateDatabase(main);
    thread = openDatabase({ dataDir, databaseUrl: null, sqliteSynchronous: 'NORMAL', writeTurns: { role: 'thread', waiting: turns } });
  });

  afterEach(async () => {
    await thread.close();
    await main.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const note = (db: DatabaseHandle['db'], name: string) => db.insertInto('kysely_migration_lock' as never).values({ id: name, is_locked: 0 } as never).execute();

  it('announces a main-thread write for as long as it holds the lock, and only writes', async () => {
    expect(Atomics.load(turns, 0)).toBe(0);
    await main.db.transaction().execute(async (trx) => {
      expect(Atomics.load(turns, 0)).toBe(1);
      await note(trx, 'in-transaction');
    });
    expect(Atomics.load(turns, 0)).toBe(0);
    // A failed transaction is rolled back and gives its turn back.
    await expect(
      main.db.transaction().execute(async (trx) => {
        await note(trx, 'rolled-back');
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(Atomics.load(turns, 0)).toBe(0);
    // Writes outside a transaction and reads leave it as it was.
    await note(main.db, 'autocommit');
    await sql`select count(*) from kysely_migration`.execute(main.db);
    expect(Atomics.load(turns, 0)).toBe(0);
    // The ingest thread's own transactions never announce anything.
    await thread.db.transaction().execute((trx) => note(trx, 'thread'));
    expect(Atomics.load(turns, 0)).toBe(0);
    const ids = (await main.db.selectFrom('kysely_migration_lock' as never).select('id' as never).execute()) as { id: string }[];
    expect(ids.map((r) => r.id).sort()).toEqual(['autocommit', 'in-transaction', 'migration_lock', 'thread'].sort());
  });

  it('lets an announced main-thread write go first before the ingest thread begins', async () => {
    // Slot 0: the announcement; another thread (standing in for the main thread) holds it for
    // a moment and records in slot 1 when it gave it back.
    const shared = new Int32Array(new SharedArrayBuffer(8));
    const byThread = openDatabase({ dataDir, databaseUrl: null, sqliteSynchronous: 'NORMAL', writeTurns: { role: 'thread', waiting: shared.subarray(0, 1) } });
    try {
      Atomics.store(shared, 0, 1);
      const other = new Worker(
        `const { workerData } = require('node:worker_threads');
         setTimeout(() => { Atomics.store(workerData, 1, 1); Atomics.store(workerData, 0, 0); Atomics.notify(workerData, 0); }, 200);`,
        { eval: true, workerData: shared },
      );
      let releasedWhenBegun = -1;
      await byThread.db.transaction().execute(async (trx) => {
        releasedWhenBegun = Atomics.load(shared, 1);
        await note(trx, 'after-turn');
      });
      await other.terminate();
      expect(releasedWhenBegun).toBe(1);
    } finally {
      await byThread.close();
    }
  });
});
