/**
 * @module Problem candidates: the clustering pipeline from incidents to named, described and
 * stably identified clusters of recurring faults.
 *
 *   mask → signature → group identical signatures → TF-IDF per group → k-means (silhouette k,
 *   merged centroids) → drop outlying groups → keep clusters with enough incidents → describe
 *   → stable ids → ranked by impact.
 *
 * Pure and deterministic: incidents are sorted by id first, randomness comes from `seed`.
 */
import type { Priority } from '../domain/incident.js';
import type { CandidateFeature, CandidateImpact, PreviousCandidate, ProblemBadge, ProblemCandidate, ProblemIncident, ProblemModel, SparseVector } from '../domain/problem.js';
import { type ClusteringOptions, clusterVectors } from './clustering.js';
import { type IncidentFeatures, featuresOf, knownNamesOf } from './features.js';
import { type KnownNames, createMasker } from './mask.js';
import { DEFAULT_MIN_OVERLAP, assignStableIds } from './stable-ids.js';
import { ALERT_TERM_PREFIX, type FitOptions, dot, fitProblemModel, indexVocabulary, meanDirection, normalize, vectorize } from './tfidf.js';
import { appendTo } from '../domain/collections.js';

const DAY_MS = 86_400_000;
const WEEK_MS = 7 * DAY_MS;

export interface BadgeOptions {
  /** The recent window the badge is judged on. */
  windowDays: number;
  /** Incidents within the window from which a candidate is frequent (4 in 30 days ≈ weekly). */
  frequentMinRecent: number;
}

export interface CandidateOptions {
  /** Clusters with fewer incidents are not candidates. */
  minIncidents: number;
  /** A signature group whose cosine to its cluster's centroid is lower is left out as an outlier. */
  minMemberSimilarity: number;
  /**
   * Recurring signature groups k-means clusters at most, the largest first; the others (and all
   * one-off signatures) then join the nearest cluster (at `minJoinSimilarity` or better) or
   * stand alone. Bounds the cost of long tails.
   */
  maxClusteredGroups: number;
  /**
   * A signature group left out of k-means joins its nearest cluster only from this cosine to the
   * cluster's centroid on (stricter than `minMemberSimilarity`: a one-off text that shares a
   * service and a word or two with a recurring fault is not that fault).
   */
  minJoinSimilarity: number;
  /**
   * Within a k-means cluster, signature groups stay together only when linked (directly or
   * through others) by this cosine of their member-alert signatures alone.
   */
  minSignatureSimilarity: number;
  /** Jaccard of member ids from which a cluster inherits a previous candidate's id. */
  minOverlap: number;
  /** Masked besides the hosts and services found on the incidents. */
  knownNames: KnownNames;
  fit: Partial<FitOptions>;
  clustering: Partial<ClusteringOptions>;
  badge: BadgeOptions;
}

export const DEFAULT_CANDIDATE_OPTIONS: CandidateOptions = {
  minIncidents: 3,
  minMemberSimilarity: 0.35,
  maxClusteredGroups: 3000,
  minJoinSimilarity: 0.5,
  minSignatureSimilarity: 0.5,
  minOverlap: DEFAULT_MIN_OVERLAP,
  knownNames: {},
  fit: {},
  clustering: {},
  badge: { windowDays: 30, frequentMinRecent: 4 },
};

export interface ClusterInput {
  now: number;
  seed: number;
  /** A frozen model from an earlier refit; a new one is fitted when absent. */
  model?: ProblemModel;
  /** Candidates of the previous refit, for stable ids. */
  previous?: readonly PreviousCandidate[];
  options?: Partial<CandidateOptions>;
}

export interface ClusterStats {
  incidents: number;
  signatures: number;
  /** k chosen by silhouette, and the clusters left after merging close centroids. */
  k: number;
  clusters: number;
  silhouettes: { k: number; silhouette: number }[];
  /** Share of text terms missing from a frozen vocabulary: refit the model when it grows. */
  unknownTermRate: number;
  /**
   * Signature groups with at least `minIncidents` incidents whose terms are mostly unknown to a
   * frozen vocabulary: a new recurring fault the model cannot see, so a refit is due.
   */
  unseenRecurringGroups: number;
}

export interface ClusterOutput {
  candidates: ProblemCandidate[];
  model: ProblemModel;
  stats: ClusterStats;
}

export interface Group {
  key: string;
  members: number[];
  vector: SparseVector;
}

/**
 * frequent / rare / new against the last `windowDays` before `now`:
 * - new: first seen within the window (nothing older recurs);
 * - frequent: at least `frequentMinRecent` incidents within the window;
 * - rare: otherwise, including candidates quiet for the whole window.
 * New wins over frequent: a fault that started this month is news even when it storms.
 */
export function badgeOf(openedAts: readonly number[], now: number, options: BadgeOptions): ProblemBadge {
  const from = now - options.windowDays * DAY_MS;
  if (Math.min(...openedAts) >= from) return 'new';
  const recent = openedAts.filter((t) => t >= from && t <= now).length;
  return recent >= options.frequentMinRecent ? 'frequent' : 'rare';
}

/**
 * What one member incident of each priority adds to a candidate's impact score: about three
 * times less per step down, as urgency drops.
 */
export const PRIORITY_POINTS: Readonly<Record<Priority, number>> = { P1: 10, P2: 3, P3: 1, P4: 0.3, P5: 0.1 };
/** An hour of one service's SLA downtime weighs as much as six P1 pages. */
export const POINTS_PER_DOWNTIME_HOUR = 60;
const TREND_WINDOW_MS = 30 * DAY_MS;
/** The trend needs this much history before the last 30 days; with less it is neutral (1). */
const TREND_MIN_EARLIER_MS = 14 * DAY_MS;

/**
 * The impact of a candidate's members (see `CandidateImpact`): priority, SLA downtime caused
 * (summed over the services it hit) and whether the fault recurs more or less often lately
 * than before (rates, over the history there is: `historyStart` is the oldest incident seen).
 * Pure.
 */
export function impactOf(members: readonly Pick<ProblemIncident, 'priority' | 'downtimeMs' | 'openedAt'>[], serviceCount: number, now: number, historyStart: number): CandidateImpact {
  const incidentsByPriority: Partial<Record<Priority, number>> = {};
  let points = 0;
  let downtimeMs = 0;
  let recent = 0;
  let earlier = 0;
  for (const m of members) {
    const priority = m.priority ?? 'P3';
    incidentsByPriority[priority] = (incidentsByPriority[priority] ?? 0) + 1;
    points += PRIORITY_POINTS[priority];
    downtimeMs += m.downtimeMs ?? 0;
    if (m.openedAt > now - TREND_WINDOW_MS && m.openedAt <= now) recent++;
    else if (m.openedAt > now - 2 * TREND_WINDOW_MS && m.openedAt <= now - TREND_WINDOW_MS) earlier++;
  }
  const earlierSpan = now - TREND_WINDOW_MS - Math.max(historyStart, now - 2 * TREND_WINDOW_MS);
  // Incidents per 30 days now against before, one incident of smoothing on each side.
  const trend = earlierSpan < TREND_MIN_EARLIER_MS ? 1 : Math.min(2, Math.max(0.5, (recent + 1) / ((earlier * TREND_WINDOW_MS) / earlierSpan + 1)));
  const score = (points + (downtimeMs / 3_600_000) * POINTS_PER_DOWNTIME_HOUR) * trend;
  return { score: round(score, 1), downtimeMs, incidentsByPriority, services: serviceCount, recent, earlier, trend: round(trend, 2) };
}

/** Highest impact first, then most incidents, then id. */
export function byImpact(a: Pick<ProblemCandidate, 'impact' | 'count' | 'id'>, b: Pick<ProblemCandidate, 'impact' | 'count' | 'id'>): number {
  return b.impact.score - a.impact.score || b.count - a.count || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/**
 * A candidate's name: the masked title of its most representative member (nearest the
 * centroid), led by the alert rule when the title does not name it, and its main service.
 */
export function candidateName(alertname: string, maskedTitle: string, services: readonly string[], mainService: string | null): string {
  const title = maskedTitle.trim() || alertname || 'untitled';
  const led = alertname && !title.includes(alertname) ? `${alertname}: ${title}` : title;
  const service = mainService ?? (services.length === 0 ? 'no service' : (services[0] as string));
  const others = services.length > 1 ? ` +${services.length - 1}` : '';
  return `${led} · ${service}${others}`;
}

function mostCommon(values: readonly string[]): string | null {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  let best: string | null = null;
  let bestCount = 0;
  for (const [v, c] of counts) if (c > bestCount || (c === bestCount && best !== null && v < best)) [best, bestCount] = [v, c];
  return best;
}

/** Nearest-rank percentile of `values` (p in [0, 1]). */
function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] as number;
}

const round = (x: number, digits = 6) => Math.round(x * 10 ** digits) / 10 ** digits;

function topTermsOf(centroid: SparseVector, model: ProblemModel, count: number, exclude: ReadonlySet<string>): string[] {
  const terms: [string, number][] = [];
  centroid.indices.forEach((i, k) => {
    const term = model.vocabulary[i] as string;
    if (!term.includes('=') && !term.startsWith('<') && !exclude.has(term)) terms.push([term, centroid.values[k] as number]);
  });
  return terms
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, count)
    .map(([t]) => t);
}

/** The `count` heaviest terms of a centroid, any block, heaviest first. */
export function featuresOfCentroid(centroid: SparseVector, model: ProblemModel, count: number): CandidateFeature[] {
  return centroid.indices
    .map((i, k) => ({ term: model.vocabulary[i] as string, weight: round(centroid.values[k] as number, 4) }))
    .sort((a, b) => b.weight - a.weight || (a.term < b.term ? -1 : 1))
    .slice(0, count);
}

function describe(
  members: readonly number[],
  groups: readonly Group[],
  incidents: readonly ProblemIncident[],
  features: readonly IncidentFeatures[],
  vectors: readonly SparseVector[],
  model: ProblemModel,
  now: number,
  badge: BadgeOptions,
  historyStart: number,
): Omit<ProblemCandidate, 'id'> {
  const sorted = [...members].sort((a, b) => ((incidents[a] as ProblemIncident).id < (incidents[b] as ProblemIncident).id ? -1 : 1));
  const list = sorted.map((i) => incidents[i] as ProblemIncident);
  const centroid = meanDirection(sorted.map((i) => vectors[i] as SparseVector));
  const similarities = sorted.map((i) => dot(vectors[i] as SparseVector, centroid));
  const opened = list.map((i) => i.openedAt);
  const firstSeen = Math.min(...opened);
  const lastSeen = Math.max(...opened);
  const resolved = list.filter((i) => i.resolvedAt !== null);
  const alertname = mostCommon(list.map((i) => i.alertname)) ?? '';
  const services = [...new Set(list.flatMap((i) => (i.service ? [i.service] : [])))].sort();
  const hosts = [...new Set(list.flatMap((i) => (i.host ? [i.host] : [])))].sort();
  const lead = groups[0] as Group;
  const topTerms = topTermsOf(centroid, model, 5, new Set());
  // The most representative member: nearest the centroid, the oldest on a tie.
  let representative = 0;
  similarities.forEach((s, k) => {
    if (s > (similarities[representative] as number) + 1e-12) representative = k;
  });
  const mainService = mostCommon(list.flatMap((i) => (i.service ? [i.service] : [])));
  const representativeTitle = (features[sorted[representative] as number] as IncidentFeatures).signature.maskedTitle;
  return {
    name: candidateName(alertname, representativeTitle, services, mainService),
    alertname,
    exampleTitle: (features[lead.members[0] as number] as IncidentFeatures).signature.maskedTitle,
    signatures: groups.map((g) => g.key),
    memberIds: list.map((i) => i.id),
    count: list.length,
    firstSeen,
    lastSeen,
    // Over the span actually observed, at least one week: three incidents in a day are 3/week.
    recurrencePerWeek: round(list.length / Math.max(1, (lastSeen - firstSeen) / WEEK_MS), 3),
    services,
    hosts,
    totalDowntimeMs: list.reduce((s, i) => s + (i.downtimeMs ?? 0), 0),
    impact: impactOf(list, services.length, now, historyStart),
    mttrMs: resolved.length ? Math.round(resolved.reduce((s, i) => s + ((i.resolvedAt as number) - i.openedAt), 0) / resolved.length) : null,
    cohesion: round(similarities.reduce((s, x) => s + x, 0) / similarities.length),
    radius: round(percentile(similarities.map((s) => Math.max(0, 1 - s)), 0.95)),
    badge: badgeOf(opened, now, badge),
    topTerms,
    features: featuresOfCentroid(centroid, model, 12),
    centroid: { indices: centroid.indices, values: centroid.values.map((v) => round(v, 9)) },
    modelVersion: model.version,
  };
}

function sumWeighted(groups: readonly Group[]): Map<number, number> {
  const sum = new Map<number, number>();
  for (const g of groups) g.vector.indices.forEach((i, k) => sum.set(i, (sum.get(i) ?? 0) + (g.vector.values[k] as number) * g.members.length));
  return sum;
}

/** Incident-weighted unit direction of a cluster's groups. */
function weightedDirection(groups: readonly Group[]): SparseVector {
  const entries = [...sumWeighted(groups).entries()].filter(([, x]) => Math.abs(x) > 1e-12).sort((a, b) => a[0] - b[0]);
  return normalize({ indices: entries.map((e) => e[0]), values: entries.map((e) => e[1]) });
}

/** Unit direction of `total` without `group`'s weighted contribution. */
function subtractWeighted(total: ReadonlyMap<number, number>, group: Group): SparseVector {
  const rest = new Map(total);
  group.vector.indices.forEach((i, k) => rest.set(i, (rest.get(i) ?? 0) - (group.vector.values[k] as number) * group.members.length));
  const entries = [...rest.entries()].filter(([, x]) => Math.abs(x) > 1e-12).sort((a, b) => a[0] - b[0]);
  return normalize({ indices: entries.map((e) => e[0]), values: entries.map((e) => e[1]) });
}

/** Which vocabulary entries are member-alert signatures (the `alert=` block). */
export function alertTermMask(model: ProblemModel): boolean[] {
  return model.vocabulary.map((t) => t.startsWith(ALERT_TERM_PREFIX));
}

/** The unit direction of `v`'s member-alert signature block alone; empty when it has none. */
function signatureDirection(v: SparseVector, alertTerms: readonly boolean[]): SparseVector {
  const indices: number[] = [];
  const values: number[] = [];
  v.indices.forEach((i, k) => {
    if (alertTerms[i]) {
      indices.push(i);
      values.push(v.values[k] as number);
    }
  });
  return normalize({ indices, values });
}

/**
 * Average linkage (UPGMA, each point weighing `weights`) of points with similarity `sim`, cut
 * at `threshold`: returns a root index per point, points whose merge similarity is at least
 * `threshold` sharing one. Nearest-neighbour chain (Murtagh 1983), O(n²) time and memory:
 * average linkage is reducible, so the merges at or above the threshold are the same as those
 * of the textbook greedy order.
 */
export function averageLinkage(sim: (a: number, b: number) => number, weights: readonly number[], threshold: number): number[] {
  const n = weights.length;
  const s = Array.from({ length: n }, () => new Float64Array(n));
  for (let a = 0; a < n; a++)
    for (let b = a + 1; b < n; b++) {
      const v = sim(a, b);
      (s[a] as Float64Array)[b] = v;
      (s[b] as Float64Array)[a] = v;
    }
  const weight = [...weights];
  const active = new Set(Array.from({ length: n }, (_, i) => i));
  const parent = Array.from({ length: n }, (_, i) => i);
  const find = (i: number): number => (parent[i] === i ? i : (parent[i] = find(parent[i] as number)));
  const chain: number[] = [];
  while (active.size > 1) {
    if (chain.length === 0) chain.push(Math.min(...active));
    const a = chain[chain.length - 1] as number;
    const previous = chain.length >= 2 ? (chain[chain.length - 2] as number) : -1;
    const row = s[a] as Float64Array;
    // The previous link wins ties: that is what makes the chain end.
    let best = previous;
    let bestSim = previous >= 0 ? (row[previous] as number) : Number.NEGATIVE_INFINITY;
    for (const c of active) if (c !== a && (row[c] as number) > bestSim) [best, bestSim] = [c, row[c] as number];
    if (best !== previous) {
      chain.push(best);
      continue;
    }
    chain.length -= 2;
    const [keep, drop] = a < previous ? [a, previous] : [previous, a];
    if (bestSim >= threshold) parent[find(drop)] = find(keep);
    const wk = weight[keep] as number;
    const wd = weight[drop] as number;
    const rk = s[keep] as Float64Array;
    const rd = s[drop] as Float64Array;
    active.delete(drop);
    for (const c of active) {
      if (c === keep) continue;
      const v = (wk * (rk[c] as number) + wd * (rd[c] as number)) / (wk + wd);
      rk[c] = v;
      (s[c] as Float64Array)[keep] = v;
    }
    weight[keep] = wk + wd;
  }
  return parent.map((_, i) => find(i));
}

/**
 * Cuts a cluster into the parts whose member alerts agree: average linkage of its groups by
 * the cosine of their signature blocks alone (IDF-weighted, so alerts found in most incidents
 * count little; each group weighing its incidents), cut at `similarity`. Average, not single
 * linkage: a line two faults both log now and then must not chain them together. A group
 * without signature terms (incidents of a single alert) joins the largest part whose
 * incidents log that alert too; those that match no part stay together as one more part
 * (nothing in them disagrees).
 */
export function splitBySignatures(cluster: readonly Group[], alertTerms: readonly boolean[], similarity: number): Group[][] {
  if (cluster.length < 2) return [[...cluster]];
  const directions = cluster.map((g) => signatureDirection(g.vector, alertTerms));
  const signed = cluster.map((_, i) => i).filter((i) => (directions[i] as SparseVector).indices.length > 0);
  if (signed.length === 0) return [[...cluster]];
  const roots = averageLinkage(
    (a, b) => dot(directions[signed[a] as number] as SparseVector, directions[signed[b] as number] as SparseVector),
    signed.map((i) => (cluster[i] as Group).members.length),
    similarity,
  );
  const parts = new Map<number, Group[]>();
  signed.forEach((i, k) => appendTo(parts, roots[k] as number, cluster[i] as Group));
  const ordered = [...parts.values()];
  const size = (part: readonly Group[]) => part.reduce((sum, g) => sum + g.members.length, 0);
  const logged = ordered.map((part) => new Set(part.flatMap((g) => g.key.split('\n'))));
  const unmatched: Group[] = [];
  for (let i = 0; i < cluster.length; i++) {
    if ((directions[i] as SparseVector).indices.length > 0) continue;
    const g = cluster[i] as Group;
    let best = -1;
    ordered.forEach((part, p) => {
      if ((logged[p] as Set<string>).has(g.key) && (best < 0 || size(part) > size(ordered[best] as Group[]))) best = p;
    });
    if (best >= 0) (ordered[best] as Group[]).push(g);
    else unmatched.push(g);
  }
  return unmatched.length ? [...ordered, unmatched] : ordered;
}

/**
 * Which signature groups (by their sizes) k-means clusters: the recurring ones (two incidents or
 * more), the largest first, at most `max`; all groups, the largest first, when fewer than three
 * recur. Returns group indices in ascending order.
 */
export function clusteredGroups(sizes: readonly number[], max: number): number[] {
  const ranked = sizes.map((_, i) => i).sort((a, b) => (sizes[b] as number) - (sizes[a] as number) || a - b);
  const recurring = ranked.filter((i) => (sizes[i] as number) >= 2);
  return (recurring.length >= 3 ? recurring : ranked).slice(0, max).sort((a, b) => a - b);
}

/** Clusters `incidents` into problem candidates, highest impact first. */
export function clusterProblemCandidates(input: readonly ProblemIncident[], args: ClusterInput): ClusterOutput {
  const options = { ...DEFAULT_CANDIDATE_OPTIONS, ...args.options };
  const incidents = [...input].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const masker = createMasker(knownNamesOf(incidents, options.knownNames));
  const features = incidents.map((i) => featuresOf(i, masker));

  const byKey = new Map<string, number[]>();
  features.forEach((f, i) => appendTo(byKey, f.signature.key, i));
  const keys = [...byKey.keys()].sort();
  const model = args.model ?? fitProblemModel(keys.map((k) => (byKey.get(k) as number[]).map((i) => (features[i] as IncidentFeatures).document)), options.fit);

  const index = indexVocabulary(model);
  let unknown = 0;
  let terms = 0;
  const unknownOf: number[] = [];
  const vectors = features.map((f) => {
    const v = vectorize(model, index, f.document);
    unknownOf.push(v.unknown);
    unknown += v.unknown;
    terms += f.document.terms.length;
    return { indices: v.indices, values: v.values };
  });
  const groups: Group[] = keys.map((key) => {
    const members = byKey.get(key) as number[];
    return { key, members, vector: meanDirection(members.map((i) => vectors[i] as SparseVector)) };
  });

  // k-means sees the recurring signatures (two incidents or more), the largest first and at most
  // `maxClusteredGroups` of them; one-off signatures join the cluster whose centroid is nearest
  // (at `minJoinSimilarity` or better), or stand alone. One-offs are most of the signatures on
  // large windows (unique texts never repeat): fed to k-means they outnumber the recurring
  // faults, flatten the silhouette (k far too small) and pull faults together. With fewer than
  // three recurring signatures all groups are clustered.
  const core = clusteredGroups(
    groups.map((g) => g.members.length),
    options.maxClusteredGroups,
  );
  const clustering = clusterVectors(
    core.map((gi) => (groups[gi] as Group).vector),
    args.seed,
    options.clustering,
  );
  const clusters: Group[][] = Array.from({ length: clustering.clusters }, () => []);
  clustering.labels.forEach((label, ci) => (clusters[label] as Group[]).push(groups[core[ci] as number] as Group));

  // k-means groups what reads alike; a cluster is then cut where its members log different
  // alerts (see `splitBySignatures`): faults of one system share most words, not lines.
  const alertTerms = alertTermMask(model);
  const split = clusters.flatMap((c) => splitBySignatures(c, alertTerms, options.minSignatureSimilarity));
  clusters.length = 0;
  clusters.push(...split);

  // Outlying groups leave their cluster and stand alone: a signature that recurs often enough
  // is a candidate by itself. A group is judged against the rest of its cluster (incident-
  // weighted, itself left out): k-means has no reason to keep apart points that are mutually
  // orthogonal, so two unrelated faults can share a cluster with equally large weights.
  const outliers: Group[][] = [];
  for (const cluster of clusters) {
    if (cluster.length < 2) continue;
    const total = sumWeighted(cluster);
    for (const g of [...cluster]) {
      const rest = subtractWeighted(total, g);
      if (dot(g.vector, rest) < options.minMemberSimilarity) {
        cluster.splice(cluster.indexOf(g), 1);
        outliers.push([g]);
      }
    }
  }
  const all = [...clusters, ...outliers];

  // Groups left out of k-means join the nearest of the clusters cleaned above, or stand alone.
  if (core.length < groups.length) {
    const centroids = all.map((c) => (c.length ? weightedDirection(c) : { indices: [], values: [] }));
    const inCore = new Set(core);
    for (let gi = 0; gi < groups.length; gi++) {
      if (inCore.has(gi)) continue;
      const g = groups[gi] as Group;
      let best = -1;
      let bestSimilarity = Math.max(options.minMemberSimilarity, options.minJoinSimilarity);
      centroids.forEach((c, ci) => {
        const similarity = dot(g.vector, c);
        if (similarity >= bestSimilarity && (best < 0 || similarity > bestSimilarity)) [best, bestSimilarity] = [ci, similarity];
      });
      if (best >= 0) (all[best] as Group[]).push(g);
      else all.push([g]);
    }
  }

  const kept: { groups: Group[]; members: number[] }[] = [];
  for (const cluster of all) {
    const members = cluster.flatMap((g) => g.members);
    if (members.length < options.minIncidents) continue;
    cluster.sort((a, b) => b.members.length - a.members.length || (a.key < b.key ? -1 : 1));
    kept.push({ groups: cluster, members });
  }

  const historyStart = Math.min(...incidents.map((i) => i.openedAt));
  const described = kept.map((c) => describe(c.members, c.groups, incidents, features, vectors, model, args.now, options.badge, historyStart));
  const ids = assignStableIds(
    described.map((d) => ({ memberIds: d.memberIds, leadSignature: d.signatures[0] as string })),
    args.previous ?? [],
    options.minOverlap,
  );
  const candidates = described.map((d, i) => ({ id: ids[i] as string, ...d })).sort(byImpact);
  return {
    candidates,
    model,
    stats: {
      incidents: incidents.length,
      signatures: groups.length,
      k: clustering.k,
      clusters: clustering.clusters,
      silhouettes: clustering.silhouettes,
      unknownTermRate: terms ? round(unknown / terms) : 0,
      unseenRecurringGroups: groups.filter((g) => {
        if (g.members.length < options.minIncidents) return false;
        const total = g.members.reduce((sum, i) => sum + (features[i] as IncidentFeatures).document.terms.length, 0);
        return total > 0 && g.members.reduce((sum, i) => sum + (unknownOf[i] as number), 0) / total > 0.5;
      }).length,
    },
  };
}
