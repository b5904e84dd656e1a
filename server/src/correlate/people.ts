/**
 * @module People's actions on one incident (lifecycle actions, notes, edits) as a pure
 * function: the incident verbs apply them through it live, and a rebuild of the derived state
 * applies the recorded ones through it again at the log position they were made at, so both
 * change an incident the same way. No database, no clock: the time is the action's.
 */
import { nextStatus, priorityOf, type IncidentAction, type IncidentRecord, type Priority, type TimelineEntry } from '../domain/incident.js';
import type { PersonAction } from '../domain/incident-action.js';
import { fail, ok, type Result } from '../domain/result.js';

const ACTION_VERBS: Record<IncidentAction, string> = {
  acknowledge: 'Acknowledged',
  hold: 'Put on hold',
  resume: 'Resumed',
  resolve: 'Resolved',
  reopen: 'Reopened',
  close: 'Closed',
  cancel: 'Cancelled',
};

/**
 * Applies `action` by `actor` at `at` to `incident` (changed in place). Returns the timeline
 * entry it writes (none for an edit that changes nothing), or CONFLICT when the lifecycle does
 * not allow it, leaving the incident as it was.
 */
export function applyPersonAction(incident: IncidentRecord, action: PersonAction, actor: string, at: number): Result<{ entry: Omit<TimelineEntry, 'id'> | null }> {
  switch (action.kind) {
    case 'transition': {
      const to = nextStatus(incident.status, action.action, incident.wasAcknowledged);
      if (!to) return fail('CONFLICT', `cannot ${action.action} an incident that is ${incident.status.replace('_', ' ')}`, { status: incident.status, action: action.action });
      incident.status = to;
      incident.updatedAt = at;
      if (action.action === 'acknowledge') {
        incident.acknowledgedAt = at;
        incident.wasAcknowledged = true;
      }
      if (to === 'resolved') {
        incident.resolvedAt = at;
        incident.resolution = 'manual';
      }
      if (action.action === 'reopen') {
        incident.resolvedAt = null;
        incident.resolution = null;
      }
      if (to === 'closed') incident.closedAt = at;
      const verb = ACTION_VERBS[action.action];
      const firing = action.stillFiring && action.stillFiring.count > 0 ? action.stillFiring : null;
      const stillFiring = firing ? ` with ${firing.count} alert(s) still firing (${firing.titles})` : '';
      return ok({
        entry: {
          incidentId: incident.id,
          at,
          kind: to,
          actor,
          message: `${verb} by ${actor}${stillFiring}${action.note ? `: ${action.note}` : ''}`,
          // The kind is the status reached, which does not tell a reopen from a resume; the action does.
          data: firing ? { action: action.action, forced: true, firingCount: firing.count } : { action: action.action },
        },
      });
    }
    case 'note':
      return ok({ entry: { incidentId: incident.id, at, kind: 'note', actor, message: action.text, data: null } });
    case 'update': {
      const { patch } = action;
      const changes: string[] = [];
      let priorityChange: { priorityFrom: Priority; priorityTo: Priority } | null = null;
      if (patch.priority !== undefined) {
        const before = incident.priority;
        incident.priorityOverridden = patch.priority !== null;
        incident.priority = patch.priority ?? priorityOf(incident.impact, incident.urgency);
        changes.push(`priority ${before} → ${incident.priority}${patch.priority === null ? ' (matrix)' : ''}`);
        priorityChange = { priorityFrom: before, priorityTo: incident.priority };
      }
      if (patch.assignee !== undefined) {
        incident.assignee = patch.assignee;
        changes.push(patch.assignee ? `assigned to ${patch.assignee}` : 'unassigned');
      }
      incident.updatedAt = at;
      if (changes.length === 0) return ok({ entry: null });
      return ok({ entry: { incidentId: incident.id, at, kind: 'updated', actor, message: `${changes.join('; ')} by ${actor}`, data: { ...patch, ...priorityChange } } });
    }
  }
}
