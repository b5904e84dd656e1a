/**
 * @module Recognising known errors in new incidents: the new incident's vector (in the frozen
 * model's space) is compared with candidate or problem centroids; the nearest one wins when it
 * lies within that centroid's radius (p95 of its members' distances) and above a floor. Pure.
 */
import type { ProblemIncident, ProblemModel, SparseVector } from '../domain/problem.js';
import { featuresOf } from './features.js';
import { type KnownNames, createMasker } from './mask.js';
import { dot, indexVocabulary, vectorize } from './tfidf.js';

export interface MatchTarget {
  id: string;
  centroid: SparseVector;
  /** Cosine distance within which members lie (candidate `radius`). */
  radius: number;
  modelVersion: string;
}

export interface MatchOptions {
  /** Below this cosine similarity nothing matches, however wide a radius. */
  minSimilarity: number;
  /** Added to each radius: a tight cluster of identical titles has radius ≈ 0. */
  radiusSlack: number;
  /** Hosts and services to mask, as at clustering time. */
  knownNames: KnownNames;
}

export const DEFAULT_MATCH_OPTIONS: MatchOptions = { minSimilarity: 0.5, radiusSlack: 0.1, knownNames: {} };

export interface KnownErrorMatch {
  id: string;
  /** Cosine similarity to the centroid, in [0, 1]. */
  similarity: number;
}

/**
 * A matcher over `targets`; targets fitted with another model version are ignored (their
 * centroids live in another space). Build it once per batch of incidents.
 */
export function createKnownErrorMatcher(model: ProblemModel, targets: readonly MatchTarget[], options: Partial<MatchOptions> = {}): (incident: ProblemIncident) => KnownErrorMatch | null {
  const opts = { ...DEFAULT_MATCH_OPTIONS, ...options };
  const index = indexVocabulary(model);
  const usable = targets.filter((t) => t.modelVersion === model.version).sort((a, b) => (a.id < b.id ? -1 : 1));
  const knownHosts = new Set(opts.knownNames.hosts ?? []);
  const knownServices = new Set(opts.knownNames.services ?? []);
  const shared = createMasker(opts.knownNames);
  return (incident) => {
    // The incident's own host and service are masked too; compile a masker only when they are new.
    const known = (!incident.host || knownHosts.has(incident.host)) && (!incident.service || knownServices.has(incident.service));
    const masker = known
      ? shared
      : createMasker({ hosts: [...knownHosts, ...(incident.host ? [incident.host] : [])], services: [...knownServices, ...(incident.service ? [incident.service] : [])] });
    const vector = vectorize(model, index, featuresOf(incident, masker).document);
    let best: KnownErrorMatch | null = null;
    for (const t of usable) {
      const similarity = dot(vector, t.centroid);
      if (similarity < opts.minSimilarity || 1 - similarity > t.radius + opts.radiusSlack) continue;
      if (!best || similarity > best.similarity) best = { id: t.id, similarity: Math.round(similarity * 1e6) / 1e6 };
    }
    return best;
  };
}

/** The best match of one incident, or null. */
export function matchKnownError(model: ProblemModel, targets: readonly MatchTarget[], incident: ProblemIncident, options: Partial<MatchOptions> = {}): KnownErrorMatch | null {
  return createKnownErrorMatcher(model, targets, options)(incident);
}
