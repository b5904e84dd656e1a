import { describe, expect, it } from 'vitest';
import { scoreGrouping, type Assignment } from '../bench/storm/score.js';

/** Assignments from two parallel lists: predicted group and true fault of each alert. */
const zip = (predicted: (string | number)[], truth: string[]): Assignment[] => predicted.map((p, i) => ({ predicted: p, truth: truth[i] as string }));

describe('scoreGrouping', () => {
  it('scores a perfect grouping 1 everywhere', () => {
    const s = scoreGrouping(zip([1, 1, 2, 3, 3, 3], ['a', 'a', 'b', 'c', 'c', 'c']));
    expect(s).toEqual({ alerts: 6, faults: 3, incidents: 3, precision: 1, recall: 1, f1: 1, compression: 2, splitFaults: 0, mixedIncidents: 0 });
  });

  it('counts pairs from a hand-computed contingency table', () => {
    // Predicted {a,a} {a,b,b}: together pairs (a,a)+(b,b) = 2; predicted pairs 1+3 = 4; true pairs 3+1 = 4.
    const s = scoreGrouping(zip([1, 1, 2, 2, 2], ['a', 'a', 'a', 'b', 'b']));
    expect(s.precision).toBe(0.5);
    expect(s.recall).toBe(0.5);
    expect(s.f1).toBe(0.5);
    expect(s.compression).toBe(2.5);
    // Fault a is split over incidents 1 and 2; incident 2 mixes a and b.
    expect(s.splitFaults).toBe(1);
    expect(s.mixedIncidents).toBe(1);
  });

  it('puts over-merging on precision: everything in one incident', () => {
    // 4 alerts, 6 predicted pairs, 2 true pairs (a,a) (b,b).
    const s = scoreGrouping(zip([1, 1, 1, 1], ['a', 'a', 'b', 'b']));
    expect(s.recall).toBe(1);
    expect(s.precision).toBeCloseTo(2 / 6, 12);
    expect(s.f1).toBeCloseTo(0.5, 12);
    expect(s.compression).toBe(4);
    expect(s).toMatchObject({ splitFaults: 0, mixedIncidents: 1 });
  });

  it('puts under-merging on recall: every alert alone is the worst case', () => {
    const s = scoreGrouping(zip([1, 2, 3, 4], ['a', 'a', 'b', 'b']));
    expect(s).toMatchObject({ precision: 1, recall: 0, f1: 0, compression: 1, incidents: 4, faults: 2, splitFaults: 2, mixedIncidents: 0 });
  });

  it('scores zero when every predicted pair is wrong and no true pair is found', () => {
    const s = scoreGrouping(zip([1, 2, 1, 2], ['a', 'a', 'b', 'b']));
    expect(s).toMatchObject({ precision: 0, recall: 0, f1: 0 });
  });

  it('keeps the number 1 and the string "1" apart as group ids', () => {
    const s = scoreGrouping(zip([1, '1'], ['a', 'a']));
    expect(s.incidents).toBe(2);
    expect(s.recall).toBe(0);
  });

  it('agrees with counting every pair on a random grouping', () => {
    let x = 7;
    const next = () => (x = (x * 1_103_515_245 + 12_345) % 2 ** 31);
    const items = Array.from({ length: 300 }, () => ({ predicted: next() % 17, truth: `f${next() % 11}` }));
    let both = 0;
    let predicted = 0;
    let truth = 0;
    for (let i = 0; i < items.length; i++) {
      for (let j = i + 1; j < items.length; j++) {
        const p = items[i]?.predicted === items[j]?.predicted;
        const t = items[i]?.truth === items[j]?.truth;
        if (p) predicted++;
        if (t) truth++;
        if (p && t) both++;
      }
    }
    const s = scoreGrouping(items);
    expect(s.precision).toBeCloseTo(both / predicted, 12);
    expect(s.recall).toBeCloseTo(both / truth, 12);
  });

  // 200,000 items are 2·10^10 pairs: a pair loop would not finish within the test timeout.
  it('scores a large storm from group sizes, not by visiting pairs', () => {
    const items = Array.from({ length: 200_000 }, (_, i) => ({ predicted: Math.floor(i / 50), truth: `f${Math.floor(i / 100)}` }));
    const s = scoreGrouping(items);
    expect(s.precision).toBe(1);
    expect(s.recall).toBeCloseTo((2 * 1225) / 4950, 12);
  });
});
