/**
 * @module What a SQLite data directory says about its past. SQLite creates an empty database
 * wherever the file is missing, so a deleted or truncated `sightline.db` would otherwise
 * start an empty server without a word. A marker written beside the first database
 * (`sightline.db.created`), and the files SQLite and the server leave beside it (`-wal`,
 * `-shm`, `.lock`), tell that a database lived here.
 */
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { sqliteFile } from './connection.js';

/** The marker beside the database: written once, when the first database is migrated. */
export function databaseMarkerFile(dataDir: string): string {
  return `${sqliteFile(dataDir)}.created`;
}

/** Writes the marker unless there is one. Best effort: a read-only directory fails elsewhere. */
export function markDatabaseCreated(dataDir: string, now: number): void {
  const marker = databaseMarkerFile(dataDir);
  if (existsSync(marker)) return;
  try {
    writeFileSync(marker, `${JSON.stringify({ database: path.basename(sqliteFile(dataDir)), createdAt: new Date(now).toISOString() })}\n`, { flag: 'wx' });
  } catch {
    // Another process wrote it first, or the directory is not writable: nothing to add.
  }
}

/**
 * Whether the database of a data directory that held one is gone or empty: a sentence for
 * the log, or null when the file is there with content, or the directory never held one.
 * Run before the server takes its lock (whose file is evidence of an earlier server).
 */
export function findLostDatabase(dataDir: string): string | null {
  const file = sqliteFile(dataDir);
  let size: number | null = null;
  try {
    size = statSync(file).size;
  } catch {
    size = null;
  }
  if (size !== null && size > 0) return null;
  const evidence: string[] = [];
  const marker = databaseMarkerFile(dataDir);
  if (existsSync(marker)) {
    let since = '';
    try {
      const createdAt = (JSON.parse(readFileSync(marker, 'utf8')) as { createdAt?: unknown }).createdAt;
      if (typeof createdAt === 'string') since = ` (a database was created here at ${createdAt})`;
    } catch {
      // An unreadable marker still says that a database lived here.
    }
    evidence.push(`${path.basename(marker)}${since}`);
  }
  for (const suffix of ['-wal', '-shm', '.lock']) if (existsSync(`${file}${suffix}`)) evidence.push(path.basename(`${file}${suffix}`));
  if (size === 0) {
    return `the database file ${file} is empty (0 bytes)${evidence.length ? `, beside ${evidence.join(', ')}` : ''}: starting with an empty database. If this directory held data, stop the server and restore ${path.basename(file)} from a backup`;
  }
  if (evidence.length === 0) return null;
  return `the database file ${file} is missing, but the data directory holds ${evidence.join(', ')}: starting with a new, empty database. If this directory held data, stop the server and restore ${path.basename(file)} from a backup`;
}
