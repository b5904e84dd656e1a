/** The SQLite data directory's server lock: taken once, refused while its holder runs, taken over when stale. */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { acquireServerLock, serverLockFile } from '../../server/src/db/server-lock.js';

const dataDir = () => mkdtempSync(path.join(tmpdir(), 'sightline-lock-'));
const host = 'db-1';
const running = (pids: number[]) => (pid: number) => pids.includes(pid);

describe('acquireServerLock', () => {
  it('takes the lock, refuses a second server while the first runs, and is free again after release', () => {
    const dir = dataDir();
    const first = acquireServerLock(dir, { pid: 100, host, isRunning: running([100, 200]) });
    expect(first.ok).toBe(true);
    expect(JSON.parse(readFileSync(serverLockFile(dir), 'utf8'))).toMatchObject({ pid: 100, host });

    const second = acquireServerLock(dir, { pid: 200, host, isRunning: running([100, 200]) });
    expect(second.ok).toBe(false);
    if (!second.ok) {
      expect(second.error.code).toBe('CONFLICT');
      expect(second.error.message).toContain(`another Sightline server (pid 100`);
      expect(second.error.message).toContain(path.join(dir, 'sightline.db'));
    }

    if (first.ok) first.value.release();
    expect(existsSync(serverLockFile(dir))).toBe(false);
    expect(acquireServerLock(dir, { pid: 200, host, isRunning: running([200]) }).ok).toBe(true);
  });

  it.each([
    ['whose process is gone', JSON.stringify({ pid: 100, host, startedAt: 'x' }), [200]],
    ['holding this process\'s own pid (a restarted container)', JSON.stringify({ pid: 200, host, startedAt: 'x' }), [200]],
    ['that cannot be read', '{"pid":', [200]],
  ])('takes over a lock %s', (_what, content, live) => {
    const dir = dataDir();
    writeFileSync(serverLockFile(dir), content);
    const taken = acquireServerLock(dir, { pid: 200, host, isRunning: running(live) });
    expect(taken.ok).toBe(true);
    expect(JSON.parse(readFileSync(serverLockFile(dir), 'utf8'))).toMatchObject({ pid: 200 });
  });

  it('refuses a lock of another host, whose process it cannot check', () => {
    const dir = dataDir();
    writeFileSync(serverLockFile(dir), JSON.stringify({ pid: 100, host: 'db-2', startedAt: 'x' }));
    const taken = acquireServerLock(dir, { pid: 200, host, isRunning: running([]) });
    expect(taken.ok).toBe(false);
    if (!taken.ok) expect(taken.error.message).toMatch(/on host db-2 .*if it is gone, remove/);
  });

  it('leaves a lock that is no longer its own when released', () => {
    const dir = dataDir();
    const first = acquireServerLock(dir, { pid: 100, host, isRunning: running([]) });
    // Its process looked dead to another server, which took the lock over.
    expect(acquireServerLock(dir, { pid: 200, host, isRunning: running([200]) }).ok).toBe(true);
    if (first.ok) first.value.release();
    expect(JSON.parse(readFileSync(serverLockFile(dir), 'utf8'))).toMatchObject({ pid: 200 });
  });
});
