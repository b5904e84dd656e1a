/** @module Configuration items other than services: the hosts seen through alerts and agents. */
import type { DatabaseHandle } from '../db/connection.js';
import { listConfigurationItems } from '../db/services-repo.js';

export interface CatalogueDeps {
  handle: DatabaseHandle;
}

export function listHosts(deps: CatalogueDeps) {
  return listConfigurationItems(deps.handle.db, 'host');
}
