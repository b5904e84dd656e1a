/**
 * @module Stable candidate ids across refits: a new cluster inherits the id of the previous
 * candidate it overlaps most (Jaccard of member incident ids), greedily by best overlap;
 * the others get an id derived from their content. Pure.
 */
import type { PreviousCandidate } from '../domain/problem.js';
import { shortHash } from './signature.js';
import { appendTo } from '../domain/collections.js';

export interface ClusterForIds {
  memberIds: readonly string[];
  /** The signature key of the cluster's largest signature group. */
  leadSignature: string;
}

export const DEFAULT_MIN_OVERLAP = 0.5;

/** Id for a cluster with no predecessor: a hash of its lead signature, so it does not depend on input order. */
export function contentId(leadSignature: string): string {
  return `pc-${shortHash(leadSignature)}`;
}

/** One id per cluster, in the order of `clusters`. */
export function assignStableIds(clusters: readonly ClusterForIds[], previous: readonly PreviousCandidate[], minOverlap = DEFAULT_MIN_OVERLAP): string[] {
  const owner = new Map<string, number[]>();
  previous.forEach((p, pi) => {
    for (const m of p.memberIds) appendTo(owner, m, pi);
  });
  const pairs: { c: number; p: number; jaccard: number }[] = [];
  clusters.forEach((cluster, ci) => {
    const shared = new Map<number, number>();
    for (const m of new Set(cluster.memberIds)) for (const pi of owner.get(m) ?? []) shared.set(pi, (shared.get(pi) ?? 0) + 1);
    for (const [pi, common] of shared) {
      const union = new Set(cluster.memberIds).size + new Set((previous[pi] as PreviousCandidate).memberIds).size - common;
      const jaccard = common / union;
      if (jaccard >= minOverlap) pairs.push({ c: ci, p: pi, jaccard });
    }
  });
  // Best overlap first; ties broken by the ids themselves, never by input position.
  const prevId = (pi: number) => (previous[pi] as PreviousCandidate).id;
  const lead = (ci: number) => (clusters[ci] as ClusterForIds).leadSignature;
  pairs.sort((a, b) => b.jaccard - a.jaccard || (prevId(a.p) < prevId(b.p) ? -1 : prevId(a.p) > prevId(b.p) ? 1 : lead(a.c) < lead(b.c) ? -1 : 1));
  const ids = new Array<string | undefined>(clusters.length);
  const used = new Set<string>();
  for (const { c, p } of pairs) {
    if (ids[c] !== undefined || used.has(prevId(p))) continue;
    ids[c] = prevId(p);
    used.add(prevId(p));
  }
  // Unmatched clusters in content order, so a collision of content ids resolves the same way every time.
  const order = clusters.map((_, i) => i).sort((a, b) => (lead(a) < lead(b) ? -1 : 1));
  for (const ci of order) {
    if (ids[ci] !== undefined) continue;
    let id = contentId(lead(ci));
    if (used.has(id)) id = `pc-${shortHash([...(clusters[ci] as ClusterForIds).memberIds].sort().join('\n'))}`;
    ids[ci] = id;
    used.add(id);
  }
  return ids as string[];
}
