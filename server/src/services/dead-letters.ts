/** @module Events the correlator set aside because the engine could not apply them. */
import { alertEventsById, appendAlertEvents } from '../db/alert-events-repo.js';
import { countDeadLetters, listDeadLetters, removeDeadLetter, type DeadLetter } from '../db/dead-letters-repo.js';
import type { DatabaseHandle } from '../db/connection.js';
import { fail, ok, type Result } from '../domain/result.js';
import type { Clock } from './clock.js';

export type { DeadLetter };

export function listSetAsideEvents(deps: { handle: DatabaseHandle }, limit: number): Promise<DeadLetter[]> {
  return listDeadLetters(deps.handle.db, limit);
}

export function countSetAsideEvents(deps: { handle: DatabaseHandle }): Promise<number> {
  return countDeadLetters(deps.handle.db);
}

/**
 * Tries a set-aside event again (once the cause is fixed): a copy is appended to the log, so the
 * correlator applies it in log order, and the dead letter goes. NOT_FOUND when no such dead
 * letter; CONFLICT when the event has left the log (retention).
 */
export async function retrySetAsideEvent(deps: { handle: DatabaseHandle; clock: Clock }, eventId: number): Promise<Result<{ eventId: number; appendedAs: number }>> {
  return deps.handle.db.transaction().execute(async (trx): Promise<Result<{ eventId: number; appendedAs: number }>> => {
    const [event] = await alertEventsById(trx, [eventId]);
    if (!(await removeDeadLetter(trx, eventId))) return fail('NOT_FOUND', `no set-aside event ${eventId}`);
    if (!event) return fail('CONFLICT', `event ${eventId} is no longer in the alert event log (past its retention); it cannot be tried again`);
    const { id: _id, receivedAt: _receivedAt, ...copy } = event;
    const [appended] = await appendAlertEvents(trx, [copy], deps.clock.now());
    return ok({ eventId, appendedAs: (appended as { id: number }).id });
  });
}
