/**
 * @module SLA period boundaries. Calendar periods (week, month, quarter) start at local
 * midnight in the policy's IANA time zone, expanded with luxon, so a month in
 * Europe/Berlin that contains a DST change is 743 or 745 hours, not 30 × 24. Weeks start
 * on Monday (ISO 8601). A rolling period of N days is the N × 24 h before `now`.
 * Periods are half-open: [start, end).
 */
import { DateTime } from 'luxon';
import type { SlaPeriod, TimeInterval } from '../domain/sla.js';

const DAY_MS = 86_400_000;
const ONE = { week: { weeks: 1 }, month: { months: 1 }, quarter: { quarters: 1 } } as const;

/** The period containing the instant `at` (for rolling periods: the one ending at `at`). */
export function periodContaining(period: SlaPeriod, at: number): TimeInterval {
  if (period.kind === 'rolling') return { start: at - period.days * DAY_MS, end: at };
  const start = DateTime.fromMillis(at, { zone: period.timeZone }).startOf(period.unit);
  return { start: start.toMillis(), end: start.plus(ONE[period.unit]).toMillis() };
}

/**
 * The consecutive periods that overlap [from, to), oldest first. Calendar periods are
 * whole (the first may start before `from`, the last may end after `to`); rolling periods
 * are laid back to back ending at `to`.
 */
export function periodsBetween(period: SlaPeriod, from: number, to: number, limit = 1000): TimeInterval[] {
  if (to <= from) return [];
  const out: TimeInterval[] = [];
  if (period.kind === 'rolling') {
    for (let end = to; end > from && out.length < limit; end -= period.days * DAY_MS) out.push({ start: end - period.days * DAY_MS, end });
    return out.reverse();
  }
  let current = periodContaining(period, from);
  while (current.start < to && out.length < limit) {
    out.push(current);
    current = periodContaining(period, current.end);
  }
  return out;
}


/** The period before the one containing `at` (rolling: the N days before the current N days). */
export function periodBefore(period: SlaPeriod, at: number): TimeInterval {
  const current = periodContaining(period, at);
  if (period.kind === 'rolling') return { start: current.start - period.days * DAY_MS, end: current.start };
  return periodContaining(period, current.start - 1);
}
