/** @module Events the correlator set aside because the engine could not apply them. */
import { countDeadLetters, listDeadLetters, type DeadLetter } from '../db/dead-letters-repo.js';
import type { DatabaseHandle } from '../db/connection.js';

export type { DeadLetter };

export function listSetAsideEvents(deps: { handle: DatabaseHandle }, limit: number): Promise<DeadLetter[]> {
  return listDeadLetters(deps.handle.db, limit);
}

export function countSetAsideEvents(deps: { handle: DatabaseHandle }): Promise<number> {
  return countDeadLetters(deps.handle.db);
}
