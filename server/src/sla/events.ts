/**
 * @module Event-based SLIs (requests, probes): good events over all events, with the same
 * exact ppm arithmetic as the time-based SLI. Three common ways to aggregate slices
 * differ (sla-vectors V10); `summariseSlices` gives all three so a report can say which.
 */
import { PPM } from '../domain/sla.js';

/** The most bad events the objective allows among `total`: floor(total × (1e6 − ppm) / 1e6), exactly. */
export function allowedBadEvents(total: number, objectivePpm: number): number {
  return Number((BigInt(total) * BigInt(PPM - objectivePpm)) / BigInt(PPM));
}

export interface EventSlice {
  total: number;
  bad: number;
}

export interface SliceSummary {
  /** Σ good / Σ total: every event weighs the same. */
  occurrences: number;
  /** Mean of the slices' ratios: every slice weighs the same. */
  meanOfSlices: number;
  /** Share of slices whose own ratio meets the objective. */
  goodSlices: number;
}

/** Slices without events are left out. Null when no slice has events. */
export function summariseSlices(slices: readonly EventSlice[], objectivePpm: number): SliceSummary | null {
  const used = slices.filter((s) => s.total > 0);
  if (used.length === 0) return null;
  const total = used.reduce((n, s) => n + s.total, 0);
  const bad = used.reduce((n, s) => n + s.bad, 0);
  // good / total ≥ ppm / 1e6, compared in integers.
  const meets = (s: EventSlice) => BigInt(s.total - s.bad) * BigInt(PPM) >= BigInt(objectivePpm) * BigInt(s.total);
  return {
    occurrences: (total - bad) / total,
    meanOfSlices: used.reduce((sum, s) => sum + (s.total - s.bad) / s.total, 0) / used.length,
    goodSlices: used.filter(meets).length / used.length,
  };
}
