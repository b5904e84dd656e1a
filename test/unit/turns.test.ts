import { describe, expect, it } from 'vitest';
import { createTurns } from '../../server/src/http/turns.js';

describe('turns', () => {
  it('runs one step at a time and lets the event loop run between steps (what a health check needs)', async () => {
    const take = createTurns();
    const log: string[] = [];
    // Each step queues a callback, as a socket read would be; it must run before the next step.
    const step = (i: number) => () => {
      log.push(`step ${i}`);
      setImmediate(() => log.push(`between ${i}`));
      return i;
    };
    const results = await Promise.all([take(step(0)), take(step(1)), take(step(2))]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(results).toEqual([0, 1, 2]);
    expect(log).toEqual(['step 0', 'between 0', 'step 1', 'between 1', 'step 2', 'between 2']);
  });

  it('a step that throws rejects its own caller only', async () => {
    const take = createTurns();
    const failed = take(() => {
      throw new Error('bad body');
    });
    const next = take(() => 'next');
    await expect(failed).rejects.toThrow('bad body');
    await expect(next).resolves.toBe('next');
  });
});
