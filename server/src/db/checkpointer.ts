/**
 * @module Checkpoints off the ingest thread. In WAL mode the connection that commits also
 * copies the log back into the database once it has grown past `wal_autocheckpoint`: on the
 * ingest thread, which stores and correlates every alert, that copying was a tenth of its
 * time (measured with perf during the ingest benchmark). A thread of its own now copies the
 * committed frames every few hundred milliseconds (PASSIVE: it blocks neither the writer nor
 * readers), so when the writer's own checkpoint comes due little is left to copy, and the
 * log still restarts from its beginning as before.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

export interface CheckpointerData {
  file: string;
  synchronous: 'NORMAL' | 'FULL';
  intervalMs: number;
}

export type FromCheckpointer = { kind: 'failed'; error: string };

export interface Checkpointer {
  close(): Promise<void>;
}

/** How often the checkpointer copies: a few MiB of log at the ingest rates measured. */
const CHECKPOINT_INTERVAL_MS = 200;

/** The compiled worker next to this file; from the TypeScript sources (tests), the build's. */
function workerScript(): string {
  if (import.meta.url.endsWith('.js')) return fileURLToPath(new URL('./checkpoint-worker.js', import.meta.url));
  const built = fileURLToPath(new URL('../../../dist/server/src/db/checkpoint-worker.js', import.meta.url));
  if (!existsSync(built)) throw new Error(`the checkpointer needs the compiled server: run \`npm run build\` (missing ${built})`);
  return built;
}

/** Starts the checkpointer for the SQLite file `file`; `failed` hears of errors (it keeps trying). */
export function startCheckpointer(file: string, synchronous: 'NORMAL' | 'FULL', failed: (error: string) => void): Checkpointer {
  const data: CheckpointerData = { file, synchronous, intervalMs: CHECKPOINT_INTERVAL_MS };
  const worker = new Worker(workerScript(), { workerData: data, name: 'sightline-checkpoint' });
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  worker.on('message', (message: FromCheckpointer) => failed(message.error));
  worker.on('error', (error) => failed(error.message));
  // It must never keep the process alive by itself.
  worker.unref();
  return {
    async close() {
      worker.postMessage('close');
      const timeout = setTimeout(() => void worker.terminate(), 5_000);
      await exited;
      clearTimeout(timeout);
    },
  };
}
