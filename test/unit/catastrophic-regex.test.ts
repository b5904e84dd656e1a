/**
 * A pattern that backtracks exponentially (`(a+)+` against 32 × `a` + `b`) in every place the
 * correlation engine takes a regex: the events are applied, with Alertmanager's semantics. The
 * engine runs on a worker thread, so a regression fails on the timeout instead of hanging the run.
 */
import { describe, expect, it } from 'vitest';
import { runInWorker } from '../helpers/in-worker.js';

describe('correlation engine and catastrophic regexes', () => {
  it('applies every event against (a+)+ in a silence, a grouping rule and an inhibition rule', async () => {
    const placed = await runInWorker<[string, string | null, number | null][]>(new URL('../fixtures/catastrophic-regex.ts', import.meta.url), 'applyCatastrophicPatterns', 15_000);
    expect(placed).toEqual([
      // Fully anchored: 32 × a + b is no match for (a+)+, so it opens an incident; `as` on the same host inhibits it.
      ['evil', 'inhibited:prometheus/as', 1],
      // The grouping rule's regex matches it: its own incident.
      ['as', null, 2],
      ['other', null, 3],
      ['evil-again', null, 4],
      ['silenced', 's1', null],
    ]);
  }, 30_000);
});
