/**
 * @module Problem-management metrics on the server's registry: candidates by review state and
 * badge, problems by status, known errors, computed at scrape time; refresh outcomes.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { CANDIDATE_STATES, PROBLEM_STATUSES, type ProblemBadge } from '../domain/problem.js';

const BADGES: readonly ProblemBadge[] = ['frequent', 'rare', 'new'];

export interface ProblemCounts {
  candidates: { state: string; badge: string; count: number }[];
  problems: { status: string; count: number }[];
}

export interface ProblemMetrics {
  refreshErrors: Counter;
  refreshDuration: Histogram;
}

export function registerProblemMetrics(registry: Registry, counts: () => Promise<ProblemCounts>): ProblemMetrics {
  // Both gauges are collected by the same scrape: one query, shared.
  let inFlight: Promise<ProblemCounts> | null = null;
  const shared = () => {
    inFlight ??= counts().finally(() => {
      inFlight = null;
    });
    return inFlight;
  };
  new Gauge({
    name: 'sightline_problem_candidates',
    help: 'Problem candidates of the latest refresh, by review state and badge (frequent, rare, new).',
    labelNames: ['state', 'badge'],
    registers: [registry],
    async collect() {
      const rows = (await shared()).candidates;
      this.reset();
      for (const state of CANDIDATE_STATES)
        for (const badge of BADGES) this.set({ state, badge }, rows.find((r) => r.state === state && r.badge === badge)?.count ?? 0);
    },
  });
  new Gauge({
    name: 'sightline_problems',
    help: 'Problems by status (known_error: known errors with a published workaround).',
    labelNames: ['status'],
    registers: [registry],
    async collect() {
      const rows = (await shared()).problems;
      this.reset();
      for (const s of PROBLEM_STATUSES) this.set({ status: s }, rows.find((r) => r.status === s)?.count ?? 0);
    },
  });
  new Gauge({
    name: 'sightline_known_errors',
    help: 'Known errors: problems with a published workaround, not resolved yet.',
    registers: [registry],
    async collect() {
      this.set((await shared()).problems.find((r) => r.status === 'known_error')?.count ?? 0);
    },
  });
  const refreshErrors = new Counter({
    name: 'sightline_problem_refresh_errors_total',
    help: 'Candidate refreshes or known-error recognition passes that failed (and will be retried).',
    registers: [registry],
  });
  const refreshDuration = new Histogram({
    name: 'sightline_problem_refresh_duration_seconds',
    help: 'Duration of problem-candidate refreshes.',
    buckets: [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
    registers: [registry],
  });
  return { refreshErrors, refreshDuration };
}
