import { describe, expect, it } from 'vitest';
import { canChangeProblemStatus, nextCandidateState, type CandidateAction, type CandidateState, type ProblemStatus } from '../../server/src/domain/problem.js';

describe('candidate review', () => {
  const table: [CandidateState, CandidateAction, CandidateState | null][] = [
    ['new', 'review', 'under_review'],
    ['new', 'dismiss', 'dismissed'],
    ['new', 'promote', 'promoted'],
    ['under_review', 'review', null],
    ['under_review', 'dismiss', 'dismissed'],
    ['under_review', 'promote', 'promoted'],
    ['dismissed', 'review', null],
    ['dismissed', 'dismiss', null],
    ['dismissed', 'promote', 'promoted'],
    ['promoted', 'review', null],
    ['promoted', 'dismiss', null],
    ['promoted', 'promote', null],
  ];
  it.each(table)('%s + %s → %s', (from, action, to) => {
    expect(nextCandidateState(from, action)).toBe(to);
  });
});

describe('problem status', () => {
  const table: [ProblemStatus, ProblemStatus, boolean][] = [
    ['open', 'known_error', true],
    ['open', 'resolved', true],
    ['known_error', 'resolved', true],
    ['known_error', 'open', true],
    ['resolved', 'open', true],
    ['resolved', 'known_error', false],
    ['open', 'open', true],
  ];
  it.each(table)('%s → %s allowed: %s', (from, to, allowed) => {
    expect(canChangeProblemStatus(from, to)).toBe(allowed);
  });
});
