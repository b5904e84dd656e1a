/**
 * @module Seeded disk-utilisation profiles for the capacity bench and tests: five-minute
 * samples (0–1, clipped at 1) from `START`, a Monday 00:00 UTC. Each day's fill rate varies
 * at random around its mean (±30 %), samples carry Gaussian noise, so the moment the disk is
 * full is known only by running the series forward: `fullAt` is the end of the first hour
 * whose average reaches 1 (full as the server measures it, on hourly averages).
 */
import { mulberry32 } from '../../server/src/problems/seeded-random.js';

export const START = Date.parse('2026-10-05T00:00:00Z');
export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;
export const STEP = 5 * MINUTE;

export type ProfileName = 'linear' | 'daily' | 'weekly' | 'step' | 'sawtooth' | 'flat';
export const PROFILES: ProfileName[] = ['linear', 'daily', 'weekly', 'step', 'sawtooth', 'flat'];

export interface Profile {
  name: ProfileName;
  /** Does the disk fill up? */
  fills: boolean;
  /** Five-minute samples from START to START + days. */
  samples: { at: number; value: number }[];
  /** End of the first hour averaging 1 (null: never within the generated days). */
  fullAt: number | null;
}

interface Shape {
  fills: boolean;
  base: number;
  /** Mean fill per day. */
  rate: number;
  /** Seasonal part at time `t` (ms since START). */
  season: (t: number) => number;
  /** Day and size of a clean-up. */
  cleanup?: { day: number; freed: number };
}

const hourOfDay = (t: number) => (t % DAY) / HOUR;
const dailySine = (amplitude: number, peakHour: number) => (t: number) => amplitude * Math.cos((2 * Math.PI * (hourOfDay(t) - peakHour)) / 24);

const SHAPES: Record<ProfileName, Shape> = {
  // 3 %/day.
  linear: { fills: true, base: 0.2, rate: 0.03, season: () => 0 },
  // 2.5 %/day under a ±6 % daily cycle peaking at 14:00 (temporary files of the day's work).
  daily: { fills: true, base: 0.25, rate: 0.025, season: dailySine(0.06, 14) },
  // 1.2 %/day, a small daily cycle and weekend backups staged on the disk: +15 % from Saturday 00:00 to Sunday 12:00.
  weekly: {
    fills: true,
    base: 0.35,
    rate: 0.012,
    season: (t) => {
      const dow = Math.floor(t / DAY) % 7; // 0 = Monday
      const inBackup = dow === 5 || (dow === 6 && hourOfDay(t) < 12);
      return dailySine(0.02, 15)(t) + (inBackup ? 0.15 : 0);
    },
  },
  // 2 %/day; 30 % freed on day 12, then filling on.
  step: { fills: true, base: 0.45, rate: 0.02, season: dailySine(0.02, 10), cleanup: { day: 12, freed: 0.3 } },
  // Logs grow 35 → 65 % each day and are rotated at 03:00: flat peaks.
  sawtooth: { fills: false, base: 0.35, rate: 0, season: (t) => 0.3 * (((hourOfDay(t) - 3 + 24) % 24) / 24) },
  // 60 % with a small daily cycle.
  flat: { fills: false, base: 0.6, rate: 0, season: dailySine(0.01, 12) },
};

function gaussian(random: () => number): number {
  const u = Math.max(random(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

/** The profile's samples over `days` days; `seed` draws each day's rate and the noise. */
export function generateProfile(name: ProfileName, seed: number, days: number): Profile {
  const shape = SHAPES[name];
  const random = mulberry32(seed * 7919 + PROFILES.indexOf(name) * 104729);
  const samples: { at: number; value: number }[] = [];
  let filled = 0;
  let rate = shape.rate;
  let fullAt: number | null = null;
  for (let t = 0; t < days * DAY; t += STEP) {
    if (t % DAY === 0) rate = shape.rate * (1 + 0.6 * (random() - 0.5));
    filled += (rate * STEP) / DAY;
    if (shape.cleanup && t === shape.cleanup.day * DAY) filled -= shape.cleanup.freed;
    const value = Math.min(1, Math.max(0, shape.base + filled + shape.season(t) + 0.004 * gaussian(random)));
    samples.push({ at: START + t, value });
  }
  for (let i = 0; i + 12 <= samples.length && fullAt === null; i += 12) {
    const hour = samples.slice(i, i + 12);
    if (hour.reduce((sum, s) => sum + s.value, 0) / 12 >= 1 - 1e-9) fullAt = (hour[0] as { at: number }).at + HOUR;
  }
  return { name, fills: shape.fills, samples, fullAt };
}
