/**
 * @module One server per SQLite file: a lock file beside the database, created exclusively at
 * start and removed on exit. SQLite itself lets a second process open the file and write
 * (every write takes its turn at the lock), so two servers would run two correlators over one
 * event log without a word. A lock left behind by a process that is gone (kill -9, a power
 * loss) is taken over.
 */
import { mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fail, ok, type Result } from '../domain/result.js';
import { sqliteFile } from './connection.js';

export interface ServerLock {
  file: string;
  /** Removes the lock file if it is still this process's; safe to call more than once. */
  release(): void;
}

interface LockHolder {
  pid: number;
  host: string;
  startedAt: string;
}

export interface ServerLockOptions {
  pid?: number;
  host?: string;
  now?: () => number;
  /** Whether a process of this host is running (default: signal 0). */
  isRunning?: (pid: number) => boolean;
}

function processIsRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, under another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readHolder(file: string): { text: string; holder: LockHolder | null } | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  try {
    const parsed = JSON.parse(text) as Partial<LockHolder>;
    if (typeof parsed.pid === 'number' && typeof parsed.host === 'string') return { text, holder: { pid: parsed.pid, host: parsed.host, startedAt: String(parsed.startedAt ?? '?') } };
  } catch {
    // An unreadable lock (a crash while writing it) holds nothing.
  }
  return { text, holder: null };
}

/** The lock file of a data directory. */
export function serverLockFile(dataDir: string): string {
  return `${sqliteFile(dataDir)}.lock`;
}

/**
 * Takes the data directory's server lock, or fails with CONFLICT naming the server that holds
 * it and what to do.
 */
export function acquireServerLock(dataDir: string, options: ServerLockOptions = {}): Result<ServerLock> {
  const pid = options.pid ?? process.pid;
  const host = options.host ?? os.hostname();
  const isRunning = options.isRunning ?? processIsRunning;
  const file = serverLockFile(dataDir);
  const content = `${JSON.stringify({ pid, host, startedAt: new Date(options.now?.() ?? Date.now()).toISOString() })}\n`;
  mkdirSync(path.dirname(file), { recursive: true });
  // Two rounds: the second after taking over a stale lock.
  for (let round = 0; round < 2; round++) {
    try {
      writeFileSync(file, content, { flag: 'wx' });
      let held = true;
      return ok({
        file,
        release() {
          if (!held) return;
          held = false;
          if (readHolder(file)?.text === content) unlinkSync(file);
        },
      });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const found = readHolder(file);
    if (found === null) continue;
    const { holder } = found;
    if (holder && holder.host !== host) {
      return fail('CONFLICT', `a Sightline server on host ${holder.host} (pid ${holder.pid}, since ${holder.startedAt}) uses ${sqliteFile(dataDir)}; stop it first (if it is gone, remove ${file})`);
    }
    // Our own pid: a restart that got the same pid as the process that left the lock (pid 1 in a container).
    if (holder && holder.pid !== pid && isRunning(holder.pid)) {
      return fail('CONFLICT', `another Sightline server (pid ${holder.pid}, since ${holder.startedAt}) uses ${sqliteFile(dataDir)}; stop it first, or give this one another --data-dir`);
    }
    // Stale. Removed only if it is still the one read: of two servers starting at once over a
    // stale lock, the later then finds the earlier's fresh lock rather than removing it (a
    // window of microseconds remains between the read and the unlink).
    if (readHolder(file)?.text === found.text) unlinkSync(file);
  }
  return fail('CONFLICT', `cannot take the lock ${file}: another server is starting on ${sqliteFile(dataDir)}`);
}
