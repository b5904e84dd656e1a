/**
 * @module Interval arithmetic on half-open intervals [start, end) in epoch milliseconds.
 * Every function returns a normalised list: sorted by start, non-empty, disjoint and not
 * touching (so [0,5) and [5,9) become [0,9)). Inputs need not be normalised.
 */
import type { TimeInterval } from '../domain/sla.js';

/** Union of any intervals: overlapping or touching ones merge; empty ones vanish. */
export function mergeIntervals(intervals: readonly TimeInterval[]): TimeInterval[] {
  const sorted = intervals.filter((i) => i.end > i.start).sort((a, b) => a.start - b.start || a.end - b.end);
  const out: TimeInterval[] = [];
  for (const { start, end } of sorted) {
    const last = out[out.length - 1];
    if (last && start <= last.end) last.end = Math.max(last.end, end);
    else out.push({ start, end });
  }
  return out;
}

/** Union of several lists. */
export function unionIntervals(...lists: readonly (readonly TimeInterval[])[]): TimeInterval[] {
  return mergeIntervals(lists.flat());
}

/** Time covered by both lists. */
export function intersectIntervals(a: readonly TimeInterval[], b: readonly TimeInterval[]): TimeInterval[] {
  const x = mergeIntervals(a);
  const y = mergeIntervals(b);
  const out: TimeInterval[] = [];
  let i = 0;
  let j = 0;
  while (i < x.length && j < y.length) {
    const p = x[i] as TimeInterval;
    const q = y[j] as TimeInterval;
    const start = Math.max(p.start, q.start);
    const end = Math.min(p.end, q.end);
    if (end > start) out.push({ start, end });
    if (p.end < q.end) i++;
    else j++;
  }
  return mergeIntervals(out);
}

/** Time covered by every list; an empty list of lists covers nothing. */
export function intersectAll(lists: readonly (readonly TimeInterval[])[]): TimeInterval[] {
  if (lists.length === 0) return [];
  return lists.slice(1).reduce<TimeInterval[]>((acc, list) => intersectIntervals(acc, list), mergeIntervals(lists[0] as TimeInterval[]));
}

/** Time in `a` that is not in `b`. */
export function subtractIntervals(a: readonly TimeInterval[], b: readonly TimeInterval[]): TimeInterval[] {
  const cut = mergeIntervals(b);
  const out: TimeInterval[] = [];
  for (const piece of mergeIntervals(a)) {
    let start = piece.start;
    for (const c of cut) {
      if (c.end <= start) continue;
      if (c.start >= piece.end) break;
      if (c.start > start) out.push({ start, end: c.start });
      start = Math.max(start, c.end);
      if (start >= piece.end) break;
    }
    if (start < piece.end) out.push({ start, end: piece.end });
  }
  return out;
}

/** The parts of `intervals` inside [from, to). */
export function clipIntervals(intervals: readonly TimeInterval[], from: number, to: number): TimeInterval[] {
  return intersectIntervals(intervals, [{ start: from, end: to }]);
}

/** Total length in milliseconds, overlaps counted once. */
export function totalMs(intervals: readonly TimeInterval[]): number {
  return mergeIntervals(intervals).reduce((sum, i) => sum + (i.end - i.start), 0);
}
