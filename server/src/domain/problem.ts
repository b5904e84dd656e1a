/**
 * @module Plain data of problem management: the incident as the clustering engine sees it,
 * the frozen TF-IDF model and the problem candidates it produces. Every type here is
 * JSON-serialisable so the database can store it as is. Pure: no I/O, no clock.
 */
import type { Severity } from './alert.js';
import type { Priority } from './incident.js';

/** An incident reduced to what clustering needs. Times are epoch milliseconds (UTC). */
export interface ProblemIncident {
  id: string;
  title: string;
  /** The alert rule's name (`alertname` label), '' when unknown. */
  alertname: string;
  summary: string;
  service: string | null;
  host: string | null;
  severity: Severity;
  openedAt: number;
  resolvedAt: number | null;
  /** The incident's priority; P3 when unknown. */
  priority?: Priority;
  /**
   * SLA downtime the incident caused: the outage intervals (as the SLA computes them) of each
   * service it reached while it was open, summed over the services; 0 when unknown or no
   * policy counts it.
   */
  downtimeMs: number | null;
  /**
   * The incident's member alerts, one entry per alert (not per repeat), in the order they
   * joined; the first one titles the incident. Absent when only the title is known.
   */
  alerts?: readonly ProblemAlert[];
}

/** One member alert of an incident as clustering sees it. */
export interface ProblemAlert {
  /** The alert rule: its name or code in whatever style the sender uses (`DiskFull`, `5710`, `ET-SCAN-…`). */
  name: string;
  /** The alert's own title (`<name>: <summary>`). */
  title: string;
  /** How many times it fired or was repeated while in the incident (at least 1). */
  occurrences: number;
}

/**
 * Why a candidate ranks where it does: every input of its score, shown beside it.
 * score = (Σ priority points + 60 per hour of SLA downtime, summed over the services hit) ×
 * trend, with P1 10, P2 3, P3 1, P4 0.3, P5 0.1 points per incident; trend = incidents per
 * 30 days lately against before (+1 smoothing), within [0.5, 2], and 1 while there are fewer
 * than 14 days of history before the last 30.
 */
export interface CandidateImpact {
  score: number;
  downtimeMs: number;
  incidentsByPriority: Partial<Record<Priority, number>>;
  services: number;
  /** Member incidents opened in the last 30 days, and in the 30 days before. */
  recent: number;
  earlier: number;
  trend: number;
}

/** A sparse vector: ascending `indices` into the model's vocabulary and their `values`. */
export interface SparseVector {
  indices: number[];
  values: number[];
}

/** Weight of each feature block before the final L2 normalisation. */
export interface FeatureBlockWeights {
  text: number;
  /**
   * The member alerts' signatures (`alert=` terms), a block of their own beside the words:
   * two faults whose lines share most words still differ by which lines they log. Absent in
   * models fitted before it existed: their `alert=` terms then count as text.
   */
  alerts?: number;
  service: number;
  severity: number;
  host: number;
}

/**
 * A fitted TF-IDF model. Frozen between refits so stored centroids stay comparable: vectors
 * made with the same `version` live in the same space.
 */
export interface ProblemModel {
  /** Content hash of vocabulary, idf and weights. */
  version: string;
  /** Terms; block terms carry a prefix (`service=`, `severity=`, `host=`). */
  vocabulary: string[];
  /** Inverse document frequency per vocabulary entry (1 for block terms). */
  idf: number[];
  blockWeights: FeatureBlockWeights;
  /** Number of signature groups the model was fitted on. */
  documents: number;
}

/** frequent / rare / new, judged against the last 30 days (see `badgeOf`). */
export type ProblemBadge = 'frequent' | 'rare' | 'new';

export interface ProblemCandidate {
  /** Stable across refits (member overlap with the previous candidates), else derived from content. */
  id: string;
  name: string;
  alertname: string;
  exampleTitle: string;
  /** Signature keys of the member signature groups, most incidents first. */
  signatures: string[];
  memberIds: string[];
  count: number;
  firstSeen: number;
  lastSeen: number;
  recurrencePerWeek: number;
  services: string[];
  hosts: string[];
  /** SLA downtime caused by the members, summed over the services hit (not the time they were open). */
  totalDowntimeMs: number;
  impact: CandidateImpact;
  /** Mean time to resolve over resolved members; null when none is resolved. */
  mttrMs: number | null;
  /** Mean cosine similarity of the members to the centroid, in [0, 1]. */
  cohesion: number;
  /** p95 of the members' cosine distances to the centroid: the candidate's reach for matching. */
  radius: number;
  badge: ProblemBadge;
  topTerms: string[];
  /**
   * What defines the candidate: the heaviest terms of its centroid, heaviest first. Words,
   * `alertname=` rule names, `alert=` member-alert signatures, `service=` and `severity=`.
   */
  features: CandidateFeature[];
  /** L2-normalised centroid in the space of model `modelVersion`. */
  centroid: SparseVector;
  modelVersion: string;
}

/** One term of a candidate's centroid and its weight there (a unit vector's coordinate). */
export interface CandidateFeature {
  term: string;
  weight: number;
}

/** What the stable-id mapping needs to remember of a previous refit. */
export interface PreviousCandidate {
  id: string;
  memberIds: readonly string[];
}

/** Review of a candidate: new → under_review → promoted | dismissed. */
export const CANDIDATE_STATES = ['new', 'under_review', 'promoted', 'dismissed'] as const;
export type CandidateState = (typeof CANDIDATE_STATES)[number];
export type CandidateAction = 'review' | 'dismiss' | 'promote';

/** The state a review action leads to, or null when the action does not apply in `from`. */
export function nextCandidateState(from: CandidateState, action: CandidateAction): CandidateState | null {
  if (from === 'promoted') return null;
  switch (action) {
    case 'review':
      return from === 'new' ? 'under_review' : null;
    case 'dismiss':
      return from === 'dismissed' ? null : 'dismissed';
    case 'promote':
      return 'promoted';
  }
}

/** Where a candidate stands in review; kept across refreshes under its stable id. */
export interface CandidateReview {
  state: CandidateState;
  stateChangedAt: number;
  stateChangedBy: string;
  stateNote: string | null;
  problemId: number | null;
  createdAt: number;
}

/** A candidate as stored: the engine's output plus its review. */
export interface StoredCandidate extends ProblemCandidate, CandidateReview {
  /** Produced by the latest refresh; inactive ones are kept for their review state. */
  active: boolean;
  refreshedAt: number;
}

/** ITIL problem status: open → known_error → resolved (and resolved → open when it recurs). */
export const PROBLEM_STATUSES = ['open', 'known_error', 'resolved'] as const;
export type ProblemStatus = (typeof PROBLEM_STATUSES)[number];

const PROBLEM_TRANSITIONS: Record<ProblemStatus, readonly ProblemStatus[]> = {
  open: ['known_error', 'resolved'],
  known_error: ['open', 'resolved'],
  resolved: ['open'],
};

export function canChangeProblemStatus(from: ProblemStatus, to: ProblemStatus): boolean {
  return from === to || PROBLEM_TRANSITIONS[from].includes(to);
}

export interface ProblemRecord {
  id: number;
  title: string;
  status: ProblemStatus;
  rootCause: string | null;
  workaround: string | null;
  owner: string | null;
  candidateId: string | null;
  createdAt: number;
  updatedAt: number;
  knownErrorAt: number | null;
  resolvedAt: number | null;
  /** The change (deploy, configuration…) meant to fix it; null when none is named. */
  fixChangeId: number | null;
  /** When an incident of its signature after the fix showed that the fix did not hold. */
  fixFailedAt: number | null;
}

/** An incident recognised as a known error (nearest candidate centroid within its radius). */
export interface KnownErrorMatchRecord {
  incidentId: number;
  problemId: number;
  candidateId: string;
  similarity: number;
  matchedAt: number;
}
