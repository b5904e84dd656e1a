/**
 * @module Prometheus-style durations ("90s", "10m", "1h30m", "7d") used in configuration.
 */
import { z } from 'zod';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000, y: 31_536_000_000 };
const WHOLE = /^(?:\d+(?:ms|s|m|h|d|w|y))+$/;
const PART = /(\d+)(ms|s|m|h|d|w|y)/g;

/** Milliseconds, or null when `text` is not a duration or too long to count exactly in milliseconds. */
export function parseDuration(text: string): number | null {
  const trimmed = text.trim();
  if (trimmed === '0') return 0;
  if (!WHOLE.test(trimmed)) return null;
  let total = 0;
  for (const match of trimmed.matchAll(PART)) total += Number(match[1]) * (UNIT_MS[match[2] ?? ''] ?? 0);
  return Number.isSafeInteger(total) ? total : null;
}

const FORMAT_UNITS: readonly [string, number][] = [
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1000],
  ['ms', 1],
];

/** The shortest text `parseDuration` reads back as `ms` ("4h", "1h30m", "0"); weeks and years are written as days. */
export function formatDuration(ms: number): string {
  if (ms <= 0) return '0';
  let rest = Math.floor(ms);
  let text = '';
  for (const [unit, size] of FORMAT_UNITS) {
    const n = Math.floor(rest / size);
    if (n > 0) text += `${n}${unit}`;
    rest -= n * size;
  }
  return text;
}

/**
 * A configuration duration: a string with its unit such as `10m`, or 0. A bare number is an
 * error, not seconds: `joinWindow: 10` meant as minutes would otherwise be taken as 10 s.
 */
export const Duration = z.union([z.string(), z.number()], { error: 'expected a duration with a unit, e.g. "30s", "10m", "1h30m", "7d"' }).transform((value, ctx) => {
  if (value === 0) return 0;
  const text = String(value).trim();
  if (/^\d+$/.test(text)) {
    ctx.addIssue({ code: 'custom', message: `${text} has no unit: write e.g. "${text}s" or "${text}m" (units: ms, s, m, h, d, w, y)` });
    return z.NEVER;
  }
  const ms = parseDuration(text);
  if (ms === null) {
    ctx.addIssue({ code: 'custom', message: `not a duration: ${JSON.stringify(value)} (use e.g. 30s, 10m, 1h30m, 7d)` });
    return z.NEVER;
  }
  return ms;
});
