/**
 * @module TF-IDF features of incidents: sublinear term frequency times inverse document
 * frequency over masked text tokens and alert-rule tokens, plus small one-hot blocks for
 * service and severity (host weighs nothing by default: a problem recurs across hosts).
 * Each block is L2-normalised and weighted, then the whole vector is L2-normalised, so
 * squared Euclidean distance is 2 − 2·cosine. Pure.
 */
import type { FeatureBlockWeights, ProblemModel, SparseVector } from '../domain/problem.js';
import { shortHash } from './signature.js';

/** What an incident contributes to the vector space. */
export interface FeatureDocument {
  terms: readonly string[];
  service: string | null;
  severity: string;
  host: string | null;
}

export interface FitOptions {
  blockWeights: FeatureBlockWeights;
  /**
   * Text terms kept, by descending number of incidents using them (then document frequency):
   * bounds the dimension k-means sees. Counting incidents keeps the words of recurring faults
   * ahead of the one-off words of a long tail of unique texts.
   */
  maxFeatures: number;
  /** Text terms seen in fewer documents are dropped. */
  minDocumentFrequency: number;
}

export const DEFAULT_BLOCK_WEIGHTS: FeatureBlockWeights = { text: 1, alerts: 1, service: 0.35, severity: 0.15, host: 0 };

/** Terms of the member-alert signature block (see `FeatureBlockWeights.alerts`). */
export const ALERT_TERM_PREFIX = 'alert=';
export const DEFAULT_FIT_OPTIONS: FitOptions = { blockWeights: DEFAULT_BLOCK_WEIGHTS, maxFeatures: 2000, minDocumentFrequency: 1 };

const BLOCKS = ['service', 'severity', 'host'] as const;

/**
 * Fits vocabulary and IDF on `documents`, each a list of feature documents counted once (the
 * engine passes one per signature group, so a fault that recurs a thousand times does not
 * make its own words look common). IDF is ln((1+N)/(1+df)) + 0.1: unlike the +1 of the usual
 * smoothed form, terms found everywhere (`<host>`, `<num>`) then weigh next to nothing.
 */
export function fitProblemModel(documents: readonly (readonly FeatureDocument[])[], options: Partial<FitOptions> = {}): ProblemModel {
  const opts = { ...DEFAULT_FIT_OPTIONS, ...options };
  const df = new Map<string, number>();
  const uses = new Map<string, number>();
  const blockTerms = new Set<string>();
  for (const members of documents) {
    const seen = new Set<string>();
    for (const doc of members) {
      for (const t of new Set(doc.terms)) {
        seen.add(t);
        uses.set(t, (uses.get(t) ?? 0) + 1);
      }
      for (const term of blockTermsOf(doc, opts.blockWeights)) blockTerms.add(term);
    }
    for (const t of seen) df.set(t, (df.get(t) ?? 0) + 1);
  }
  const n = documents.length;
  const text = [...df.entries()]
    .filter(([, count]) => count >= opts.minDocumentFrequency)
    .sort((a, b) => (uses.get(b[0]) as number) - (uses.get(a[0]) as number) || b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, opts.maxFeatures)
    .sort((a, b) => (a[0] < b[0] ? -1 : 1));
  const vocabulary = [...text.map(([t]) => t), ...[...blockTerms].sort()];
  const idf = [...text.map(([, count]) => round6(Math.log((1 + n) / (1 + count)) + 0.1)), ...[...blockTerms].map(() => 1)];
  const version = shortHash(JSON.stringify([vocabulary, idf, opts.blockWeights]));
  return { version, vocabulary, idf, blockWeights: { ...opts.blockWeights }, documents: n };
}

// Rounded so a model that went through JSON (or a database) vectorises bit for bit the same.
function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

function blockTermsOf(doc: FeatureDocument, weights: FeatureBlockWeights): string[] {
  const out: string[] = [];
  for (const block of BLOCKS) {
    const value = doc[block];
    if (weights[block] > 0 && value) out.push(`${block}=${value.toLowerCase()}`);
  }
  return out;
}

/** Term → index lookup for a model; build once per refit or per matching batch. */
export type VocabularyIndex = ReadonlyMap<string, number>;

export function indexVocabulary(model: ProblemModel): VocabularyIndex {
  return new Map(model.vocabulary.map((t, i) => [t, i]));
}

/**
 * The incident's vector in the model's space. Terms outside the (frozen) vocabulary are
 * ignored; `unknown` counts them so callers can tell when a refit of the vocabulary is due.
 */
export function vectorize(model: ProblemModel, index: VocabularyIndex, doc: FeatureDocument): SparseVector & { unknown: number } {
  const alertsWeight = model.blockWeights.alerts;
  const text = new Map<number, number>();
  const alerts = new Map<number, number>();
  let unknown = 0;
  for (const t of doc.terms) {
    const i = index.get(t);
    if (i === undefined) unknown++;
    else {
      const tf = alertsWeight !== undefined && t.startsWith(ALERT_TERM_PREFIX) ? alerts : text;
      tf.set(i, (tf.get(i) ?? 0) + 1);
    }
  }
  const entries = [...weightedBlock(model, text, model.blockWeights.text), ...weightedBlock(model, alerts, alertsWeight ?? 0)];
  for (const term of blockTermsOf(doc, model.blockWeights)) {
    const i = index.get(term);
    if (i !== undefined) entries.push([i, model.blockWeights[term.slice(0, term.indexOf('=')) as (typeof BLOCKS)[number]]]);
  }
  return { ...normalize(fromEntries(entries)), unknown };
}

/** Sublinear tf × idf of one block's term counts, L2-normalised, times the block's weight. */
function weightedBlock(model: ProblemModel, tf: ReadonlyMap<number, number>, weight: number): [number, number][] {
  const entries: [number, number][] = [];
  let norm = 0;
  for (const [i, count] of tf) {
    const w = (1 + Math.log(count)) * (model.idf[i] as number);
    entries.push([i, w]);
    norm += w * w;
  }
  norm = Math.sqrt(norm);
  if (norm > 0) for (const e of entries) e[1] = (e[1] / norm) * weight;
  return entries;
}

function fromEntries(entries: [number, number][]): SparseVector {
  entries.sort((a, b) => a[0] - b[0]);
  return { indices: entries.map((e) => e[0]), values: entries.map((e) => e[1]) };
}

export function normalize(v: SparseVector): SparseVector {
  let norm = 0;
  for (const x of v.values) norm += x * x;
  norm = Math.sqrt(norm);
  return norm > 0 ? { indices: v.indices, values: v.values.map((x) => x / norm) } : v;
}

/** Dot product of two sparse vectors (cosine when both are unit vectors). */
export function dot(a: SparseVector, b: SparseVector): number {
  let i = 0;
  let j = 0;
  let sum = 0;
  while (i < a.indices.length && j < b.indices.length) {
    const ai = a.indices[i] as number;
    const bj = b.indices[j] as number;
    if (ai === bj) sum += (a.values[i++] as number) * (b.values[j++] as number);
    else if (ai < bj) i++;
    else j++;
  }
  return sum;
}

/** Dot product of a sparse and a dense vector. */
export function dotDense(a: SparseVector, dense: ArrayLike<number>): number {
  let sum = 0;
  for (let k = 0; k < a.indices.length; k++) sum += (a.values[k] as number) * (dense[a.indices[k] as number] as number);
  return sum;
}

/** Unit-length mean of `vectors`; the zero vector when they cancel out or there are none. */
export function meanDirection(vectors: readonly SparseVector[]): SparseVector {
  const sum = new Map<number, number>();
  for (const v of vectors) for (let k = 0; k < v.indices.length; k++) sum.set(v.indices[k] as number, (sum.get(v.indices[k] as number) ?? 0) + (v.values[k] as number));
  return normalize(fromEntries([...sum.entries()].filter(([, x]) => x !== 0)));
}

export function toDense(v: SparseVector, dimension: number): number[] {
  const out = new Array<number>(dimension).fill(0);
  for (let k = 0; k < v.indices.length; k++) out[v.indices[k] as number] = v.values[k] as number;
  return out;
}

export function fromDense(dense: readonly number[]): SparseVector {
  const entries: [number, number][] = [];
  for (let i = 0; i < dense.length; i++) if (dense[i] !== 0) entries.push([i, dense[i] as number]);
  return fromEntries(entries);
}
