/**
 * @module Who is on call: a schedule's layers and overrides resolved into shifts. Pure and
 * deterministic. Hand-offs are computed with luxon in each layer's own zone, so a daily
 * 09:00 Europe/Berlin hand-off stays at 09:00 local across DST changes (08:00Z in winter,
 * 07:00Z in summer); a fixed-span hand-off (`every: 12h`) is real elapsed time.
 */
import { DateTime } from 'luxon';
import type { Schedule, ScheduleLayer, Shift } from '../domain/oncall.js';
import type { TimeInterval } from '../domain/sla.js';
import { workingIntervals } from '../sla/calendar.js';

const DAY_MS = 86_400_000;
/** The longest range resolved at once: a calendar feed or a page shows weeks, not years. */
export const MAX_RESOLVE_MS = 400 * DAY_MS;

/** The instant of a layer's `k`-th hand-off (k = 0: its start). */
function handOffAt(layer: ScheduleLayer, start: DateTime, k: number): number {
  switch (layer.handOff.kind) {
    case 'daily':
      return start.plus({ days: k }).toMillis();
    case 'weekly':
      return start.plus({ weeks: k }).toMillis();
    case 'every':
      return start.toMillis() + k * layer.handOff.ms;
  }
}

function nominalLength(layer: ScheduleLayer): number {
  return layer.handOff.kind === 'daily' ? DAY_MS : layer.handOff.kind === 'weekly' ? 7 * DAY_MS : layer.handOff.ms;
}

/** The layer's rotation over [from, to), before its hours are applied: nobody before its start. */
export function rotationShifts(layer: ScheduleLayer, from: number, to: number): Shift[] {
  const start = DateTime.fromISO(layer.start, { zone: layer.timeZone });
  if (!start.isValid || layer.users.length === 0) return [];
  const first = start.toMillis();
  const begin = Math.max(from, first);
  if (begin >= to) return [];
  // Estimate the shift that holds `begin`, then step to it exactly (a DST change moves local days by an hour).
  let k = Math.max(0, Math.floor((begin - first) / nominalLength(layer)) - 1);
  while (handOffAt(layer, start, k + 1) <= begin) k++;
  while (k > 0 && handOffAt(layer, start, k) > begin) k--;
  const out: Shift[] = [];
  for (let at = handOffAt(layer, start, k); at < to; k++) {
    const next = handOffAt(layer, start, k + 1);
    if (next > begin) out.push({ user: layer.users[k % layer.users.length] as string, from: Math.max(at, begin), to: Math.min(next, to), layer: layer.name });
    at = next;
  }
  return out;
}

/** The layer's shifts over [from, to), cut to the weekly hours it covers. */
export function layerShifts(layer: ScheduleLayer, from: number, to: number): Shift[] {
  const shifts = rotationShifts(layer, from, to);
  if (layer.hours === null || shifts.length === 0) return shifts;
  const open: TimeInterval[] = workingIntervals(layer.hours, from, to);
  const out: Shift[] = [];
  for (const shift of shifts) {
    for (const w of open) {
      const a = Math.max(shift.from, w.start);
      const b = Math.min(shift.to, w.end);
      if (a < b) out.push({ ...shift, from: a, to: b });
    }
  }
  return out;
}

/**
 * Who is on call over [from, to): a later layer covers an earlier one wherever it has someone,
 * an override covers every layer (a later override an earlier one). Adjacent pieces of the same
 * person from the same layer are one shift. Gaps (nobody on call) are simply absent.
 */
export function shiftsBetween(schedule: Schedule, from: number, to: number): Shift[] {
  if (!(from < to)) return [];
  const end = Math.min(to, from + MAX_RESOLVE_MS);
  // Candidates with their rank: layers in order, then overrides in the order they were made.
  const pieces: (Shift & { rank: number })[] = [];
  schedule.layers.forEach((layer, rank) => {
    for (const s of layerShifts(layer, from, end)) pieces.push({ ...s, rank });
  });
  [...schedule.overrides]
    .sort((a, b) => a.id - b.id)
    .forEach((o, i) => {
      const a = Math.max(o.from, from);
      const b = Math.min(o.to, end);
      if (a < b) pieces.push({ user: o.user, from: a, to: b, layer: 'override', rank: schedule.layers.length + i });
    });
  const bounds = [...new Set(pieces.flatMap((p) => [p.from, p.to]))].sort((a, b) => a - b);
  const out: Shift[] = [];
  for (let i = 0; i + 1 < bounds.length; i++) {
    const a = bounds[i] as number;
    const b = bounds[i + 1] as number;
    let top: (Shift & { rank: number }) | null = null;
    for (const p of pieces) if (p.from <= a && p.to >= b && (top === null || p.rank > top.rank)) top = p;
    if (!top) continue;
    const last = out[out.length - 1];
    if (last && last.to === a && last.user === top.user && last.layer === top.layer) last.to = b;
    else out.push({ user: top.user, from: a, to: b, layer: top.layer });
  }
  return out;
}

/** The shift that holds `at` (whole, as far as a few weeks either side), or null when nobody is on call. */
export function onCallAt(schedule: Schedule, at: number): Shift | null {
  const longest = Math.max(7 * DAY_MS, ...schedule.layers.map(nominalLength));
  const reach = Math.min(2 * longest, MAX_RESOLVE_MS / 2);
  return shiftsBetween(schedule, at - reach, at + reach).find((s) => s.from <= at && at < s.to) ?? null;
}

/** The shift after the one that holds `at` (or the first after `at` when nobody is on call then). */
export function nextOnCall(schedule: Schedule, at: number): Shift | null {
  const longest = Math.max(7 * DAY_MS, ...schedule.layers.map(nominalLength));
  return shiftsBetween(schedule, at, at + Math.min(3 * longest, MAX_RESOLVE_MS)).find((s) => s.from > at) ?? null;
}
