/**
 * @module "What changed?": the changes before an incident, ranked by how likely each is to have
 * caused it, the likely culprit first. Pure: the incident's onset and services, the service
 * graph and the candidate changes in, a ranked list with its reasons out.
 *
 * A change's score is the product of three factors in (0, 1], once it passes the order test:
 * - time: how long before the fault reached the change's side of the graph it started (halving
 *   every `halfLifeMs`); a change after that is no candidate;
 * - distance: on an affected service, on a dependency of one (a fault travels from a
 *   dependency to its dependants), or on a dependant (rarely the cause), by hops;
 * - kind: deploys and configuration pushes break things more often than other work;
 * - order: a change is a candidate only when the fault began after it, at the onset or on its
 *   side of the graph (a change on a service already alerting is a response, not a cause).
 * Only the first of the list can be flagged `likelyCause`, when its score reaches the threshold.
 */
import type { Change, ChangeKind } from '../domain/change.js';
import type { ServiceGraph } from '../correlate/topology.js';

export interface ChangeRankOptions {
  /** Changes started at most this long before the onset are candidates. */
  lookbackMs: number;
  /** Topology hops from the incident's services that a candidate may be. */
  hops: number;
  /** The first of the list is the likely cause when its score reaches this. */
  likelyCauseScore: number;
  /** The time factor halves every this long between the change and the fault. */
  halfLifeMs: number;
}

/** Calibrated on `npm run bench:changes` (see docs/change-analysis.md). */
export const DEFAULT_CHANGE_RANK: ChangeRankOptions = { lookbackMs: 2 * 3_600_000, hops: 2, likelyCauseScore: 0.5, halfLifeMs: 10 * 60_000 };

export interface ChangeRankInput {
  /** The incident's first alert. */
  onset: number;
  /** The incident's services, each with when its fault reached it (its first alert there). */
  reached: ReadonlyMap<string, number>;
  /** The root-cause candidate, if known. */
  rootService: string | null;
  graph: ServiceGraph;
  /** Candidates: any changes, those outside the window or the graph's reach are left out. */
  changes: readonly Change[];
}

export interface RankedChange {
  id: number;
  service: string;
  summary: string;
  kind: ChangeKind;
  version: string | null;
  startedAt: number;
  score: number;
  reasons: string[];
  likelyCause?: true;
}

const KIND_WEIGHT: Record<ChangeKind, number> = { deploy: 1, config: 0.9, feature_flag: 0.8, infrastructure: 0.75, other: 0.5 };
/** An affected service that depends directly on the root-cause candidate (it may have overloaded it). */
const ON_ROOT = 0.4;
/** Any other affected service: most likely a symptom. */
const SYMPTOM = 0.2;
/** Per hop, on an unaffected service: a dependency's change travels up to its dependants; a dependant's rarely travels down. */
const UPSTREAM_PER_HOP = 0.3;
const DOWNSTREAM_PER_HOP = 0.2;
/** Linked only through a shared dependency or dependant: almost never the cause. */
const SIDEWAYS = 0.05;

const minutes = (ms: number) => {
  const m = Math.round(ms / 60_000);
  return m < 1 ? 'under a minute' : m === 1 ? '1 min' : `${m} min`;
};

interface Placement {
  factor: number;
  /** When the fault reached the nearest affected service on that side. */
  reachedAt: number;
  /** That service. */
  affected: string;
  reason: string;
}

/**
 * How the change's service relates to the incident's services: the strongest link wins. A
 * fault a change causes starts on the changed service, or on what it leans on (a new query
 * overloading a database): a change on a symptom of the root-cause candidate, on a dependency
 * nothing reports trouble on, or on a dependant, explains less of it.
 */
function placeChange(service: string, input: ChangeRankInput, hops: number): Placement | null {
  const own = input.reached.get(service);
  const root = input.rootService;
  if (own !== undefined && (root === null || root === service)) {
    return { factor: 1, reachedAt: own, affected: service, reason: `on ${service}, ${root === service ? 'the root-cause candidate' : 'an affected service'}` };
  }
  if (own !== undefined && root !== null) {
    const onRoot = input.graph.dependencyHops(service, root, 1) === 1;
    return onRoot
      ? { factor: ON_ROOT, reachedAt: own, affected: service, reason: `on ${service}, an affected service that depends directly on ${root}, the root-cause candidate` }
      : { factor: SYMPTOM, reachedAt: own, affected: service, reason: `on ${service}, an affected service but not the root-cause candidate (${root})` };
  }
  let best: Placement | null = null;
  for (const [affected, at] of [...input.reached].sort(([a], [b]) => a.localeCompare(b))) {
    const up = input.graph.dependencyHops(affected, service, hops);
    const down = input.graph.dependencyHops(service, affected, hops);
    let candidate: Placement | null = null;
    if (up !== null) candidate = { factor: UPSTREAM_PER_HOP ** up, reachedAt: at, affected, reason: `on ${service}, ${up === 1 ? 'a dependency' : `${up} hops down the dependencies`} of ${affected}` };
    else if (down !== null) candidate = { factor: DOWNSTREAM_PER_HOP ** down, reachedAt: at, affected, reason: `on ${service}, which depends on ${affected} (${down} hop${down === 1 ? '' : 's'})` };
    else if (input.graph.within(affected, hops).has(service)) candidate = { factor: SIDEWAYS, reachedAt: at, affected, reason: `on ${service}, near ${affected} in the catalogue but neither depends on the other` };
    if (candidate && (!best || candidate.factor > best.factor)) best = candidate;
  }
  return best;
}

/** Ranks the candidate changes of one incident, the likely cause first (ties: the later change, then the id). */
export function rankChanges(input: ChangeRankInput, options: ChangeRankOptions = DEFAULT_CHANGE_RANK): RankedChange[] {
  const ranked: RankedChange[] = [];
  for (const change of input.changes) {
    if (change.startedAt < input.onset - options.lookbackMs) continue;
    const placed = placeChange(change.service, input, options.hops);
    if (!placed) continue;
    // The fault must come after the change: at the incident's onset, or (for a change on a
    // service the fault reached later) at its first alert there.
    const lead = Math.min(...[input.onset, placed.reachedAt].filter((t) => t >= change.startedAt)) - change.startedAt;
    if (!Number.isFinite(lead)) continue;
    const reasons: string[] = [];
    const time = 0.5 ** (lead / options.halfLifeMs);
    reasons.push(lead === input.onset - change.startedAt ? `started ${minutes(lead)} before the incident's first alert` : `started ${minutes(lead)} before the fault reached ${placed.affected}`);
    reasons.push(placed.reason);
    const kind = KIND_WEIGHT[change.kind];
    reasons.push(`a ${change.kind.replace('_', ' ')} change`);
    const own = input.reached.get(change.service);
    if (own !== undefined) reasons.push(`${change.service}'s alerts began ${minutes(own - change.startedAt)} after it`);
    const score = Math.round(time * placed.factor * kind * 1000) / 1000;
    ranked.push({ id: change.id, service: change.service, summary: change.summary, kind: change.kind, version: change.version, startedAt: change.startedAt, score, reasons });
  }
  ranked.sort((a, b) => b.score - a.score || b.startedAt - a.startedAt || a.id - b.id);
  const first = ranked[0];
  if (first && first.score >= options.likelyCauseScore) first.likelyCause = true;
  return ranked;
}

/** "deploy v2.3.1 of payments 4 min before": the likely cause in one line, or null when none is flagged. */
export function describeLikelyCause(ranked: readonly RankedChange[], onset: number): string | null {
  const cause = ranked.find((c) => c.likelyCause);
  if (!cause) return null;
  const what = cause.kind === 'deploy' ? `deploy${cause.version ? ` ${cause.version}` : ''}` : `${cause.kind.replace('_', ' ')} change${cause.version ? ` ${cause.version}` : ''}`;
  return `${what} of ${cause.service} ${minutes(Math.max(0, onset - cause.startedAt))} before`;
}
