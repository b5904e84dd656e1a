/**
 * @module "What changed?" on an incident: the changes in the look-back before it, on its
 * services and on those within the topology hops, ranked by the pure `rankChanges`.
 */
import { DEFAULT_CHANGE_RANK, rankChanges, type ChangeRankOptions, type RankedChange } from '../changes/rank.js';
import type { ServerConfig } from '../config.js';
import { computeDora, type ServiceDora } from '../changes/dora.js';
import { incidentSpansBetween } from '../db/dora-repo.js';
import type { ServiceGraph } from '../correlate/topology.js';
import type { IncidentRecord } from '../domain/incident.js';
import { changesStartedBetween } from '../db/changes-repo.js';
import type { DatabaseHandle } from '../db/connection.js';
import { servicesOfIncident, servicesReached } from '../db/incidents-repo.js';
import type { Database } from '../db/schema.js';
import type { Kysely, Transaction } from 'kysely';

export interface ChangeAnalysisDeps {
  handle: DatabaseHandle;
  graph(): ServiceGraph;
  options: ChangeRankOptions;
}

type Db = Kysely<Database> | Transaction<Database>;
type IncidentFacts = Pick<IncidentRecord, 'id' | 'openedAt' | 'service' | 'rootCauseService'>;

/** The ranking's settings from the configuration: its look-back, the correlation's topology hops. */
export function changeRankOptionsOf(config: Readonly<ServerConfig>): ChangeRankOptions {
  return { ...DEFAULT_CHANGE_RANK, lookbackMs: config.changeAnalysis.lookback, hops: config.correlation.topologyHops };
}

/** When the incident's fault reached each of its services (its opening service at the opening). */
async function reachedOf(db: Db, incident: IncidentFacts): Promise<Map<string, number>> {
  const [services, reached] = await Promise.all([servicesOfIncident(db, incident.id), servicesReached(db, incident.id)]);
  const out = new Map<string, number>();
  for (const s of services) out.set(s, reached.get(s) ?? incident.openedAt);
  if (incident.service !== null) out.set(incident.service, Math.min(out.get(incident.service) ?? Infinity, incident.openedAt));
  return out;
}

/** The incident's candidate changes, ranked, the likely cause first (flagged when it passes the threshold). */
export async function changesOfIncident(deps: ChangeAnalysisDeps, incident: IncidentFacts, db: Db = deps.handle.db): Promise<RankedChange[]> {
  const reached = await reachedOf(db, incident);
  if (reached.size === 0) return [];
  const graph = deps.graph();
  const near = new Set<string>();
  for (const s of reached.keys()) {
    near.add(s);
    for (const n of graph.within(s, deps.options.hops).keys()) near.add(n);
  }
  const until = Math.max(...reached.values());
  const changes = await changesStartedBetween(db, [...near].sort(), incident.openedAt - deps.options.lookbackMs, until, 500);
  return rankChanges({ onset: incident.openedAt, reached, rootService: incident.rootCauseService ?? incident.service, graph, changes }, deps.options);
}

/** The period DORA figures cover: changes of the last 30 days. */
export const DORA_PERIOD_MS = 30 * 86_400_000;

/**
 * DORA figures per service over the changes of the last `DORA_PERIOD_MS` before `now`: a change
 * failed when an incident on its service opened within the look-back after it.
 */
export async function doraByService(deps: { handle: DatabaseHandle; lookbackMs: number }, now: number, service?: string): Promise<ServiceDora[]> {
  const db = deps.handle.db;
  const from = now - DORA_PERIOD_MS;
  const [changes, incidents] = await Promise.all([changesStartedBetween(db, service === undefined ? null : [service], from, now, 100_000), incidentSpansBetween(db, from, now + 1, service)]);
  return computeDora(changes, incidents, deps.lookbackMs);
}
