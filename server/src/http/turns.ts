/**
 * @module Turns for the heavy synchronous steps of requests (parsing a large JSON body, validating
 * and normalising thousands of alerts): one request's step at a time, each started from a fresh
 * event-loop turn (`setImmediate`), so the server reads sockets between them. A health check, or
 * any small request, then waits for at most one such step, never for all the large requests that
 * arrived before it; without turns their steps ran back to back and `/readyz` went unanswered for
 * seconds under load.
 */

export type TakeTurn = <T>(work: () => T) => Promise<T>;

export function createTurns(): TakeTurn {
  let last: Promise<unknown> = Promise.resolve();
  return <T>(work: () => T): Promise<T> => {
    // A callback queued from the check phase runs in the next loop iteration, after its poll phase.
    const run = last.then(() => new Promise<void>((resolve) => setImmediate(resolve))).then(work);
    last = run.catch(() => undefined);
    return run;
  };
}

/** The process's turns: the main thread is one, whatever the number of apps on it. */
export const takeTurn: TakeTurn = createTurns();

/** Bodies smaller than this are handled in well under a millisecond: they need no turn. */
export const HEAVY_BODY_BYTES = 64 * 1024;

/** `work` in a turn when it handles a body of `bytes` bytes that is heavy enough to need one. */
export function inTurnFor<T>(bytes: number, work: () => T): Promise<T> {
  return bytes >= HEAVY_BODY_BYTES ? takeTurn(work) : Promise.resolve(work());
}
