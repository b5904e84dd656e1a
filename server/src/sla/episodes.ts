/**
 * @module Past firing episodes of one alert from its event log. The alerts table keeps
 * only an alert's latest episode; each earlier one is still in the log as its events,
 * which share the episode's `startsAt` (the log's identity is source, fingerprint, status,
 * startsAt). An episode runs from that `startsAt` to the `endsAt` of its resolved event,
 * else to the lease end (`endsAt`) of its firing event, else it is open-ended; it never
 * runs past the start of the next episode of the same alert (a sender that re-fires with a
 * new start has ended the previous one).
 */
import type { AlertSpan } from './outages.js';

export interface EpisodeEvent {
  status: 'firing' | 'resolved';
  startsAt: number;
  endsAt: number | null;
}

/** Episodes of one alert, oldest first; `nextStart` is the start of the episode after these (the alert's current one). */
export function episodesFromEvents(events: readonly EpisodeEvent[], nextStart: number | null): AlertSpan[] {
  const byStart = new Map<number, { resolved: number | null; lease: number | null }>();
  for (const e of events) {
    const ep = byStart.get(e.startsAt) ?? { resolved: null, lease: null };
    if (e.status === 'resolved' && e.endsAt !== null) ep.resolved = ep.resolved === null ? e.endsAt : Math.max(ep.resolved, e.endsAt);
    if (e.status === 'firing' && e.endsAt !== null) ep.lease = ep.lease === null ? e.endsAt : Math.max(ep.lease, e.endsAt);
    byStart.set(e.startsAt, ep);
  }
  const starts = [...byStart.keys()].sort((a, b) => a - b);
  return starts.map((startsAt, i) => {
    const ep = byStart.get(startsAt) as { resolved: number | null; lease: number | null };
    const cap = starts[i + 1] ?? nextStart;
    const own = ep.resolved ?? ep.lease;
    const endsAt = own === null ? cap : cap === null ? own : Math.min(own, cap);
    return { startsAt, endsAt };
  });
}
