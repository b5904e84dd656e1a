/**
 * @module The ingest thread itself (see ingest-thread.ts): its own SQLite connection, the
 * event writer and the correlator, driven by messages from the main thread, and a
 * checkpointer thread of its own (db/checkpointer.ts). It is the only
 * writer of alert and incident state from correlation; requests from the API still write on
 * the main thread's connection, and SQLite's write lock (BEGIN IMMEDIATE, busy timeout)
 * puts the two in order.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { ServiceGraph } from '../correlate/topology.js';
import { startCheckpointer, type Checkpointer } from '../db/checkpointer.js';
import { openDatabase, type DatabaseHandle } from '../db/connection.js';
import { databaseFaultOf } from '../db/faults.js';
import { listServices } from '../db/services-repo.js';
import { systemClock } from './clock.js';
import { correlatorSettings, createCorrelator, KeptEvents, type Correlator, type CorrelatorMetrics } from './correlator.js';
import { createEventWriter, type Appended, type EventWriter } from './ingest-alerts.js';
import type { FromIngestThread, IngestWorkerData, ToIngestThread } from './ingest-thread.js';
import type { DatabaseFaults } from './database-availability.js';
import { createLogger } from './logger.js';

const port = parentPort;
if (!port) throw new Error('ingest-worker.js runs only as the ingest thread of the server');
const { config, turns } = workerData as IngestWorkerData;
const log = createLogger(config).child({ thread: 'ingest' });
const send = (message: FromIngestThread) => port.postMessage(message);
/** Database faults go to the main thread, which logs an outage once (services/database-availability.ts). */
const faults: DatabaseFaults = {
  failed(error) {
    const fault = databaseFaultOf(error);
    if (fault) send({ kind: 'fault', ...fault });
    return fault;
  },
};
/** The driver's code of an error (SQLITE_FULL, …), if it has one. */
function codeOf(error: unknown): string | undefined {
  const code = databaseFaultOf(error)?.code ?? (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * Events per correlation transaction. Appends wait while a batch runs on this thread, so
 * batches are smaller than in-process (1,000): a quarter of the wait, at about the same
 * cost per event (measured with the ingest benchmark).
 */
const CORRELATION_BATCH = 250;

interface Parts {
  handle: DatabaseHandle;
  checkpointer: Checkpointer;
  writer: EventWriter;
  correlator: Correlator;
  reloadCatalogue(): Promise<void>;
}

async function open(): Promise<Parts> {
  const handle = openDatabase({ dataDir: config.dataDir, databaseUrl: null, sqliteSynchronous: config.sqliteSynchronous, writeTurns: { role: 'thread', waiting: turns } });
  let graph = new ServiceGraph(await listServices(handle.db));
  const metrics: CorrelatorMetrics = {
    incidentsOpened: { inc: (labels) => send({ kind: 'metric', name: 'incidentsOpened', labels }) },
    alertsSuppressed: { inc: (labels) => send({ kind: 'metric', name: 'alertsSuppressed', labels }) },
    correlatorErrors: { inc: () => send({ kind: 'metric', name: 'correlatorErrors' }) },
  };
  const kept = new KeptEvents();
  const correlator = createCorrelator(
    handle,
    systemClock,
    { ...correlatorSettings(config), catalogue: () => graph, kept, batchSize: CORRELATION_BATCH, onApplied: (count) => send({ kind: 'applied', count }), faults },
    metrics,
    log,
  );
  const writer = createEventWriter(handle, { kept, correlate: correlator.inline, windowMs: 0, stored: () => correlator.kick() });
  const checkpointer = startCheckpointer(handle.location, config.sqliteSynchronous, (error) => log.warn({ error }, 'background checkpoint failed; the writer still checkpoints'));
  return {
    handle,
    checkpointer,
    writer,
    correlator,
    async reloadCatalogue() {
      graph = new ServiceGraph(await listServices(handle.db));
    },
  };
}

const opening = open();
opening.then(
  () => send({ kind: 'ready' }),
  (error: unknown) => send({ kind: 'failed', error: error instanceof Error ? error.message : String(error) }),
);

async function handle(parts: Parts, message: ToIngestThread): Promise<number | Appended | void> {
  switch (message.kind) {
    case 'append':
      return parts.writer.append(message.events, message.receivedAt);
    case 'kick':
      return parts.correlator.kick(message.housekeeping);
    case 'drain':
      return parts.correlator.drain();
    case 'start':
      return parts.correlator.start(message.intervalMs);
    case 'stop':
      return parts.correlator.stop();
    case 'catalogue':
      return parts.reloadCatalogue();
    case 'close':
      await parts.correlator.stop();
      await parts.checkpointer.close();
      await parts.handle.close();
      return;
  }
}

port.on('message', (message: ToIngestThread) => {
  const id = 'id' in message ? message.id : null;
  opening
    .then((parts) => handle(parts, message))
    .then(
      (value) => {
        if (id !== null) send(typeof value === 'object' ? { kind: 'done', id, appended: value } : { kind: 'done', id, value: typeof value === 'number' ? value : undefined });
        if (message.kind === 'close') port.close();
      },
      (error: unknown) => {
        const text = error instanceof Error ? error.message : String(error);
        if (id !== null) send({ kind: 'done', id, error: text, code: codeOf(error) });
        else if (!faults.failed(error)) log.error({ err: error }, `ingest thread: ${message.kind} failed`);
      },
    );
});
