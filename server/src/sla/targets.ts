/**
 * @module Response and resolution targets of an incident on a business calendar. The
 * clock runs in business time from the incident's opening, pauses while the incident is
 * on hold, and stops at acknowledge (response) or resolve (resolution). Warnings at 75 %
 * and 90 % of the target; breached once more business time than the target has passed.
 */
import type { BusinessCalendar, TimeInterval } from '../domain/sla.js';
import { addBusinessMs, businessMsBetween } from './calendar.js';

export const WARNING_PERCENTS = [75, 90] as const;
export type TargetState = 'ok' | 'warning-75' | 'warning-90' | 'breached';

export interface TargetClock {
  calendar: BusinessCalendar;
  /** When the clock starts: the incident's opening. */
  startedAt: number;
  targetMs: number;
  /** When the clock stops for good (acknowledge for response, resolve for resolution); null while running. */
  stoppedAt: number | null;
  /** Hold periods; `end: null` for a hold still in progress. */
  holds: readonly { start: number; end: number | null }[];
}

export interface TargetEvaluation {
  /** When the target is (or was) due; null while on an open hold, since the clock is stopped. */
  dueAt: number | null;
  /** Business milliseconds used until `stoppedAt` or `now`. */
  elapsedMs: number;
  /** elapsedMs / targetMs × 100, not capped. */
  percentElapsed: number;
  breached: boolean;
  /** True when the clock has stopped within the target; false when stopped late; null while running. */
  met: boolean | null;
  state: TargetState;
  /** The instants at which 75 % and 90 % of the target are (or were) used; null when not reached under the current holds. */
  warningAt: Record<(typeof WARNING_PERCENTS)[number], number | null>;
  paused: boolean;
}

/** Where a target stands at `now` (event time). */
export function evaluateTarget(clock: TargetClock, now: number): TargetEvaluation {
  const holds: TimeInterval[] = clock.holds.map((h) => ({ start: h.start, end: h.end ?? Number.POSITIVE_INFINITY }));
  const until = Math.min(clock.stoppedAt ?? now, now);
  const elapsedMs = until > clock.startedAt ? businessMsBetween(clock.calendar, clock.startedAt, until, holds) : 0;
  const breached = elapsedMs > clock.targetMs;
  // Thresholds compare in integers: elapsed × 100 ≥ percent × target.
  const state: TargetState = breached ? 'breached' : elapsedMs * 100 >= 90 * clock.targetMs ? 'warning-90' : elapsedMs * 100 >= 75 * clock.targetMs ? 'warning-75' : 'ok';
  const at = (percent: number) => addBusinessMs(clock.calendar, clock.startedAt, Math.ceil((clock.targetMs * percent) / 100), holds);
  return {
    dueAt: at(100),
    elapsedMs,
    percentElapsed: (elapsedMs / clock.targetMs) * 100,
    breached,
    met: clock.stoppedAt === null || clock.stoppedAt > now ? null : !breached,
    state,
    warningAt: { 75: at(75), 90: at(90) },
    paused: holds.some((h) => h.start <= now && now < h.end) && (clock.stoppedAt === null || clock.stoppedAt > now),
  };
}
