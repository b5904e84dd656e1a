/** @module The log of people's actions on incidents: appended by the incident verbs, read whole by a rebuild. */
import type { Kysely, Transaction } from 'kysely';
import type { PersonAction, RecordedAction } from '../domain/incident-action.js';
import type { Database } from './schema.js';

type Db = Kysely<Database> | Transaction<Database>;

export async function recordIncidentAction(db: Db, recorded: RecordedAction): Promise<void> {
  await db
    .insertInto('incident_actions')
    .values({ after_event_id: recorded.afterEventId, at: recorded.at, actor: recorded.actor, incident_id: recorded.incidentId, group_key: recorded.groupKey, action: JSON.stringify(recorded.action) })
    .execute();
}

/** Every recorded action, in the order they were made. */
export async function allIncidentActions(db: Db): Promise<RecordedAction[]> {
  const rows = await db.selectFrom('incident_actions').selectAll().orderBy('id').execute();
  return rows.map((r) => ({ afterEventId: Number(r.after_event_id), at: Number(r.at), actor: r.actor, incidentId: Number(r.incident_id), groupKey: r.group_key, action: JSON.parse(r.action) as PersonAction }));
}
