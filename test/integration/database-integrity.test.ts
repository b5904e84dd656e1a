/**
 * The built `sightline server` on a damaged or lost SQLite database, run as a user would:
 * a file with 32 KiB of garbage in the middle is refused (exit code 3, what to do), unless
 * `--skip-integrity-check`; a data directory whose database was deleted or truncated starts
 * empty, but says so in a warning.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, statSync, truncateSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { SIGHTLINE_CLI, startSightline, stopAllProcesses, type SightlineProcess } from '../helpers/processes.js';

const root = mkdtempSync(path.join(tmpdir(), 'sightline-integrity-'));

afterAll(async () => {
  await stopAllProcesses();
  rmSync(root, { recursive: true, force: true });
});

function sightline(args: string[]) {
  const result = spawnSync(process.execPath, [SIGHTLINE_CLI, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', SIGHTLINE_LOG_LEVEL: 'warn' }, timeout: 30_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/**
 * A migrated database with a few MiB of capacity history (which the server does not read at
 * start), so that its middle is data and a server that does not check starts on it.
 */
function populatedDataDir(name: string): string {
  const dir = path.join(root, name);
  expect(sightline(['migrate', '--data-dir', dir]).code).toBe(0);
  const db = new Database(path.join(dir, 'sightline.db'));
  const insert = db.prepare(`insert into capacity_rollups (host, resource, mountpoint, resolution, bucket_start, sum, count, max) values (?, 'filesystem', ?, '5m', ?, 0.5, 1, 0.5)`);
  db.transaction(() => {
    for (let i = 0; i < 8_000; i++) insert.run(`host-${i % 50}`, `/srv/${'volume-'.repeat(20)}${i}`, 1_700_000_000_000 + i * 300_000);
  })();
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  return dir;
}

/** Overwrites 32 KiB in the middle of the file with (seeded) random bytes. */
function damage(file: string): void {
  const size = statSync(file).size;
  const garbage = Buffer.alloc(32 * 1024);
  let x = 0x2545f491;
  for (let i = 0; i < garbage.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    garbage[i] = x & 0xff;
  }
  const fd = openSync(file, 'r+');
  writeSync(fd, garbage, 0, garbage.length, Math.floor(size / 2 / 4096) * 4096);
  closeSync(fd);
}

/** The server's warnings (JSON log lines at level 40). */
function warnings(server: SightlineProcess): string[] {
  return server.proc
    .output()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { level: number; msg: string })
    .filter((l) => l.level === 40)
    .map((l) => l.msg);
}

describe('a damaged SQLite file', () => {
  it('is refused at start with exit code 3 and what to do; --skip-integrity-check starts anyway', async () => {
    const dir = populatedDataDir('damaged');
    const file = path.join(dir, 'sightline.db');
    expect(statSync(file).size).toBeGreaterThan(2 * 1024 * 1024);
    damage(file);

    const refused = sightline(['server', '--data-dir', dir, '--port', '0', '--host', '127.0.0.1']);
    expect(refused.code, refused.stdout + refused.stderr).toBe(3);
    expect(refused.stderr).toContain(`cannot start: the database ${file} is damaged (PRAGMA quick_check:`);
    expect(refused.stderr).toContain('Restore the file from a backup');
    expect(refused.stderr).toContain('--skip-integrity-check');

    const server = await startSightline({ dataDir: dir, args: ['--skip-integrity-check'] });
    expect(warnings(server)).toContain('the integrity check of the database was skipped (--skip-integrity-check)');
    await server.stop();
  }, 90_000);

  it('a sound file passes the check', async () => {
    const dir = populatedDataDir('sound');
    const server = await startSightline({ dataDir: dir });
    const res = await fetch(`${server.url}/readyz`);
    expect(res.status).toBe(200);
    expect(warnings(server)).toEqual([]);
    await server.stop();
  }, 90_000);
});

describe('a data directory whose database is gone', () => {
  it('warns when the database was deleted, or truncated to zero bytes; a new directory starts without a word', async () => {
    const dir = path.join(root, 'lost');
    mkdirSync(dir);
    const first = await startSightline({ dataDir: dir });
    expect(warnings(first)).toEqual([]);
    await first.stop();

    unlinkSync(path.join(dir, 'sightline.db'));
    const deleted = await startSightline({ dataDir: dir });
    expect(warnings(deleted)).toEqual([expect.stringMatching(/^the database file .*sightline\.db is missing, but the data directory holds sightline\.db\.created \(a database was created here at .*\): starting with a new, empty database/)]);
    await deleted.stop();

    truncateSync(path.join(dir, 'sightline.db'), 0);
    const truncated = await startSightline({ dataDir: dir });
    expect(warnings(truncated)).toEqual([expect.stringMatching(/^the database file .*sightline\.db is empty \(0 bytes\)/)]);
    await truncated.stop();
  }, 90_000);

  it('takes the lock file a killed server left as evidence too', async () => {
    const dir = path.join(root, 'killed');
    mkdirSync(dir);
    const killed = await startSightline({ dataDir: dir });
    await killed.kill();
    // As a directory from before the marker existed would be: only the lock is left beside the database.
    for (const name of ['sightline.db', 'sightline.db-wal', 'sightline.db-shm', 'sightline.db.created']) rmSync(path.join(dir, name), { force: true });
    const next = await startSightline({ dataDir: dir });
    expect(warnings(next)).toEqual([expect.stringMatching(/is missing, but the data directory holds sightline\.db\.lock: starting with a new, empty database/)]);
    await next.stop();
  }, 90_000);
});
