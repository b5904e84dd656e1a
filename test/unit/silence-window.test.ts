/** The time range of a new silence: each way it can be wrong names its field. */
import { describe, expect, it } from 'vitest';
import { clampSilenceTime, LATEST_SILENCE_TIME, resolveSilenceWindow, type SilenceEnd } from '../../server/src/domain/silence.js';

const NOW = Date.parse('2026-11-21T04:00:00.000Z');
const H = 3_600_000;

describe('resolveSilenceWindow', () => {
  it.each<[string, number | null, SilenceEnd, { startsAt: number; endsAt: number }]>([
    ['from now for a duration', null, { after: 2 * H }, { startsAt: NOW, endsAt: NOW + 2 * H }],
    ['from a given start for a duration', NOW + H, { after: H }, { startsAt: NOW + H, endsAt: NOW + 2 * H }],
    ['from a past start until a time', NOW - H, { at: NOW + H }, { startsAt: NOW - H, endsAt: NOW + H }],
    ['until the last instant RFC 3339 can write', null, { at: LATEST_SILENCE_TIME }, { startsAt: NOW, endsAt: LATEST_SILENCE_TIME }],
  ])('accepts a silence %s', (_name, startsAt, end, window) => {
    expect(resolveSilenceWindow(startsAt, end, NOW)).toEqual({ ok: true, value: window });
  });

  it.each<[string, number | null, SilenceEnd, string, string]>([
    ['a duration ending past year 9999', null, { after: 99_999_999 * 24 * H }, 'duration', 'duration is too long'],
    ['a duration too long to count', null, { after: Number.POSITIVE_INFINITY }, 'duration', 'positive duration'],
    ['a zero duration', null, { after: 0 }, 'duration', 'positive duration'],
    ['an end past year 9999', null, { at: LATEST_SILENCE_TIME + 1 }, 'endsAt', 'endsAt must lie between'],
    ['an end that is not a time', null, { at: Number.NaN }, 'endsAt', 'endsAt must lie between'],
    ['a start before 1970', -1, { at: NOW + H }, 'startsAt', 'startsAt must lie between'],
    ['a start past year 9999', LATEST_SILENCE_TIME + 1, { after: H }, 'startsAt', 'startsAt must lie between'],
    ['an end before its start', NOW + 2 * H, { at: NOW + H }, 'endsAt', 'endsAt must be after startsAt'],
    ['an end in the past', NOW - 2 * H, { at: NOW - H }, 'endsAt', 'in the past'],
    ['a duration ending in the past', NOW - 2 * H, { after: H }, 'duration', 'in the past'],
  ])('refuses %s, naming the field', (_name, startsAt, end, field, message) => {
    const result = resolveSilenceWindow(startsAt, end, NOW);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error).toMatchObject({ code: 'VALIDATION', details: { field } });
    expect(result.error.message).toContain(message);
  });
});

describe('clampSilenceTime', () => {
  it('brings any stored time into the range a listing can show', () => {
    expect(clampSilenceTime(NOW)).toBe(NOW);
    expect(new Date(clampSilenceTime(NOW + 99_999_999 * 24 * H)).toISOString()).toBe('9999-12-31T23:59:59.999Z');
    expect(clampSilenceTime(-1)).toBe(0);
  });
});
