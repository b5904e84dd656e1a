import { describe, expect, it } from 'vitest';
import { adjustedRandIndex, completeness, homogeneity, normalizedMutualInformation } from '../bench/cluster-scores.js';

// Reference values computed with scikit-learn 1.x (adjusted_rand_score, normalized_mutual_info_score,
// homogeneity_score, completeness_score) on the same label vectors.
describe('clustering scores', () => {
  it('are 1 for identical partitions up to renaming', () => {
    const t = [0, 0, 1, 1, 2, 2];
    const p = ['b', 'b', 'a', 'a', 'c', 'c'];
    expect(adjustedRandIndex(t, p)).toBeCloseTo(1, 12);
    expect(normalizedMutualInformation(t, p)).toBeCloseTo(1, 12);
    expect(homogeneity(t, p)).toBeCloseTo(1, 12);
    expect(completeness(t, p)).toBeCloseTo(1, 12);
  });

  it('match known values', () => {
    // sklearn: adjusted_rand_score([0,0,1,1],[0,0,1,2]) = 0.5714285714285715
    expect(adjustedRandIndex([0, 0, 1, 1], [0, 0, 1, 2])).toBeCloseTo(0.5714285714285715, 12);
    // sklearn: adjusted_rand_score([0,0,0,1,1,1],[0,0,1,1,2,2]) = 0.24242424242424243
    expect(adjustedRandIndex([0, 0, 0, 1, 1, 1], [0, 0, 1, 1, 2, 2])).toBeCloseTo(0.24242424242424243, 12);
    // sklearn: adjusted_rand_score([0,0,1,1],[0,1,0,1]) = -0.5
    expect(adjustedRandIndex([0, 0, 1, 1], [0, 1, 0, 1])).toBeCloseTo(-0.5, 12);
    // sklearn: normalized_mutual_info_score([0,0,1,1],[0,0,1,2]) = 0.8
    expect(normalizedMutualInformation([0, 0, 1, 1], [0, 0, 1, 2])).toBeCloseTo(0.8, 12);
    // sklearn: homogeneity_score([0,0,1,1],[0,0,1,2]) = 1.0, completeness_score(...) = 0.6666666666666666
    expect(homogeneity([0, 0, 1, 1], [0, 0, 1, 2])).toBeCloseTo(1, 12);
    expect(completeness([0, 0, 1, 1], [0, 0, 1, 2])).toBeCloseTo(2 / 3, 12);
    // sklearn: homogeneity_score([0,0,1,1],[0,0,0,0]) = 0.0, completeness = 1.0
    expect(homogeneity([0, 0, 1, 1], [0, 0, 0, 0])).toBeCloseTo(0, 12);
    expect(completeness([0, 0, 1, 1], [0, 0, 0, 0])).toBeCloseTo(1, 12);
  });

  it('rejects vectors of different lengths', () => {
    expect(() => adjustedRandIndex([0], [0, 1])).toThrow(/length/);
  });
});
