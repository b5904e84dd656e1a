/**
 * @module The service catalogue at run time: services from the YAML file and the API,
 * stored in the database, and the graph the correlator reads. The file is applied at start
 * and on reload; the API writes through. Services defined by the API win over the file
 * until the file changes them again.
 */
import { ServiceGraph } from '../correlate/topology.js';
import type { ServiceDefinition } from '../domain/service.js';
import type { DatabaseHandle } from '../db/connection.js';
import { listServices, upsertService, type StoredService } from '../db/services-repo.js';
import type { Clock } from './clock.js';

export interface Catalogue {
  graph(): ServiceGraph;
  list(): Promise<StoredService[]>;
  put(service: ServiceDefinition): Promise<StoredService>;
  /** Applies the file's services (origin `config`) and rebuilds the graph. */
  applyConfig(services: readonly ServiceDefinition[]): Promise<void>;
  /** Calls `listener` after every change (for a correlator on another thread). */
  onChange(listener: () => void): void;
}

export async function createCatalogue(handle: DatabaseHandle, clock: Clock, fromConfig: readonly ServiceDefinition[]): Promise<Catalogue> {
  let graph = new ServiceGraph([]);
  const listeners: (() => void)[] = [];
  const rebuild = async () => {
    graph = new ServiceGraph(await listServices(handle.db));
    for (const listener of listeners) listener();
  };
  const catalogue: Catalogue = {
    graph: () => graph,
    list: () => listServices(handle.db),
    async put(service) {
      await upsertService(handle.db, service, 'api', clock.now());
      await rebuild();
      return { ...service, origin: 'api', updatedAt: clock.now() };
    },
    async applyConfig(services) {
      const now = clock.now();
      for (const service of services) await upsertService(handle.db, service, 'config', now);
      await rebuild();
    },
    onChange(listener) {
      listeners.push(listener);
    },
  };
  await catalogue.applyConfig(fromConfig);
  return catalogue;
}
