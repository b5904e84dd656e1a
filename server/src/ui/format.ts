import { DateTime } from 'luxon';
/** @module How the web UI writes times, durations and ratios (UTC, so every viewer reads the same). */

export function formatTime(ms: number | null): string {
  if (ms === null) return '—';
  return new Date(ms).toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
}

/** `2026-11-21 14:05 Europe/Berlin`: a time in a named IANA zone (UTC when none). */
export function formatTimeIn(ms: number, zone: string | null): string {
  if (!zone || zone === 'UTC') return formatTime(ms);
  return `${DateTime.fromMillis(ms, { zone }).toFormat('yyyy-MM-dd HH:mm')} ${zone}`;
}

/** `2026-11-21`: the calendar day of an instant in a named IANA zone (UTC when none). */
export function formatDayIn(ms: number, zone: string | null): string {
  return DateTime.fromMillis(ms, { zone: zone ?? 'UTC' }).toFormat('yyyy-MM-dd');
}

export function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}

/** A compact duration: 45 s, 12 min, 3 h 5 min, 2 d 4 h. */
export function formatDuration(ms: number): string {
  const sign = ms < 0 ? '−' : '';
  const s = Math.round(Math.abs(ms) / 1000);
  if (s < 60) return `${sign}${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${sign}${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${sign}${h} h${m % 60 ? ` ${m % 60} min` : ''}`;
  const d = Math.floor(h / 24);
  return `${sign}${d} d${h % 24 ? ` ${h % 24} h` : ''}`;
}

export function formatAgo(ms: number, now: number): string {
  const delta = now - ms;
  return delta >= 0 ? `${formatDuration(delta)} ago` : `in ${formatDuration(-delta)}`;
}

export function formatPercent(ratio: number | null, digits = 1): string {
  if (ratio === null || !Number.isFinite(ratio)) return '—';
  return `${(ratio * 100).toFixed(digits)} %`;
}

/** An SLI such as 99.95 %: enough digits to tell it from its objective. */
export function formatSli(ratio: number): string {
  return `${(Math.floor(ratio * 1e5) / 1e3).toFixed(3)} %`;
}
