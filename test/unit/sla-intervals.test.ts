import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { TimeInterval } from '../../server/src/domain/sla.js';
import { clipIntervals, intersectAll, intersectIntervals, mergeIntervals, subtractIntervals, totalMs, unionIntervals } from '../../server/src/sla/intervals.js';

const iv = (start: number, end: number): TimeInterval => ({ start, end });

describe('interval arithmetic on half-open intervals', () => {
  it('merges overlapping and touching intervals, drops empty ones, sorts', () => {
    expect(mergeIntervals([iv(20, 30), iv(0, 5), iv(5, 9), iv(3, 4), iv(40, 40), iv(25, 35)])).toEqual([iv(0, 9), iv(20, 35)]);
  });

  it('does not change its input', () => {
    const input = [iv(0, 5), iv(3, 8)];
    mergeIntervals(input);
    expect(input).toEqual([iv(0, 5), iv(3, 8)]);
  });

  it('intersects, subtracts and clips', () => {
    expect(intersectIntervals([iv(0, 10), iv(20, 30)], [iv(5, 25)])).toEqual([iv(5, 10), iv(20, 25)]);
    expect(subtractIntervals([iv(0, 10), iv(20, 30)], [iv(5, 22), iv(25, 26)])).toEqual([iv(0, 5), iv(22, 25), iv(26, 30)]);
    expect(subtractIntervals([iv(0, 10)], [iv(0, 10)])).toEqual([]);
    expect(clipIntervals([iv(-5, 5), iv(8, 20)], 0, 10)).toEqual([iv(0, 5), iv(8, 10)]);
  });

  it('intersects three lists; a list that is never down empties the result', () => {
    expect(intersectAll([[iv(0, 30)], [iv(10, 40)], [iv(20, 50)]])).toEqual([iv(20, 30)]);
    expect(intersectAll([[iv(0, 30)], [iv(10, 40)], []])).toEqual([]);
    expect(intersectAll([])).toEqual([]);
  });

  it('counts overlaps once', () => {
    expect(totalMs([iv(0, 30), iv(15, 45), iv(60, 65)])).toBe(50);
  });

  const list = fc.array(
    fc.tuple(fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 0, max: 200 })).map(([s, l]) => iv(s, s + l)),
    { maxLength: 12 },
  );

  it('keeps |A ∪ B| + |A ∩ B| = |A| + |B| and |A − B| = |A| − |A ∩ B|', () => {
    fc.assert(
      fc.property(list, list, (a, b) => {
        expect(totalMs(unionIntervals(a, b)) + totalMs(intersectIntervals(a, b))).toBe(totalMs(a) + totalMs(b));
        expect(totalMs(subtractIntervals(a, b))).toBe(totalMs(a) - totalMs(intersectIntervals(a, b)));
      }),
    );
  });

  it('returns normalised lists: sorted, disjoint, not touching, non-empty', () => {
    fc.assert(
      fc.property(list, list, (a, b) => {
        for (const out of [unionIntervals(a, b), intersectIntervals(a, b), subtractIntervals(a, b)])
          out.forEach((x, i) => {
            expect(x.end).toBeGreaterThan(x.start);
            if (i > 0) expect(x.start).toBeGreaterThan(out[i - 1]!.end);
          });
      }),
    );
  });
});
