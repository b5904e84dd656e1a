/**
 * @module SLA signals (burn-rate episodes of a service's error budget) and the incidents
 * that burned the budget during each; see services/sla-signals.ts for what they are for.
 */
import type { Kysely, Transaction } from 'kysely';
import type { Priority } from '../domain/incident.js';
import { SLA_PAGE_GROUPS } from './incidents-repo.js';
import type { Database } from './schema.js';

type Db = Kysely<Database> | Transaction<Database>;

export type SignalSeverity = 'page' | 'ticket';

export interface SlaSignalRecord {
  id: number;
  service: string;
  kind: 'burn';
  severity: SignalSeverity;
  startedAt: number;
  endedAt: number | null;
  message: string;
  data: Record<string, unknown>;
  incidentIds: number[];
}

type Row = { id: number; service: string; kind: string; severity: string; started_at: number; ended_at: number | null; message: string; data: string };

async function withIncidents(db: Db, rows: readonly Row[]): Promise<SlaSignalRecord[]> {
  const ids = rows.map((r) => Number(r.id));
  const links = new Map<number, number[]>();
  for (let i = 0; i < ids.length; i += 200) {
    const part = ids.slice(i, i + 200);
    const found = await db.selectFrom('sla_signal_incidents').select(['signal_id', 'incident_id']).where('signal_id', 'in', part).orderBy('incident_id').execute();
    for (const l of found) links.set(Number(l.signal_id), [...(links.get(Number(l.signal_id)) ?? []), Number(l.incident_id)]);
  }
  return rows.map((r) => ({
    id: Number(r.id),
    service: r.service,
    kind: 'burn',
    severity: r.severity as SignalSeverity,
    startedAt: Number(r.started_at),
    endedAt: r.ended_at === null ? null : Number(r.ended_at),
    message: r.message,
    data: JSON.parse(r.data) as Record<string, unknown>,
    incidentIds: links.get(Number(r.id)) ?? [],
  }));
}

const columns = ['id', 'service', 'kind', 'severity', 'started_at', 'ended_at', 'message', 'data'] as const;

/** Episodes still burning, every service. */
export async function activeSignals(db: Db): Promise<SlaSignalRecord[]> {
  const rows = await db.selectFrom('sla_signals').select([...columns]).where('ended_at', 'is', null).orderBy('id').execute();
  return withIncidents(db, rows);
}

/**
 * Opens an episode; null when one of the same service and severity is already active (the
 * partial unique index decides, so a second writer cannot open it twice).
 */
export async function openSignal(db: Db, s: { service: string; severity: SignalSeverity; startedAt: number; message: string; data: Record<string, unknown> }): Promise<number | null> {
  const row = await db
    .insertInto('sla_signals')
    .values({ service: s.service, kind: 'burn', severity: s.severity, started_at: s.startedAt, ended_at: null, message: s.message, data: JSON.stringify(s.data) })
    .onConflict((oc) => oc.doNothing())
    .returning('id')
    .executeTakeFirst();
  return row ? Number(row.id) : null;
}

/** Ends an active episode; false when it had already ended. */
export async function endSignal(db: Db, id: number, endedAt: number): Promise<boolean> {
  const r = await db.updateTable('sla_signals').set({ ended_at: endedAt }).where('id', '=', id).where('ended_at', 'is', null).executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/** Links incidents to an episode (links already there stay). */
export async function linkSignalIncidents(db: Db, signalId: number, incidentIds: readonly number[]): Promise<void> {
  if (incidentIds.length === 0) return;
  await db
    .insertInto('sla_signal_incidents')
    .values(incidentIds.map((incidentId) => ({ signal_id: signalId, incident_id: incidentId })))
    .onConflict((oc) => oc.columns(['signal_id', 'incident_id']).doNothing())
    .execute();
}

/** A service's episodes that overlap [from, to), oldest first. */
export async function signalsOverlapping(db: Db, services: readonly string[], from: number, to: number): Promise<SlaSignalRecord[]> {
  if (services.length === 0) return [];
  const rows = await db
    .selectFrom('sla_signals')
    .select([...columns])
    .where('service', 'in', services)
    .where('started_at', '<', to)
    .where((eb) => eb.or([eb('ended_at', 'is', null), eb('ended_at', '>', from)]))
    .orderBy('started_at')
    .orderBy('id')
    .execute();
  return withIncidents(db, rows);
}

/** The episodes an incident's downtime burned into, oldest first. */
export async function signalsOfIncident(db: Db, incidentId: number): Promise<SlaSignalRecord[]> {
  const rows = await db
    .selectFrom('sla_signals as s')
    .innerJoin('sla_signal_incidents as l', 'l.signal_id', 's.id')
    .select(columns.map((c) => `s.${c}` as const))
    .where('l.incident_id', '=', incidentId)
    .orderBy('s.started_at')
    .orderBy('s.id')
    .execute();
  return withIncidents(db, rows);
}

/**
 * Incidents of `service` (primary service or one it reached) at `priorities`, not
 * cancelled, whose time open overlaps [from, to): those whose downtime can burn the
 * service's budget over that window. Incidents opened by Sightline's own SLA alerts are not.
 */
export async function incidentsBurning(db: Db, service: string, priorities: readonly Priority[], from: number, to: number): Promise<number[]> {
  if (priorities.length === 0) return [];
  const rows = await db
    .selectFrom('incidents as i')
    .select('i.id')
    .where((eb) => eb.or([eb('i.service', '=', service), eb.exists(eb.selectFrom('incident_services as m').select('m.incident_id').whereRef('m.incident_id', '=', 'i.id').where('m.service', '=', service))]))
    .where('i.priority', 'in', priorities)
    .where('i.status', '<>', 'cancelled')
    .where('i.opened_at', '<', to)
    .where((eb) => eb.or([eb('i.resolved_at', 'is', null), eb('i.resolved_at', '>', from)]))
    .where('i.group_key', 'not like', SLA_PAGE_GROUPS)
    .orderBy('i.id')
    .limit(100)
    .execute();
  return rows.map((r) => Number(r.id));
}
