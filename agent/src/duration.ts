/** @module Durations in config ("500ms", "15s", "1m", "2h", "1d") parsed to milliseconds. */

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Milliseconds for a duration string, or null when it is not one. */
export function parseDuration(input: string): number | null {
  let total = 0;
  let rest = input.trim();
  if (rest === '') return null;
  // Compound forms like "1m30s" are read piece by piece.
  while (rest.length > 0) {
    const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)/.exec(rest);
    if (!match) return null;
    total += Number(match[1]) * (UNITS[match[2] as string] as number);
    rest = rest.slice(match[0].length);
  }
  return total;
}

/** "90000" → "1m30s": for logs and annotations. */
export function formatDuration(ms: number): string {
  if (ms % 3_600_000 === 0 && ms > 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0 && ms > 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}
