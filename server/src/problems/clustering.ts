/**
 * @module k-means over signature-group vectors with ml-kmeans: our own seeded k-means++
 * initialisation (passed as the initial matrix), restarts keeping the lowest inertia, k chosen
 * by silhouette on a sample, and a final merge of centroids that point the same way. Pure and
 * deterministic for a given seed.
 */
import { kmeans } from 'ml-kmeans';
import type { SparseVector } from '../domain/problem.js';
import { mulberry32, sampleIndices } from './seeded-random.js';
import { dot, dotDense, toDense } from './tfidf.js';

export interface ClusteringOptions {
  /** k-means runs for the chosen k; the lowest inertia wins. */
  restarts: number;
  /** k-means runs per k while choosing k, the lowest inertia counts (the chosen k is then run `restarts` times). */
  selectionRestarts: number;
  maxIterations: number;
  /** Upper bound of k (also bounded by the number of points − 1). */
  maxClusters: number;
  /** How many k values are tried between 2 and the upper bound (geometric grid). */
  kGridSize: number;
  /** Points the silhouette is measured on. */
  silhouetteSample: number;
  /** The smallest k whose silhouette is within this fraction of the best is chosen. */
  silhouetteTolerance: number;
  /** Clusters whose centroids have at least this cosine similarity are merged. */
  mergeSimilarity: number;
}

export const DEFAULT_CLUSTERING_OPTIONS: ClusteringOptions = {
  restarts: 10,
  selectionRestarts: 3,
  maxIterations: 50,
  maxClusters: 400,
  kGridSize: 10,
  silhouetteSample: 600,
  silhouetteTolerance: 0.95,
  mergeSimilarity: 0.8,
};

export interface ClusteringResult {
  /** Cluster label per point, 0..clusters−1, numbered by first appearance. */
  labels: number[];
  clusters: number;
  k: number;
  /** Silhouette per k tried, in grid order. */
  silhouettes: { k: number; silhouette: number }[];
}

function squaredNorm(v: SparseVector): number {
  let s = 0;
  for (const x of v.values) s += x * x;
  return s;
}

/**
 * k-means++ seeding (Arthur & Vassilvitskii 2007): each next centre is a point drawn with
 * probability proportional to its squared distance to the nearest centre chosen so far.
 * Returns point indices; works on sparse vectors so it costs O(n·k·nnz).
 */
export function seedKmeansPlusPlus(points: readonly SparseVector[], k: number, random: () => number): number[] {
  const n = points.length;
  const norms = points.map(squaredNorm);
  const chosen: number[] = [Math.floor(random() * n)];
  const taken = new Set(chosen);
  const d2 = new Float64Array(n).fill(Number.POSITIVE_INFINITY);
  while (chosen.length < k) {
    const last = chosen[chosen.length - 1] as number;
    const c = points[last] as SparseVector;
    let total = 0;
    for (let i = 0; i < n; i++) {
      const d = Math.max(0, (norms[i] as number) + (norms[last] as number) - 2 * dot(points[i] as SparseVector, c));
      if (d < (d2[i] as number)) d2[i] = d;
      if (!taken.has(i)) total += d2[i] as number;
    }
    let next = -1;
    if (total > 0) {
      let r = random() * total;
      for (let i = 0; i < n && next < 0; i++) {
        if (taken.has(i)) continue;
        r -= d2[i] as number;
        if (r <= 0) next = i;
      }
    }
    // All remaining points coincide with a centre (or rounding ran off the end): take the first free one.
    if (next < 0) for (let i = 0; i < n && next < 0; i++) if (!taken.has(i)) next = i;
    chosen.push(next);
    taken.add(next);
  }
  return chosen;
}

/**
 * The dense matrix k-means works on: only the columns that at least two points use. A column
 * used by one point cannot pull points together, and dropping it keeps the matrix narrow
 * (k-means costs points × k × columns per iteration). Vectors are not renormalised: a point
 * made only of unique terms sits near the origin, and the caller's outlier filter, which works
 * on the full vectors, drops it.
 */
function sharedColumns(points: readonly SparseVector[]): { dense: number[][]; compact: SparseVector[] } {
  const df = new Map<number, number>();
  for (const p of points) for (const i of p.indices) df.set(i, (df.get(i) ?? 0) + 1);
  const kept = [...df.entries()].filter(([, count]) => count >= 2).map(([i]) => i).sort((a, b) => a - b);
  const column = new Map(kept.map((col, j) => [col, j]));
  const compact = points.map((p) => {
    const indices: number[] = [];
    const values: number[] = [];
    p.indices.forEach((i, k) => {
      const j = column.get(i);
      if (j !== undefined) {
        indices.push(j);
        values.push(p.values[k] as number);
      }
    });
    return { indices, values };
  });
  // A matrix needs at least one column even when no term is shared.
  return { dense: compact.map((p) => toDense(p, Math.max(1, kept.length))), compact };
}

/** A dense row that also carries its sparse form and squared norm (see `sparseAwareDistance`). */
type Row = number[] & { sparse?: SparseVector; norm2?: number };

/**
 * Squared Euclidean distance for ml-kmeans that exploits sparsity. ml-kmeans calls it as
 * (point, centre) when assigning points and (centre, centre) when testing convergence; a
 * point carries its sparse form, so assignment costs O(nnz) per pair instead of O(columns),
 * with each centre's squared norm computed once per centre array. Same value as the dense
 * formula up to rounding, and deterministic.
 */
function sparseAwareDistance(): (a: Row, b: Row) => number {
  const centreNorms = new WeakMap<number[], number>();
  const norm2 = (v: number[]) => {
    let n = centreNorms.get(v);
    if (n === undefined) {
      n = 0;
      for (let i = 0; i < v.length; i++) n += (v[i] as number) * (v[i] as number);
      centreNorms.set(v, n);
    }
    return n;
  };
  return (a, b) => {
    if (a.sparse) return Math.max(0, (a.norm2 as number) + norm2(b) - 2 * dotDense(a.sparse, b));
    let d = 0;
    for (let i = 0; i < a.length; i++) {
      const x = (a[i] as number) - (b[i] as number);
      d += x * x;
    }
    return d;
  };
}

/** Best of `restarts` k-means runs by inertia (sum of squared distances to the centroid). */
export function runKmeans(points: readonly SparseVector[], dense: number[][], k: number, seed: number, options: Pick<ClusteringOptions, 'restarts' | 'maxIterations'>): { labels: number[]; centroids: number[][]; inertia: number } {
  const random = mulberry32(seed);
  const rows: Row[] = dense.map((row, i) => Object.assign(row, { sparse: points[i] as SparseVector, norm2: squaredNorm(points[i] as SparseVector) }));
  let best: { labels: number[]; centroids: number[][]; inertia: number } | null = null;
  for (let r = 0; r < options.restarts; r++) {
    const initial = seedKmeansPlusPlus(points, k, random).map((i) => [...(dense[i] as number[])]);
    const result = kmeans(rows, k, { initialization: initial, maxIterations: options.maxIterations, tolerance: 1e-6, distanceFunction: sparseAwareDistance() as (a: number[], b: number[]) => number });
    const centroidNorms = result.centroids.map((c) => c.reduce((s, x) => s + x * x, 0));
    let inertia = 0;
    for (let i = 0; i < points.length; i++) {
      const c = result.clusters[i] as number;
      const p = points[i] as SparseVector;
      inertia += Math.max(0, squaredNorm(p) + (centroidNorms[c] as number) - 2 * dotDense(p, result.centroids[c] as number[]));
    }
    if (!best || inertia < best.inertia - 1e-12) best = { labels: [...result.clusters], centroids: result.centroids, inertia };
  }
  return best as { labels: number[]; centroids: number[][]; inertia: number };
}

/** Cosine distance matrix of the sample (zero vectors are at distance 1 from everything). */
function distanceMatrix(points: readonly SparseVector[], sample: readonly number[]): Float64Array[] {
  const m = sample.map(() => new Float64Array(sample.length));
  for (let a = 0; a < sample.length; a++)
    for (let b = a + 1; b < sample.length; b++) {
      const d = 1 - dot(points[sample[a] as number] as SparseVector, points[sample[b] as number] as SparseVector);
      (m[a] as Float64Array)[b] = d;
      (m[b] as Float64Array)[a] = d;
    }
  return m;
}

/**
 * Mean silhouette (Rousseeuw 1987) of the sampled points under `labels`, with cosine distance.
 * A point alone in its cluster (within the sample) scores 0.
 */
export function silhouetteScore(distances: readonly Float64Array[], labels: readonly number[]): number {
  const n = labels.length;
  if (n < 2) return 0;
  const clusterIds = [...new Set(labels)];
  if (clusterIds.length < 2) return 0;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const sums = new Map<number, { sum: number; count: number }>();
    const row = distances[i] as Float64Array;
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      const s = sums.get(labels[j] as number) ?? { sum: 0, count: 0 };
      s.sum += row[j] as number;
      s.count++;
      sums.set(labels[j] as number, s);
    }
    const own = sums.get(labels[i] as number);
    if (!own) continue;
    const a = own.sum / own.count;
    let b = Number.POSITIVE_INFINITY;
    for (const [label, s] of sums) if (label !== labels[i]) b = Math.min(b, s.sum / s.count);
    const denom = Math.max(a, b);
    if (Number.isFinite(b) && denom > 0) total += (b - a) / denom;
  }
  return total / n;
}

/** Up to `size` distinct integers from 2 to `max`, spaced geometrically. */
export function kGrid(max: number, size: number): number[] {
  if (max < 2) return [];
  const out = new Set<number>();
  for (let s = 0; s < size; s++) out.add(Math.round(2 * Math.pow(max / 2, size === 1 ? 1 : s / (size - 1))));
  return [...out].sort((a, b) => a - b);
}

/**
 * Up to `size` further k, evenly spaced strictly between the grid neighbours of the best-scoring
 * k (the grid is geometric, so the gaps are widest where k is large).
 */
export function refineGrid(ks: readonly number[], scores: readonly { k: number; silhouette: number }[], size: number): number[] {
  if (ks.length === 0) return [];
  let best = 0;
  scores.forEach((s, i) => {
    if (s.silhouette > (scores[best] as { silhouette: number }).silhouette) best = i;
  });
  const lo = ks[Math.max(0, best - 1)] as number;
  const hi = ks[Math.min(ks.length - 1, best + 1)] as number;
  const tried = new Set(ks);
  const out = new Set<number>();
  for (let s = 1; s <= size; s++) {
    const k = Math.round(lo + ((hi - lo) * s) / (size + 1));
    if (k > lo && k < hi && !tried.has(k)) out.add(k);
  }
  return [...out].sort((a, b) => a - b);
}

/** The smallest k whose silhouette is within `tolerance` of the best one. */
export function chooseK(scores: readonly { k: number; silhouette: number }[], tolerance: number): number {
  const best = Math.max(...scores.map((s) => s.silhouette));
  const threshold = best > 0 ? best * tolerance : best;
  return (scores.find((s) => s.silhouette >= threshold) as { k: number }).k;
}

/** Union of clusters whose centroids are at least `similarity` apart in cosine. */
function mergeCentroids(centroids: readonly number[][], present: ReadonlySet<number>, similarity: number): number[] {
  const parent = centroids.map((_, i) => i);
  const find = (i: number): number => (parent[i] === i ? i : (parent[i] = find(parent[i] as number)));
  const norms = centroids.map((c) => Math.sqrt(c.reduce((s, x) => s + x * x, 0)));
  for (let a = 0; a < centroids.length; a++)
    for (let b = a + 1; b < centroids.length; b++) {
      if (!present.has(a) || !present.has(b) || norms[a] === 0 || norms[b] === 0) continue;
      const ca = centroids[a] as number[];
      const cb = centroids[b] as number[];
      let d = 0;
      for (let j = 0; j < ca.length; j++) d += (ca[j] as number) * (cb[j] as number);
      if (d / ((norms[a] as number) * (norms[b] as number)) >= similarity) {
        const ra = find(a);
        const rb = find(b);
        if (ra !== rb) parent[Math.max(ra, rb)] = Math.min(ra, rb);
      }
    }
  return parent.map((_, i) => find(i));
}

/** Relabels to 0..m−1 in order of first appearance, so labels do not depend on k-means internals. */
function relabel(labels: readonly number[]): { labels: number[]; clusters: number } {
  const map = new Map<number, number>();
  const out = labels.map((l) => {
    if (!map.has(l)) map.set(l, map.size);
    return map.get(l) as number;
  });
  return { labels: out, clusters: map.size };
}

/**
 * Clusters unit-length (or zero) sparse vectors. Fewer than three points are each their own
 * cluster: silhouette needs 2 ≤ k ≤ n − 1.
 */
export function clusterVectors(points: readonly SparseVector[], seed: number, options: Partial<ClusteringOptions> = {}): ClusteringResult {
  const opts = { ...DEFAULT_CLUSTERING_OPTIONS, ...options };
  const n = points.length;
  const ks = kGrid(Math.min(n - 1, opts.maxClusters), opts.kGridSize);
  if (ks.length === 0) return { labels: points.map((_, i) => i), clusters: n, k: n, silhouettes: [] };
  const { dense, compact } = sharedColumns(points);
  const sample = sampleIndices(n, opts.silhouetteSample, mulberry32(seed ^ 0x5bd1e995));
  const distances = distanceMatrix(points, sample);
  // A seed per k, so the result for one k does not depend on which other k were tried.
  const seedFor = (k: number) => (seed ^ Math.imul(k, 0x9e3779b1)) >>> 0;
  const silhouetteOf = (k: number) => {
    const run = runKmeans(compact, dense, k, seedFor(k), { ...opts, restarts: Math.min(opts.selectionRestarts, opts.restarts) });
    return { k, silhouette: silhouetteScore(distances, sample.map((i) => run.labels[i] as number)) };
  };
  const silhouettes = ks.map(silhouetteOf);
  // The geometric grid is coarse where k is large: try the k between the best one's neighbours too.
  silhouettes.push(...refineGrid(ks, silhouettes, opts.kGridSize).map(silhouetteOf));
  silhouettes.sort((a, b) => a.k - b.k);
  const k = chooseK(silhouettes, opts.silhouetteTolerance);
  const run = runKmeans(compact, dense, k, seedFor(k), opts);
  const merged = mergeCentroids(run.centroids, new Set(run.labels), opts.mergeSimilarity);
  const { labels, clusters } = relabel(run.labels.map((l) => merged[l] as number));
  return { labels, clusters, k, silhouettes };
}
