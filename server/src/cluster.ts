/**
 * @module Several worker processes on one machine (`workers` > 1), so ingest uses every
 * core. The primary prepares the database, forks the workers and restarts any that die;
 * the first worker is the leader that runs the correlator and periodic jobs, the others
 * ingest and serve the API. Followers tell the leader about new events through the
 * primary. `/metrics` on any worker answers with the sum over all workers.
 */
import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry } from 'prom-client';
import type { Logger } from 'pino';
import type { ServerConfig } from './config.js';
import { startServer, type ProcessRole } from './main.js';

type Message = { type: 'sightline:kick' } | { type: 'sightline:metrics'; id: number; text?: string; error?: string };

const ROLE_ENV = 'SIGHTLINE_PROCESS_ROLE';

export interface ClusterHandle {
  port: number;
  stop(): Promise<void>;
}

/** Primary: fork `count` workers and resolve once all of them listen. */
export async function startCluster(count: number, log: Logger): Promise<ClusterHandle> {
  const aggregator = new AggregatorRegistry();
  const workers = new Map<Worker, ProcessRole>();
  let leader: Worker | null = null;
  let stopping = false;

  const onMessage = (worker: Worker, message: Message) => {
    if (message?.type === 'sightline:kick') leader?.send(message);
    if (message?.type === 'sightline:metrics') {
      aggregator.clusterMetrics().then(
        (text) => worker.send({ type: 'sightline:metrics', id: message.id, text }),
        (error: Error) => worker.send({ type: 'sightline:metrics', id: message.id, error: error.message }),
      );
    }
  };

  const fork = (role: ProcessRole): Promise<number> =>
    new Promise((resolve, reject) => {
      const worker = cluster.fork({ [ROLE_ENV]: role });
      workers.set(worker, role);
      if (role === 'leader') leader = worker;
      let listening = false;
      worker.on('message', (m: Message) => onMessage(worker, m));
      worker.once('listening', (address) => {
        listening = true;
        resolve(address.port);
      });
      worker.once('exit', (code, signal) => {
        workers.delete(worker);
        if (!listening) return reject(new Error(`worker (${role}) exited during start-up (code ${code}, signal ${signal})`));
        if (stopping) return;
        log.error({ code, signal, role }, 'worker process died; starting another');
        fork(role).catch((error: unknown) => log.error({ err: error }, 'could not restart worker'));
      });
    });

  const ports = await Promise.all(Array.from({ length: count }, (_, i) => fork(i === 0 ? 'leader' : 'follower')));
  return {
    port: ports[0] ?? 0,
    async stop() {
      stopping = true;
      await Promise.all(
        [...workers.keys()].map(
          (worker) =>
            new Promise<void>((resolve) => {
              worker.once('exit', () => resolve());
              worker.process.kill('SIGTERM');
            }),
        ),
      );
    },
  };
}

/** Worker: run the server in the role the primary gave this process. */
export async function runClusterWorker(config: Readonly<ServerConfig>, log: Logger): Promise<void> {
  const role: ProcessRole = process.env[ROLE_ENV] === 'leader' ? 'leader' : 'follower';
  let kickPending: NodeJS.Timeout | null = null;
  const kickLeader = () => {
    kickPending ??= setTimeout(() => {
      kickPending = null;
      process.send?.({ type: 'sightline:kick' });
    }, 10);
  };
  const waiting = new Map<number, { resolve(text: string): void; reject(error: Error): void }>();
  let nextId = 1;
  const clusterMetrics = () =>
    new Promise<string>((resolve, reject) => {
      const id = nextId++;
      waiting.set(id, { resolve, reject });
      process.send?.({ type: 'sightline:metrics', id });
    });

  const running = await startServer(config, { log, role, kickLeader, metricsText: clusterMetrics });
  // Constructing an AggregatorRegistry installs prom-client's listener that answers the
  // primary's requests for this worker's metrics.
  new AggregatorRegistry();
  AggregatorRegistry.setRegistries(running.runtime.metrics.registry);
  process.on('message', (message: Message) => {
    if (message?.type === 'sightline:kick') running.runtime.correlator.kick();
    if (message?.type === 'sightline:metrics') {
      const entry = waiting.get(message.id);
      waiting.delete(message.id);
      if (message.text !== undefined) entry?.resolve(message.text);
      else entry?.reject(new Error(message.error ?? 'metrics aggregation failed'));
    }
  });
  process.once('SIGTERM', () => void running.stop().then(() => process.exit(0)));
  process.once('SIGINT', () => {}); // the primary decides when to stop
  // The primary is gone (killed or crashed): stop at once, as a single process would.
  process.once('disconnect', () => process.exit(1));
}
