/** RFC 3339 times with an offset, and the skew window around now, as every time input reads them. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_TIME_SKEW, parseRfc3339, timeSkewProblem } from '../../server/src/domain/time.js';

const NOW = Date.parse('2026-11-21T04:45:00.000Z');
const HOUR = 3_600_000;
const DAY = 86_400_000;

describe('parseRfc3339', () => {
  it.each([
    ['2026-11-21T04:00:00Z', Date.UTC(2026, 10, 21, 4)],
    ['2026-11-21T04:00:00.123Z', Date.UTC(2026, 10, 21, 4, 0, 0, 123)],
    ['2026-11-21T04:00:00.123456789Z', Date.UTC(2026, 10, 21, 4, 0, 0, 123)],
    ['2026-11-21T06:00:00+02:00', Date.UTC(2026, 10, 21, 4)],
    ['2026-11-20T23:00:00-05:00', Date.UTC(2026, 10, 21, 4)],
    ['2026-11-21T04:00:00-00:00', Date.UTC(2026, 10, 21, 4)],
    ['2024-02-29T00:00:00Z', Date.UTC(2024, 1, 29)],
    ['1900-01-01T00:00:00Z', Date.UTC(1900, 0, 1)],
    ['9999-12-31T23:59:59Z', Date.UTC(9999, 11, 31, 23, 59, 59)],
  ])('reads %s', (text, ms) => {
    expect(parseRfc3339(text)).toEqual({ ok: true, ms });
  });

  it.each([
    ['2026-11-21T04:00:00', 'has no UTC offset'],
    ['2026-11-21T04:00:00.5', 'has no UTC offset'],
    ['2026-11-21 04:00:00', 'has no UTC offset'],
    ['2026-11-21T04:00', 'has no UTC offset'],
    ['2026-11-21T06:00:00 02:00', 'write the + of the offset as %2B'],
    ['2026-11-21', 'not an RFC 3339 time with an offset'],
    ['2026-11-21T04:00:00+0200', 'not an RFC 3339 time with an offset'],
    ['2023-02-29T00:00:00Z', 'not an RFC 3339 time with an offset'],
    ['2026-13-01T00:00:00Z', 'not an RFC 3339 time with an offset'],
    ['2026-11-21T24:00:00Z', 'not an RFC 3339 time with an offset'],
    ['Sat, 21 Nov 2026 04:00:00 GMT', 'not an RFC 3339 time with an offset'],
    ['1795242000', 'not an RFC 3339 time with an offset'],
    ['', 'not an RFC 3339 time with an offset'],
    [`2026-11-21T04:00:00.${'1'.repeat(80)}Z`, 'not an RFC 3339 time with an offset'],
  ])('refuses %j, saying why', (text, reason) => {
    const parsed = parseRfc3339(text);
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.reason).toContain(reason);
  });

  it('reads a time without an offset the same in every server time zone, by refusing it', () => {
    // Date.parse would read it in the process's zone: two replicas would disagree.
    expect(parseRfc3339('2026-11-21T04:00:00').ok).toBe(false);
  });
});

describe('timeSkewProblem', () => {
  it.each([
    ['now', NOW, null],
    ['a year back, exactly', NOW - 365 * DAY, null],
    ['an hour ahead, exactly', NOW + HOUR, null],
    ['a year and a millisecond back', NOW - 365 * DAY - 1, 'more than 365d before'],
    ['an hour and a millisecond ahead', NOW + HOUR + 1, 'more than 1h after'],
    ['1900', Date.UTC(1900, 0, 1), 'more than 365d before'],
    ['1970', 0, 'more than 365d before'],
    ['9999', Date.UTC(9999, 11, 31), 'more than 1h after'],
  ])('%s', (_, ms, problem) => {
    const found = timeSkewProblem(ms, NOW, DEFAULT_TIME_SKEW);
    if (problem === null) expect(found).toBeNull();
    else expect(found).toContain(problem);
  });

  it('names the setting that widens the window and the server time it compared with', () => {
    expect(timeSkewProblem(NOW + 2 * HOUR, NOW, DEFAULT_TIME_SKEW)).toBe(
      "2026-11-21T06:45:00.000Z is more than 1h after the server's time 2026-11-21T04:45:00.000Z: is the sender's clock right? (ingest.timeSkew.future)",
    );
    expect(timeSkewProblem(NOW - 3 * DAY, NOW, { past: 2 * DAY, future: 0 })).toContain('more than 2d before the server\'s time 2026-11-21T04:45:00.000Z (ingest.timeSkew.past)');
    expect(timeSkewProblem(NOW + 1, NOW, { past: 0, future: 0 })).toContain('more than 0 after');
  });
});
