/**
 * @module The checkpointer thread (see checkpointer.ts): its own connection to the SQLite
 * file, copying committed WAL frames back into the database every few hundred milliseconds.
 */
import { parentPort, workerData } from 'node:worker_threads';
import SQLite from 'better-sqlite3';
import type { CheckpointerData, FromCheckpointer } from './checkpointer.js';

const port = parentPort;
if (!port) throw new Error('checkpoint-worker.js runs only as a thread of the server');
const { file, synchronous, intervalMs } = workerData as CheckpointerData;
const send = (message: FromCheckpointer) => port.postMessage(message);

const db = new SQLite(file, { fileMustExist: true });
// Never wait for a lock: whatever holds it, the next round tries again.
db.pragma('busy_timeout = 0');
db.pragma(`synchronous = ${synchronous}`);
db.pragma('wal_autocheckpoint = 0');

let failing = false;
const timer = setInterval(() => {
  try {
    // PASSIVE: copies what it can without blocking the writer or any reader.
    db.pragma('wal_checkpoint(PASSIVE)');
    failing = false;
  } catch (error) {
    // Said once per run of failures, not every round.
    if (!failing) send({ kind: 'failed', error: error instanceof Error ? error.message : String(error) });
    failing = true;
  }
}, intervalMs);

port.on('message', (message: 'close') => {
  if (message !== 'close') return;
  clearInterval(timer);
  db.close();
  port.close();
});
