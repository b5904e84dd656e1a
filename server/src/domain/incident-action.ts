/**
 * @module A person's action on one incident, as the incident verbs take it and the log of
 * people's actions records it (applied by `correlate/people.ts`).
 */
import type { IncidentAction, Priority } from './incident.js';

export interface IncidentPatch {
  priority?: Priority | null;
  assignee?: string | null;
}

export type PersonAction =
  | {
      kind: 'transition';
      action: IncidentAction;
      note: string | null;
      /** A resolve forced while alerts still fired: how many, and the titles the timeline names. */
      stillFiring?: { count: number; titles: string };
    }
  | { kind: 'note'; text: string }
  | { kind: 'update'; patch: IncidentPatch };

/** An action as recorded: who, when, on which incident, and after which event of the log. */
export interface RecordedAction {
  afterEventId: number;
  at: number;
  actor: string;
  incidentId: number;
  /** The incident's grouping key when the action was made: a rebuild applies it only to an incident with that key. */
  groupKey: string;
  action: PersonAction;
}

