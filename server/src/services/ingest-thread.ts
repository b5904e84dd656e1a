/**
 * @module The ingest thread, seen from the main thread (SQLite only). The main thread
 * answers HTTP: it parses, validates and fingerprints alerts. A worker thread with its own
 * connection to the database file is the one writer of the alert event log and the
 * correlator's state: it commits each batch (group commit, as in-process), correlated in the
 * same transaction when nothing else waits (else the correlator takes it in its next pass),
 * and answers. So ingest uses two cores, and a long correlation batch never holds up the
 * parsing of requests. Durability is unchanged: `append` resolves only after the commit.
 *
 * The handles below have the same contracts as the in-process writer and correlator, so the
 * rest of the server does not know which one it has. If the thread dies (a bug, not load),
 * the calls in flight fail (the senders get a 5xx and retry; nothing they were told is stored
 * was lost) and a new thread is started.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { ServerConfig } from '../config.js';
import type { AlertEvent } from '../domain/alert.js';
import type { Correlator, CorrelatorMetrics } from './correlator.js';
import type { DatabaseFaults } from './database-availability.js';
import type { Appended, EventWriter } from './ingest-alerts.js';

/** What the main thread asks; `id` pairs a request with its `done`. */
export type ToIngestThread =
  | { kind: 'append'; id: number; events: readonly AlertEvent[]; receivedAt: number }
  | { kind: 'kick'; housekeeping: boolean }
  | { kind: 'drain'; id: number }
  | { kind: 'start'; intervalMs: number }
  | { kind: 'stop'; id: number }
  | { kind: 'catalogue' }
  | { kind: 'close'; id: number };

export type FromIngestThread =
  | { kind: 'ready' }
  | { kind: 'failed'; error: string }
  | { kind: 'done'; id: number; value?: number; appended?: Appended; error?: string; code?: string }
  /** A database fault in the thread's own work (see services/database-availability.ts). */
  | { kind: 'fault'; code: string; message: string }
  | { kind: 'applied'; count: number }
  | { kind: 'metric'; name: 'incidentsOpened'; labels: { priority: string } }
  | { kind: 'metric'; name: 'alertsSuppressed'; labels: { kind: string } }
  | { kind: 'metric'; name: 'correlatorErrors' };

export interface IngestWorkerData {
  config: ServerConfig;
  /** Shared with the main thread's connection: see WriteTurns in db/connection.ts. */
  turns: Int32Array;
}

export interface IngestThread {
  writer: EventWriter;
  correlator: Correlator;
  /** The service catalogue changed in the database: the thread reloads its graph. */
  catalogueChanged(): void;
  /** Stops correlating, closes the thread's connection and ends it. */
  close(): Promise<void>;
  /** False while a thread that died is being replaced. */
  running(): boolean;
  /** Ends the thread at once, as a crash would (for tests of the restart); resolves once it is gone. */
  crash(): Promise<void>;
}

interface Call {
  resolve(value: number, appended?: Appended): void;
  reject(error: Error): void;
}

/** Storing is briefly impossible (the ingest thread is being replaced): answer 503, the sender retries. */
export class IngestUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IngestUnavailableError';
  }
}

const RESTART_DELAY_MS = 1_000;
const RESTART_DELAY_MAX_MS = 30_000;
/** How long `close` waits for the thread to finish its work before ending it. */
const CLOSE_TIMEOUT_MS = 10_000;

/**
 * The compiled worker next to this file; from the TypeScript sources (tests), the build's,
 * which must not be older than the sources it was built from.
 */
function workerScript(): string {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('.js')) return fileURLToPath(new URL('./ingest-worker.js', import.meta.url));
  const built = fileURLToPath(new URL('../../../dist/server/src/services/ingest-worker.js', import.meta.url));
  if (!existsSync(built)) throw new Error(`the ingest thread needs the compiled server: run \`npm run build\` (missing ${built})`);
  const sources = path.dirname(path.dirname(here));
  const newest = newestModification(sources);
  if (newest > statSync(built).mtimeMs) throw new Error(`the compiled server in dist/ is older than server/src: run \`npm run build\``);
  return built;
}

function newestModification(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestModification(full) : /\.tsx?$/.test(entry.name) ? statSync(full).mtimeMs : 0);
  }
  return newest;
}

export async function startIngestThread(
  config: Readonly<ServerConfig>,
  turns: Int32Array,
  deps: { log: Logger; metrics: CorrelatorMetrics; onApplied(count: number): void; faults: DatabaseFaults },
): Promise<IngestThread> {
  const script = workerScript();
  const calls = new Map<number, Call>();
  let nextId = 1;
  /** The running thread; null while it is being replaced. */
  let worker: Worker | null = null;
  let closing = false;
  let restartTimer: NodeJS.Timeout | null = null;
  let restartDelay = RESTART_DELAY_MS;
  /** The housekeeping interval while the correlator runs, to restart it in a new thread. */
  let runningInterval: number | null = null;

  const failCalls = (reason: string) => {
    for (const call of calls.values()) call.reject(new IngestUnavailableError(reason));
    calls.clear();
  };

  const onMessage = (message: FromIngestThread) => {
    switch (message.kind) {
      case 'done': {
        const call = calls.get(message.id);
        calls.delete(message.id);
        // The driver's code (SQLITE_FULL, …) travels with the message: it decides the answer.
        if (message.error !== undefined) call?.reject(Object.assign(new Error(message.error), message.code === undefined ? {} : { code: message.code }));
        else call?.resolve(message.value ?? 0, message.appended);
        break;
      }
      case 'applied':
        deps.onApplied(message.count);
        break;
      case 'fault':
        deps.faults.failed(Object.assign(new Error(message.message), { code: message.code }));
        break;
      case 'metric':
        if (message.name === 'incidentsOpened') deps.metrics.incidentsOpened.inc(message.labels);
        else if (message.name === 'alertsSuppressed') deps.metrics.alertsSuppressed.inc(message.labels);
        else deps.metrics.correlatorErrors.inc();
        break;
      default:
        break;
    }
  };

  /** Starts a thread and resolves once it has opened the database; a thread that cannot is ended. */
  function spawn(): Promise<Worker> {
    const data: IngestWorkerData = { config: config as ServerConfig, turns };
    const w = new Worker(script, { workerData: data, name: 'sightline-ingest' });
    return new Promise((resolve, reject) => {
      let ready = false;
      const giveUp = (error: Error) => {
        if (ready) return;
        ready = true;
        void w.terminate();
        reject(error);
      };
      w.on('message', (message: FromIngestThread) => {
        if (message.kind === 'ready') {
          ready = true;
          resolve(w);
        } else if (message.kind === 'failed') {
          giveUp(new Error(`the ingest thread could not start: ${message.error}`));
        } else onMessage(message);
      });
      w.on('error', (error) => {
        deps.log.error({ err: error }, 'the ingest thread failed');
        giveUp(error);
      });
      w.on('exit', (code) => {
        giveUp(new Error(`the ingest thread exited with code ${code} while starting`));
        if (worker !== w) return;
        worker = null;
        failCalls('the ingest thread stopped before answering; retry');
        if (closing) return;
        deps.log.error({ code }, 'the ingest thread stopped unexpectedly; starting a new one');
        scheduleRestart();
      });
    });
  }

  function scheduleRestart(): void {
    restartTimer = setTimeout(() => {
      restartTimer = null;
      spawn()
        .then((w) => {
          if (closing) return void w.terminate();
          worker = w;
          restartDelay = RESTART_DELAY_MS;
          deps.log.info('the ingest thread is running again');
          if (runningInterval !== null) post({ kind: 'start', intervalMs: runningInterval });
        })
        .catch((error: unknown) => {
          deps.log.error({ err: error, retryInMs: restartDelay }, 'could not restart the ingest thread; will retry');
          restartDelay = Math.min(restartDelay * 2, RESTART_DELAY_MAX_MS);
          if (!closing) scheduleRestart();
        });
    }, restartDelay);
  }

  /** False while the thread is being replaced (the message is dropped). */
  function post(message: ToIngestThread): boolean {
    if (!worker) return false;
    worker.postMessage(message);
    return true;
  }

  function call(make: (id: number) => ToIngestThread): Promise<number> {
    return callFor(make, (value) => value);
  }

  function callFor<T>(make: (id: number) => ToIngestThread, answer: (value: number, appended?: Appended) => T): Promise<T> {
    if (!worker) return Promise.reject(new IngestUnavailableError(closing ? 'the server is shutting down' : 'the ingest thread is restarting; retry'));
    const id = nextId++;
    return new Promise((resolve, reject) => {
      calls.set(id, { resolve: (value, appended) => resolve(answer(value, appended)), reject });
      post(make(id));
    });
  }

  worker = await spawn();

  const writer: EventWriter = {
    append(events, receivedAt) {
      if (events.length === 0) return Promise.resolve({ stored: 0, correlated: 0 });
      return callFor(
        (id) => ({ kind: 'append', id, events, receivedAt }),
        (value, appended) => appended ?? { stored: value, correlated: 0 },
      );
    },
  };

  const correlator: Correlator = {
    async drain() {
      await call((id) => ({ kind: 'drain', id }));
    },
    kick(housekeeping = false) {
      post({ kind: 'kick', housekeeping });
    },
    start(intervalMs) {
      runningInterval = intervalMs;
      post({ kind: 'start', intervalMs });
    },
    async stop() {
      runningInterval = null;
      // A thread being replaced runs nothing that needs stopping.
      if (worker) await call((id) => ({ kind: 'stop', id }));
    },
  };

  return {
    writer,
    correlator,
    catalogueChanged() {
      post({ kind: 'catalogue' });
    },
    running: () => worker !== null,
    async crash() {
      const w = worker;
      if (!w) return;
      const exited = new Promise<void>((resolve) => w.once('exit', () => resolve()));
      await w.terminate();
      await exited;
    },
    async close() {
      if (closing) return;
      closing = true;
      runningInterval = null;
      if (restartTimer) clearTimeout(restartTimer);
      const w = worker;
      if (!w) return;
      const exited = new Promise<void>((resolve) => w.once('exit', () => resolve()));
      const timeout = setTimeout(() => {
        deps.log.warn('the ingest thread did not close in time; ending it');
        void w.terminate();
      }, CLOSE_TIMEOUT_MS);
      try {
        await call((id) => ({ kind: 'close', id }));
      } catch (error) {
        deps.log.warn({ err: error }, 'the ingest thread did not close cleanly');
        void w.terminate();
      }
      await exited;
      clearTimeout(timeout);
    },
  };
}
