/**
 * @module On-call shifts as an iCalendar feed (RFC 5545) for calendar apps: one VEVENT per
 * shift, times in UTC. A shift's UID derives from its schedule, layer, person and start, so a
 * client that refreshes the feed updates the same event (an override that shortens a shift
 * changes its end, not its identity).
 */
import ical from 'ical-generator';
import type { Shift } from '../domain/oncall.js';

export interface FeedShift {
  schedule: string;
  shift: Shift;
}

export function shiftUid(schedule: string, shift: Shift): string {
  return `oncall.${schedule}.${shift.layer}.${shift.user}.${new Date(shift.from).toISOString()}@sightline`;
}

/** The feed's text; `now` stamps each event (DTSTAMP), so the same shifts at the same time give the same text. */
export function shiftsCalendar(name: string, shifts: FeedShift[], now: number): string {
  const calendar = ical({ name, prodId: { company: 'Sightline', product: 'On call', language: 'EN' } });
  for (const { schedule, shift } of shifts) {
    calendar.createEvent({
      id: shiftUid(schedule, shift),
      start: new Date(shift.from),
      end: new Date(shift.to),
      stamp: new Date(now),
      summary: `On call: ${shift.user} (${schedule})`,
      description: shift.layer === 'override' ? `${shift.user} covers ${schedule} (override)` : `${shift.user} is on call for ${schedule}, layer ${shift.layer}`,
    });
  }
  return calendar.toString();
}
