/**
 * The checkpointer thread copies committed WAL frames into the database file while the
 * writer's connection never checkpoints itself.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { startCheckpointer, type Checkpointer } from '../../server/src/db/checkpointer.js';

describe('checkpointer thread', () => {
  let dir = '';
  let writer: Database.Database | null = null;
  let checkpointer: Checkpointer | null = null;
  afterEach(async () => {
    await checkpointer?.close();
    writer?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('copies what the writer committed back into the database file, and closes', async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'sightline-checkpoint-'));
    const file = path.join(dir, 'sightline.db');
    writer = new Database(file);
    writer.pragma('journal_mode = WAL');
    writer.pragma('wal_autocheckpoint = 0');
    writer.exec('create table t (id integer primary key, v text not null)');
    const insert = writer.prepare('insert into t (v) values (?)');
    writer.transaction(() => {
      for (let i = 0; i < 2_000; i++) insert.run('x'.repeat(1_000));
    })();
    const before = statSync(file).size;
    // About 2 MB committed, all of it still only in the WAL.
    expect(before).toBeLessThan(100_000);
    const errors: string[] = [];
    checkpointer = startCheckpointer(file, 'NORMAL', (error) => errors.push(error));
    const deadline = Date.now() + 10_000;
    while (statSync(file).size < 2_000_000 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(statSync(file).size).toBeGreaterThan(2_000_000);
    expect(errors).toEqual([]);
    await checkpointer.close();
    checkpointer = null;
  });
});
