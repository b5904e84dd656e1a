/**
 * @module The ingest thread, seen from the main thread (SQLite only). The main thread
 * answers HTTP: it parses, validates and fingerprints alerts. A worker thread with its own
 * connection to the database file is the one writer of the alert event log and the
 * correlator's state: it commits each batch (group commit, as in-process), answers, and
 * correlates. So ingest uses two cores, and a long correlation batch never holds up the
 * parsing of requests. Durability is unchanged: `append` resolves only after the commit.
 *
 * The handles below have the same contracts as the in-process writer and correlator, so the
 * rest of the server does not know which one it has. If the thread dies (a bug, not load),
 * the calls in flight fail (the senders get a 5xx and retry; nothing they were told is stored
 * was lost) and a new thread is started.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { ServerConfig } from '../config.js';
import type { AlertEvent } from '../domain/alert.js';
import type { Correlator, CorrelatorMetrics } from './correlator.js';
import type { EventWriter } from './ingest-alerts.js';

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
  | { kind: 'done'; id: number; value?: number; error?: string }
  | { kind: 'applied'; count: number }
  | { kind: 'metric'; name: 'incidentsOpened'; labels: { priority: string } }
  | { kind: 'metric'; name: 'alertsSuppressed'; labels: { kind: string } }
  | { kind: 'metric'; name: 'correlatorErrors' };

export interface IngestWorkerData {
  config: ServerConfig;
}

export interface IngestThread {
  writer: EventWriter;
  correlator: Correlator;
  /** The service catalogue changed in the database: the thread reloads its graph. */
  catalogueChanged(): void;
  /** Stops correlating, closes the thread's connection and ends it. */
  close(): Promise<void>;
}

interface Call {
  resolve(value: number): void;
  reject(error: Error): void;
}

const RESTART_DELAY_MS = 1_000;

/** The compiled worker next to this file; from the TypeScript sources (tests), the build's. */
function workerScript(): string {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('.js')) return fileURLToPath(new URL('./ingest-worker.js', import.meta.url));
  const built = fileURLToPath(new URL('../../../dist/server/src/services/ingest-worker.js', import.meta.url));
  if (!existsSync(built)) throw new Error(`the ingest thread needs the compiled server: run \`npm run build\` (missing ${built})`);
  return built;
}

export async function startIngestThread(
  config: Readonly<ServerConfig>,
  deps: { log: Logger; metrics: CorrelatorMetrics; onApplied(count: number): void },
): Promise<IngestThread> {
  const script = workerScript();
  const calls = new Map<number, Call>();
  let nextId = 1;
  let worker: Worker;
  let closing = false;
  /** The housekeeping interval while the correlator runs, to restart it in a new thread. */
  let runningInterval: number | null = null;

  const failCalls = (reason: string) => {
    for (const call of calls.values()) call.reject(new Error(reason));
    calls.clear();
  };

  const onMessage = (message: FromIngestThread) => {
    switch (message.kind) {
      case 'done': {
        const call = calls.get(message.id);
        calls.delete(message.id);
        if (message.error !== undefined) call?.reject(new Error(message.error));
        else call?.resolve(message.value ?? 0);
        break;
      }
      case 'applied':
        deps.onApplied(message.count);
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

  /** Starts a thread and waits until it has opened the database. */
  function spawn(): Promise<void> {
    const data: IngestWorkerData = { config: config as ServerConfig };
    const w = new Worker(script, { workerData: data, name: 'sightline-ingest' });
    worker = w;
    return new Promise((resolve, reject) => {
      let ready = false;
      w.on('message', (message: FromIngestThread) => {
        if (message.kind === 'ready') {
          ready = true;
          resolve();
        } else if (message.kind === 'failed') {
          reject(new Error(`the ingest thread could not start: ${message.error}`));
        } else onMessage(message);
      });
      w.on('error', (error) => {
        deps.log.error({ err: error }, 'the ingest thread failed');
        if (!ready) reject(error);
      });
      w.on('exit', (code) => {
        if (worker !== w) return;
        failCalls('the ingest thread stopped before answering');
        if (closing || !ready) return;
        deps.log.error({ code }, `the ingest thread stopped unexpectedly; starting a new one in ${RESTART_DELAY_MS} ms`);
        setTimeout(() => {
          spawn()
            .then(() => {
              if (runningInterval !== null) post({ kind: 'start', intervalMs: runningInterval });
            })
            .catch((error: unknown) => deps.log.error({ err: error }, 'could not restart the ingest thread'));
        }, RESTART_DELAY_MS).unref();
      });
    });
  }

  function post(message: ToIngestThread): void {
    worker.postMessage(message);
  }

  function call(make: (id: number) => ToIngestThread): Promise<number> {
    const id = nextId++;
    return new Promise((resolve, reject) => {
      calls.set(id, { resolve, reject });
      post(make(id));
    });
  }

  await spawn();

  const writer: EventWriter = {
    append(events, receivedAt) {
      if (events.length === 0) return Promise.resolve(0);
      return call((id) => ({ kind: 'append', id, events, receivedAt }));
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
      await call((id) => ({ kind: 'stop', id }));
    },
  };

  return {
    writer,
    correlator,
    catalogueChanged() {
      post({ kind: 'catalogue' });
    },
    async close() {
      if (closing) return;
      closing = true;
      runningInterval = null;
      const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
      try {
        await call((id) => ({ kind: 'close', id }));
      } catch (error) {
        deps.log.warn({ err: error }, 'the ingest thread did not close cleanly');
        await worker.terminate();
      }
      await exited;
    },
  };
}
